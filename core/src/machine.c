/*
 * machine.c - the one state machine of a run, for plain, Remus and COLO
 * streams alike; the rules of which record may be processed where; and
 * the one completion path.
 *
 * The model is libxl's stream reader (Xen 4.17
 * tools/libs/light/libxl_stream_read.c, its opening comment): phases
 * NORMAL, BUFFERING and UNBUFFERING, in_checkpoint, in_checkpoint_state.
 * Here they are one field, s->state, because xlsr runs synchronously:
 * libxenguest calls back into us, so the states nest as a stack would, but
 * at any moment exactly one of them owns the fd.
 *
 *   IDLE ─run─> HEADERS ─ok─> NORMAL ─END applied─────────────────> DONE
 *                                │ ^  └─ any other record: apply it    ^
 *                 the first      │ │                                   │
 *                 LIBXC_CONTEXT  │ │ plain stream: the libxc END       │
 *                                v │                                   │
 *                                LIBXC ─checkpointed: libxc returned──>┤
 *                    checkpoint  │ ^ ^                                 │
 *                    callback    v │ │ SUCCESS                         │
 *                          BUFFERING │ (an error: FAILOVER)            │
 *                 CHECKPOINT_END │   │                                 │
 *                                v   │                                 │
 *                          UNBUFFERING (an error: ERROR)               │
 *   COLO:  LIBXC ─libxl_record─> CKPT_STATE ─applied, or not─> LIBXC   │
 *   an error in HEADERS, NORMAL or LIBXC (the reader failed) ─────────>┘
 *
 * States (enum xlsr__state in internal.h):
 *   HEADERS      the xl save header (optional) and the libxl header.
 *   NORMAL       libxl PHASE_NORMAL: read one record, process it, repeat.
 *   LIBXC        LIBXC_CONTEXT's handler reads the inline libxc stream
 *                (verify.c itself, or libxenguest in the helper).
 *   BUFFERING    libxl PHASE_BUFFERING: libxenguest met a libxc
 *                CHECKPOINT and called back (libxl__stream_read_start_
 *                checkpoint); libxl records are read and held up to
 *                CHECKPOINT_END, none is processed.
 *   UNBUFFERING  libxl PHASE_UNBUFFERING: CHECKPOINT_END came; the held
 *                records are processed in order.
 *   CKPT_STATE   libxl in_checkpoint_state (COLO only): the one
 *                CHECKPOINT_STATE read between two checkpoints
 *                (libxl__stream_read_checkpoint_state).
 *   DONE         the verdict is in; nothing more is read or applied.
 *
 * Events and where each rule comes from:
 *   - An error while BUFFERING answers the checkpoint callback with
 *     FAILOVER; an error while UNBUFFERING answers ERROR
 *     (libxl_stream_read.c checkpoint_done()).  Framing errors, the
 *     checkpoint buffer limit (checked on each record's header, before its
 *     body is read) and running out of memory are all errors while
 *     BUFFERING.  libxenguest decides what FAILOVER means: at the first
 *     checkpoint it has no consistent state and fails, later it resumes
 *     the last complete checkpoint (xg_sr_restore.c handle_checkpoint()).
 *   - When LIBXC_CONTEXT's reader returns in a checkpointed stream (Remus
 *     or COLO, declared, or seen to have a checkpoint), the domain is at a
 *     consistent checkpoint and the stream is complete: nothing after that
 *     point is read or applied (libxl__xc_domain_restore_done()).  The
 *     verdict is FAILOVER after the last applied checkpoint (COMPLETE if
 *     there was none).  In a plain stream libxl resumes reading its own
 *     records (stream_continue()).
 *   - The failover decision is libxenguest's: its return value and what
 *     the checkpoint callbacks told it, never its log.
 *   - Which record may be processed in which state, and for which guest
 *     type, is the table `rules` below (libxl's process_record()).
 *   - xlsr__complete() runs exactly once; every path to DONE goes through
 *     it (libxl's stream_complete()/check_all_finished() pair, whose guard
 *     against double completion is here an assertion).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "internal.h"

#define BIT(st) (1u << (st))

static const char *const state_names[XLSR__S_COUNT] = {
    [XLSR__S_IDLE] = "IDLE", [XLSR__S_HEADERS] = "HEADERS",
    [XLSR__S_NORMAL] = "NORMAL", [XLSR__S_LIBXC] = "LIBXC",
    [XLSR__S_BUFFERING] = "BUFFERING", [XLSR__S_UNBUFFERING] = "UNBUFFERING",
    [XLSR__S_CKPT_STATE] = "CKPT_STATE", [XLSR__S_DONE] = "DONE",
};

/* The drawing above, as a table: the states each one may move to. */
static const unsigned next_states[XLSR__S_COUNT] = {
    [XLSR__S_IDLE] = BIT(XLSR__S_HEADERS) | BIT(XLSR__S_DONE),
    [XLSR__S_HEADERS] = BIT(XLSR__S_NORMAL) | BIT(XLSR__S_DONE),
    [XLSR__S_NORMAL] = BIT(XLSR__S_LIBXC) | BIT(XLSR__S_DONE),
    [XLSR__S_LIBXC] = BIT(XLSR__S_NORMAL) | BIT(XLSR__S_BUFFERING) |
                      BIT(XLSR__S_CKPT_STATE) | BIT(XLSR__S_DONE),
    [XLSR__S_BUFFERING] = BIT(XLSR__S_UNBUFFERING) | BIT(XLSR__S_LIBXC),
    [XLSR__S_UNBUFFERING] = BIT(XLSR__S_LIBXC),
    [XLSR__S_CKPT_STATE] = BIT(XLSR__S_LIBXC),
    [XLSR__S_DONE] = 0,
};

