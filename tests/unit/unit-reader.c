/*
 * unit-reader.c - the reader: exact and buffered reads from a pipe fed in
 * tiny pieces, offsets, EOF accounting and skips; fill sizes on a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

/* A child writes `len` bytes (byte i = i & 0xff) in `chunk`-byte writes. */
static int feeder(size_t len, size_t chunk, pid_t *pid)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        close(p[0]);
        uint8_t buf[4096];
        for (size_t i = 0; i < len;) {
            size_t n = len - i < chunk ? len - i : chunk;
            for (size_t j = 0; j < n; j++)
                buf[j] = (uint8_t)(i + j);
            if (write(p[1], buf, n) != (ssize_t)n)
                _exit(1);
            i += n;
        }
        _exit(0);
    }
    close(p[1]);
    return p[0];
}

static void reap(pid_t pid, int fd)
{
    int st;
    close(fd);
    waitpid(pid, &st, 0);
}

static void reads_exactly(bool exact)
{
    pid_t pid;
    int fd = feeder(10000, 1, &pid);
    struct xlsr_reader r;
    uint8_t buf[3000];

    assert_int_equal(xlsr__reader_init(&r, fd, exact), XLSR_OK);
    assert_int_equal(xlsr__read(&r, buf, 7), XLSR_OK);
    assert_int_equal(r.offset, 7);
    assert_int_equal(buf[6], 6);
    assert_int_equal(xlsr__read(&r, buf, 3000), XLSR_OK);
    assert_int_equal(buf[0], 7);
    assert_int_equal(buf[2999], (3006) & 0xff);
    assert_int_equal(xlsr__skip(&r, 5000), XLSR_OK);
    assert_int_equal(r.offset, 8007);
    assert_int_equal(xlsr__read(&r, buf, 1), XLSR_OK);
    assert_int_equal(buf[0], 8007 & 0xff);
    /* 1992 bytes left: asking for 2000 is EOF after 1992. */
    assert_int_equal(xlsr__read(&r, buf, 2000), XLSR_ERR_EOF);
    assert_int_equal(r.got, 1992);
    assert_int_equal(r.offset, 10000);
    /* Exact mode never reads ahead; buffered mode may. */
    if (exact)
        assert_int_equal(xlsr__buffered(&r), 0);
    xlsr__reader_free(&r);
    reap(pid, fd);
}

static void test_exact_one_byte_pipe(void **state)
{
    (void)state;
    reads_exactly(true);
}

static void test_buffered_one_byte_pipe(void **state)
{
    (void)state;
    reads_exactly(false);
}

static void test_exact_leaves_rest_on_fd(void **state)
{
    (void)state;
    pid_t pid;
    int fd = feeder(100, 100, &pid);
    struct xlsr_reader r;
    uint8_t buf[100];

    assert_int_equal(xlsr__reader_init(&r, fd, true), XLSR_OK);
    assert_int_equal(xlsr__read(&r, buf, 10), XLSR_OK);
    /* Another reader of the fd gets byte 10 next. */
    assert_int_equal(read(fd, buf, 1), 1);
    assert_int_equal(buf[0], 10);
    xlsr__reader_free(&r);
    reap(pid, fd);
}

static void test_drain_counts_trailing(void **state)
{
    (void)state;
    pid_t pid;
    int fd = feeder(777, 13, &pid);
    struct xlsr_reader r;
    uint64_t n = 0;
    uint8_t b[7];

    assert_int_equal(xlsr__reader_init(&r, fd, false), XLSR_OK);
    assert_int_equal(xlsr__read(&r, b, 7), XLSR_OK);
    assert_int_equal(xlsr__drain(&r, &n), XLSR_OK);
    assert_int_equal(n, 770);
    xlsr__reader_free(&r);
    reap(pid, fd);
}

static void test_empty_stream(void **state)
{
    (void)state;
    pid_t pid;
    int fd = feeder(0, 1, &pid);
    struct xlsr_reader r;
    uint8_t b[8];

    assert_int_equal(xlsr__reader_init(&r, fd, false), XLSR_OK);
    assert_int_equal(xlsr__read(&r, b, 8), XLSR_ERR_EOF);
    assert_int_equal(r.got, 0);
    xlsr__reader_free(&r);
    reap(pid, fd);
}

/* A regular file: detection's peek reads no more than the ramp (16 KiB),
 * and after a seek a record header with a 1024-entry pfn array (16 + 8
 * KiB) comes from one fill, whatever the offset in its page. */
static void test_file_peek_and_seek_fills(void **state)
{
    (void)state;
    char path[] = "/tmp/xlsr-unit-reader.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    static uint8_t img[1 << 20];
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 7 + (i >> 12));
    assert_int_equal(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);

    struct xlsr_reader r;
    const uint8_t *p;
    uint8_t buf[8192 + 16];
    assert_int_equal(xlsr__reader_init(&r, fd, false), XLSR_OK);
    assert_int_equal(xlsr__peek(&r, 8, &p), XLSR_OK);
    assert_memory_equal(p, img, 8);
    assert_true(r.len >= 8 && r.len <= 16 * 1024);
    assert_int_equal(xlsr__read(&r, buf, 100), XLSR_OK);
    assert_memory_equal(buf, img, 100);
    /* Past what was read: seeked over, not read. */
    uint64_t at = (uint64_t)r.len + 300 * 1024 + 1000;
    assert_int_equal(xlsr__skip(&r, at - 100), XLSR_OK);
    assert_int_equal(r.offset, at);
    assert_int_equal(xlsr__read(&r, buf, 16), XLSR_OK);
    assert_memory_equal(buf, img + at, 16);
    size_t filled = r.len;
    assert_true(filled >= 12 * 1024 && filled <= 16 * 1024);
    assert_int_equal(xlsr__read(&r, buf, 8192), XLSR_OK);
    assert_memory_equal(buf, img + at + 16, 8192);
    assert_int_equal(r.len, filled);        /* no second fill */
    assert_int_equal(r.offset, at + 16 + 8192);
    xlsr__reader_free(&r);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_one_byte_pipe),
        cmocka_unit_test(test_buffered_one_byte_pipe),
        cmocka_unit_test(test_exact_leaves_rest_on_fd),
        cmocka_unit_test(test_drain_counts_trailing),
        cmocka_unit_test(test_empty_stream),
        cmocka_unit_test(test_file_peek_and_seek_fills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
