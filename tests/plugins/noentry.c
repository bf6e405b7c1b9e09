/*
 * noentry.c - a shared object that is not an xlsr plugin: no entry symbol.
 */
int xlsr_test_not_a_plugin(void);
__attribute__((visibility("default"))) int xlsr_test_not_a_plugin(void)
{
    return 42;
}