const char *xlsr__state_name(enum xlsr__state st)
{
    return st < XLSR__S_COUNT ? state_names[st] : "?";
}

void xlsr__enter(struct xlsr_session *s, enum xlsr__state to)
{
    /* Not assert(): an impossible transition is a bug we want to see in
     * every build, not a state to run on in. */
    if (s->state >= XLSR__S_COUNT || to >= XLSR__S_COUNT ||
        !(next_states[s->state] & BIT(to))) {
        xlsr__logf(s, XLSR_LOG_ERROR, "internal error: stream state %s -> "
                   "%s is not in the state machine", xlsr__state_name(s->state),
                   xlsr__state_name(to));
        abort();
    }
    s->state = to;
}

/* --- the record rules ---------------------------------------------- */

#define EMU_HDR 8       /* libxl__sr_emulator_hdr: u32 id, u32 index */
#define EMU_ID_MAX 2    /* 0 unknown, 1 qemu-trad, 2 qemu-xen; 3+ reserved */

static const char *guest_name(enum xlsr__guest g)
{
    static const char *const n[] = { "unknown", "PV", "PVH", "HVM" };
    return n[g];
}

/* EMULATOR_*: HVM guests only, a whole emulator header, a known id
 * (libxl_stream_read.c process_record(); ids from libxl_sr_stream_format.h
 * and the libxl-migration-stream spec: 3 and above are reserved). */
static int emulator_rule(struct xlsr_session *s, const struct xlsr_record *rec)
{
    if (s->guest != XLSR__G_UNKNOWN && s->guest != XLSR__G_HVM)
        return xlsr__rec_err(s, XLSR_ERR_STREAM, rec, "emulator record in "
                             "the stream of a%s %s guest (the %s says so): "
                             "libxl accepts emulator records for HVM guests "
                             "only", s->guest == XLSR__G_HVM ? "n" : "",
                             guest_name(s->guest), s->guest_from_config
                             ? "xl config's c_info.type"
                             : "libxc domain header");
    if (rec->length < EMU_HDR)
        return XLSR_OK;     /* the handler names the short header */
    uint32_t id = (uint32_t)rec->body[0] | (uint32_t)rec->body[1] << 8 |
                  (uint32_t)rec->body[2] << 16 | (uint32_t)rec->body[3] << 24;
    if (id > EMU_ID_MAX)
        return xlsr__rec_err(s, XLSR_ERR_STREAM, rec, "emulator id %u is "
                             "reserved (0 unknown, 1 qemu-xen-traditional, "
                             "2 qemu-xen)", id);
    if (rec->type == XLSR_REC_EMULATOR_CONTEXT)
        s->emu_context_seen = true;
    return XLSR_OK;
}

