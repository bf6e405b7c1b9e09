/*
 * migrate.c - the receiving side of xl's migration protocol
 * (tools/xl/xl_migrate.c, migrate_receive; RESTORE.md "xl migrate wire
 * protocol").  `xl migrate -s "" <domain> "<this command>"` runs us with
 * the sender on our stdin and stdout:
 *
 *   we  -> banner "xl migration receiver ready, send binary domain data.\n"
 *   xl  -> xl header + JSON, the live libxl stream up to libxl END
 *   we  -> "domain received, ready to unpause\0"      (domain paused)
 *   xl  -> "domain is yours, you are cleared to unpause\0"
 *   we     rename <name>--incoming to <name>, resume, unpause
 *   we  -> "my copy unpause results are as follows\0" + status byte
 *
 * The core stops reading exactly at libxl END in restore mode, so the
 * sender's "domain is yours" is still in the pipe for us.  Remus (-r):
 * banner, then a checkpointed stream with no END and no handshake; its
 * EOF is the failover, after which the secondary is renamed and unpaused.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../../plugins/common/fdio.h"
#include "ts.h"

static const char banner[] =
    "xl migration receiver ready, send binary domain data.\n";
static const char received[] = "domain received, ready to unpause";
static const char yours[] = "domain is yours, you are cleared to unpause";
static const char report[] = "my copy unpause results are as follows";

/* The banner goes out before anything is read: the sender waits for it
 * (no NUL: xl compares the line's bytes). */
int ts_migrate_banner(void)
{
    if (fdio_write_all(1, banner, sizeof(banner) - 1)) {
        perror(TS ": writing the migration banner");
        return -1;
    }
    return 0;
}

/* After the stream: tell the sender, wait for its go, take the name,
 * resume and unpause; report the outcome.  The messages carry their NUL. */
int ts_migrate_handshake(struct toolstack *t, int in, int out,
                         const char *final_name)
{
    char buf[sizeof(yours)];
    int rc = -1;

    if (fdio_write_all(out, received, sizeof(received))) {
        perror(TS ": telling the sender the domain was received");
        return -1;
    }
    if (fdio_read_exact(in, buf, sizeof(buf)) ||
        memcmp(buf, yours, sizeof(yours))) {
        /* The sender gave up (and resumes its copy): ours goes. */
        fprintf(stderr, TS ": the sender did not clear us to unpause\n");
        return -1;
    }
    if (!ts_rename(t, final_name) &&
        (t->g.type != GUEST_HVM || !ts_dm_resume(t)) &&
        !xc_domain_unpause(t->xch, t->domid))
        rc = 0;
    else
        fprintf(stderr, TS ": could not start the received domain\n");
    unsigned char status = rc ? 1 : 0;
    if (fdio_write_all(out, report, sizeof(report)) ||
        fdio_write_all(out, &status, 1))
        perror(TS ": reporting to the sender");
    return rc;
}
