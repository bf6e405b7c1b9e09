/*
 * old-caller.c - an embedder built against the XLSR_1.0 embedding API
 * (tests/abi/v1.0/xlsr/xlsr.h: xlsr_result and xlsr_error without size),
 * run on the current libxlsr.  It verifies one stream and prints what the
 * CLI prints, so the test can compare:
 *
 *   old-caller CONFIG STREAM [CTX_SIZE]
 *     ok RECORDS BYTES          (exit 0), or the one-line error
 *   then a line "layout ok" when every result field is consistent.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsr/xlsr.h>

int main(int argc, char **argv)
{
    struct xlsr_config *cfg;
    struct xlsr_session *s;
    struct xlsr_restore_ctx ctx;
    struct xlsr_error err;
    struct xlsr_result res;
    char line[1200];
    int rc;

    if (argc < 3)
        return 2;
    /* Poison what the library must overwrite. */
    memset(&err, 0xa5, sizeof(err));
    memset(&res, 0xa5, sizeof(res));
    if ((rc = xlsr_config_load(argv[1], &cfg, &err))) {
        xlsr_error_format(&err, line, sizeof(line));
        printf("%s\n", line);
        return xlsr_exit_status(rc);
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.size = argc > 3 ? (uint32_t)atoi(argv[3]) : sizeof(ctx);
    ctx.mode = XLSR_MODE_VERIFY;
    ctx.store_port = ctx.console_port = -1;
    memset(&err, 0xa5, sizeof(err));
    if ((rc = xlsr_session_open(cfg, &ctx, NULL, &s, &err))) {
        xlsr_error_format(&err, line, sizeof(line));
        printf("%s\n", line);
        xlsr_config_free(cfg);
        return xlsr_exit_status(rc);
    }
    int fd = open(argv[2], O_RDONLY);
    rc = xlsr_session_run(s, fd, &res, &err);
    close(fd);
    if (rc) {
        xlsr_error_format(&err, line, sizeof(line));
        printf("%s\n", line);
    } else {
        printf("ok %" PRIu64 " %" PRIu64 "\n", res.records, res.bytes);
    }
    /* Fields the 1.0 layout has at its own offsets: a 1.1 layout written
     * over this struct would put bytes into records, and so on. */
    bool sane = err.inner == false && (rc ? err.rc == rc : err.rc == 0) &&
                (rc || (res.complete && res.trailing_bytes == 0 &&
                        res.checkpoints == 0 && !res.failover &&
                        res.bytes >= 16 + 8 * res.records));
    printf("%s\n", sane ? "layout ok" : "layout WRONG");
    xlsr_session_close(s);
    xlsr_config_free(cfg);
    return sane ? xlsr_exit_status(rc) : 3;
}