/* END of a plain stream: an HVM guest whose config names qemu-xen in dom0
 * gets its device model started with "-incoming" on the file
 * EMULATOR_CONTEXT writes (libxl_dm.c libxl__build_device_model_args_new
 * opens state->saved_state; libxl_stream_read.c write_emulator_blob() is
 * what creates it).  Without the record there is no state for QEMU to
 * load and the restore fails once QEMU starts: refused here, before a
 * domain is built. */
static int end_rule(struct xlsr_session *s, const struct xlsr_record *rec)
{
    if (s->guest != XLSR__G_HVM || !s->dm_qemu_xen || s->emu_context_seen ||
        s->checkpointed)
        return XLSR_OK;
    return xlsr__rec_err(s, XLSR_ERR_STREAM, rec, "the stream has no "
                         "EMULATOR_CONTEXT, but the xl config's HVM guest "
                         "runs qemu-xen, which libxl starts with -incoming "
                         "on the device state that record carries: QEMU "
                         "has no state to load and the restore fails");
}

static int libxc_rule(struct xlsr_session *s, const struct xlsr_record *rec)
{
    if (s->libxc_streams)
        return xlsr__rec_err(s, XLSR_ERR_STREAM, rec, "a second "
                             "LIBXC_CONTEXT: a stream carries one libxc "
                             "stream, restored once into the domain");
    return XLSR_OK;
}

static const struct rec_rule {
    uint32_t type;
    unsigned states;        /* where it may be processed */
    const char *where;      /* ... in words, for the error */
    int (*check)(struct xlsr_session *s, const struct xlsr_record *rec);
} rules[] = {
    { XLSR_REC_END, BIT(XLSR__S_NORMAL), "outside a checkpoint", end_rule },
    { XLSR_REC_LIBXC_CONTEXT, BIT(XLSR__S_NORMAL), "outside a checkpoint",
      libxc_rule },
    { XLSR_REC_EMULATOR_XENSTORE_DATA,
      BIT(XLSR__S_NORMAL) | BIT(XLSR__S_UNBUFFERING), NULL, emulator_rule },
    { XLSR_REC_EMULATOR_CONTEXT,
      BIT(XLSR__S_NORMAL) | BIT(XLSR__S_UNBUFFERING), NULL, emulator_rule },
    /* Consumed by the BUFFERING loop; processed nowhere. */
    { XLSR_REC_CHECKPOINT_END, 0, "inside a checkpoint, as its last record",
      NULL },
    { XLSR_REC_CHECKPOINT_STATE, BIT(XLSR__S_CKPT_STATE),
      "between two checkpoints of a COLO stream", NULL },
};

int xlsr__rec_allowed(struct xlsr_session *s, const struct xlsr_record *rec)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rec_rule *r = &rules[i];
        if (r->type != rec->type)
            continue;
        if (!(r->states & BIT(s->state)))
            return xlsr__rec_err(s, XLSR_ERR_STREAM, rec, "not allowed %s "
                                 "(stream state %s): libxl accepts it only "
                                 "%s", s->state == XLSR__S_UNBUFFERING
                                           ? "inside a checkpoint"
                                           : "here",
                                 xlsr__state_name(s->state), r->where);
        return r->check ? r->check(s, rec) : XLSR_OK;
    }
    /* Vendor and unknown types: routed, or refused by `unhandled`. */
    return XLSR_OK;
}

/* --- the guest type ------------------------------------------------ */

/* c_info.type of the xl JSON config (libxl_domain_config): "pv", "pvh"
 * or "hvm".  A config we cannot read leaves the type to the libxc header;
 * yajl is what libxl parses it with. */
