/*
 * stub.c - link-time stand-in for the libxlsr.so.0 of the XLSR_1.0 days:
 * same soname, same functions, no symbol versions.  old-caller links
 * against it so that its references are unversioned, as in a binary built
 * back then; at run time the real library is found instead.  Never run.
 */
#include <stdlib.h>

#include <xlsr/xlsr.h>

const char *xlsr_strerror(int rc) { (void)rc; abort(); }
int xlsr_exit_status(int rc) { (void)rc; abort(); }
void xlsr_error_format(const struct xlsr_error *err, char *buf, size_t len)
{ (void)err; (void)buf; (void)len; abort(); }
int xlsr_config_load(const char *path, struct xlsr_config **out,
                     struct xlsr_error *err)
{ (void)path; (void)out; (void)err; abort(); }
void xlsr_config_free(struct xlsr_config *cfg) { (void)cfg; abort(); }
int xlsr_session_open(const struct xlsr_config *cfg,
                      struct xlsr_restore_ctx *ctx,
                      const struct xlsr_session_opts *opts,
                      struct xlsr_session **out, struct xlsr_error *err)
{ (void)cfg; (void)ctx; (void)opts; (void)out; (void)err; abort(); }
int xlsr_session_run(struct xlsr_session *s, int fd,
                     struct xlsr_result *res, struct xlsr_error *err)
{ (void)s; (void)fd; (void)res; (void)err; abort(); }
void xlsr_session_close(struct xlsr_session *s) { (void)s; abort(); }
