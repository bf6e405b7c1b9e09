/*
 * helper.h - libxenguest's xc_domain_restore() in a child process, and
 * the messages it exchanges with us (helper.c).
 *
 * As libxl runs it in libxl-save-helper (Xen 4.17 libxl_save_callout.c,
 * libxl_save_helper.c): the child reads the stream fd it inherited (the
 * same open file description: on a file, its offset is ours afterwards),
 * sends every callback and log line up a pipe, and waits for our answer
 * to the callbacks that need one.  A crash, leak or hang in libxenguest
 * takes the child down, never the embedding process; we can kill it.
 *
 * Unlike libxl we fork without exec: there is no helper binary to find
 * or install, and the child only calls into the libraries loaded before
 * the fork (it opens its own xc_interface: libxencall's hypercall buffers
 * are not inherited, MADV_DONTFORK).  An embedding process that runs
 * threads must not hold locks the child needs across the fork; the child
 * takes none but malloc's, which glibc resets in the child.
 */
#ifndef XLSR_PLUGIN_LIBXC_HELPER_H
#define XLSR_PLUGIN_LIBXC_HELPER_H

#include <stdint.h>
#include <sys/types.h>

#include "xenapi.h"

/* One message, child to parent: fixed size, well under PIPE_BUF, so each
 * is written and read whole. */
enum lx_msg_kind {
    LX_MSG_LOG = 1,             /* a: level, b: errno (-1 none), text:
                                   "context: message", c: where the
                                   message starts */
    LX_MSG_DOMINFO,             /* a: 1 HVM, 0 PV, -1 unknown */
    LX_MSG_STATIC_DATA_DONE,    /* a: missing (XGR_SDD_*); answered */
    LX_MSG_CHECKPOINT,          /* answered with XGR_CHECKPOINT_* */
    LX_MSG_DONE,                /* a: retval, b: errno, c/d: store and
                                   console frames */
};

struct lx_msg {
    uint32_t kind;
    int32_t a, b;
    uint64_t c, d;
    char text[1000];
};

/* What the child is to call xc_domain_restore() with. */
struct lx_restore_args {
    int fd;
    uint32_t domid;
    unsigned store_port, console_port;
    uint32_t store_domid, console_domid;
    xc_stream_type_t stream_type;
};

struct lx_helper {
    pid_t pid;                  /* 0 when none runs */
    int from_child, to_child;
};

/* Forks the child; XLSR_OK or an error with errno set. */
int lx_helper_start(struct lx_helper *hp, const struct lx_api *api,
                    const struct lx_restore_args *args);
/* The next message.  0 ok; 1 the child closed its end (it exited or
 * died); 2 the deadline (a CLOCK_MONOTONIC time in ms, 0: none) passed;
 * -1 a read error (errno). */
int lx_helper_next(struct lx_helper *hp, struct lx_msg *m,
                   uint64_t deadline_ms);
/* Answers the last message. */
int lx_helper_reply(struct lx_helper *hp, int32_t value);
/* Kills (when kill_sig) and reaps the child; its wait status. */
int lx_helper_reap(struct lx_helper *hp, int kill_sig);
/* "exit status 3", "signal 9 (Killed)". */
void lx_helper_status(int status, char *buf, size_t len);
uint64_t lx_now_ms(void);

#endif /* XLSR_PLUGIN_LIBXC_HELPER_H */