void xlsr__guest_from_config(struct xlsr_session *s, const char *json)
{
    const char *path[] = { "c_info", "type", NULL };
    char why[128];
    yajl_val root = yajl_tree_parse(json, why, sizeof(why));
    if (!root) {
        xlsr__logf(s, XLSR_LOG_WARN, "xl config is not JSON (%s): guest "
                   "type taken from the libxc stream", why);
        return;
    }
    yajl_val t = yajl_tree_get(root, path, yajl_t_string);
    const char *v = YAJL_GET_STRING(t);
    if (v && !strcmp(v, "pv"))
        s->guest = XLSR__G_PV;
    else if (v && !strcmp(v, "pvh"))
        s->guest = XLSR__G_PVH;
    else if (v && !strcmp(v, "hvm"))
        s->guest = XLSR__G_HVM;
    s->guest_from_config = s->guest != XLSR__G_UNKNOWN;
    /* libxl writes its defaults into the saved config: an HVM guest's
     * device_model_version is there ("qemu_xen" or
     * "qemu_xen_traditional"), as is a stub domain. */
    const char *dmv[] = { "b_info", "device_model_version", NULL };
    const char *stub[] = { "b_info", "device_model_stubdomain", NULL };
    v = YAJL_GET_STRING(yajl_tree_get(root, dmv, yajl_t_string));
    yajl_val st = yajl_tree_get(root, stub, yajl_t_any);
    const char *sv = YAJL_GET_STRING(st);     /* libxl writes "True" */
    bool stubdom = YAJL_IS_TRUE(st) || (sv && !strcmp(sv, "True"));
    s->dm_qemu_xen = v && !strcmp(v, "qemu_xen") && !stubdom;
    yajl_tree_free(root);
}

/* The libxc domain header (1 x86 PV, 2 x86 HVM, which PVH is too): used
 * only when the xl config did not say. */
void xlsr__guest_from_libxc(struct xlsr_session *s, uint32_t dhdr_type)
{
    if (s->guest_from_config)
        return;
    s->guest = dhdr_type == 1 ? XLSR__G_PV
               : dhdr_type == 2 ? XLSR__G_HVM : XLSR__G_UNKNOWN;
}

/* --- where LIBXC goes when its reader returns ----------------------- */

int xlsr__libxc_done(struct xlsr_session *s, int rc)
{
    assert(s->state == XLSR__S_LIBXC);
    if (rc < 0)
        return rc;      /* the caller describes it; complete() ends */
    if (!s->checkpointed) {
        xlsr__enter(s, XLSR__S_NORMAL);
        return XLSR_OK;
    }
    /* libxl__xc_domain_restore_done(), REMUS and COLO: complete here. */
    return XLSR_STOP;
}

/* --- the one completion path ---------------------------------------- */

int xlsr__complete(struct xlsr_session *s, int rc)
{
    struct xlsr_result *res = s->res;

    assert(s->verdict == XLSR__V_NONE);
    assert(s->state != XLSR__S_DONE);
    if (rc == XLSR_STOP) {
        res->complete = s->state == XLSR__S_NORMAL;
        if (s->state == XLSR__S_LIBXC && s->checkpoints) {
            s->verdict = XLSR__V_FAILOVER;
            res->failover = true;
            res->partial_offset = s->ckpt_end;
        } else {
            s->verdict = XLSR__V_COMPLETE;
        }
        rc = XLSR_OK;
    } else if (rc < 0) {
        s->verdict = XLSR__V_ERROR;
        /* Broken before the first checkpoint was whole: the CLI says so. */
        res->failover = s->last_ckpt == XLSR__CK_FAILOVER && !s->checkpoints;
    } else {
        assert(!"completion with a non-final result");
    }
    res->checkpoints = s->checkpoints;
    if (!res->bytes)
        res->bytes = s->rd.offset;
    if (!s->rd.offset_known) {
        /* A pipe read by libxenguest: later offsets are unknown. */
        res->bytes = UINT64_MAX;
        if (res->failover)
            res->partial_offset = UINT64_MAX;
    }
    xlsr__enter(s, XLSR__S_DONE);
    return rc;
}
