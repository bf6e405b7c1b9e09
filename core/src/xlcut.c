/*
 * xlcut.c - a stream cut where its END record should be: broken for xlsr,
 * yet stock `xl restore` accepts it and the guest runs.  Said in one
 * warning line beside xlsr's error, so an operator knows why the two
 * verdicts differ.
 *
 * Why libxl accepts it (Xen 4.17):
 *  - tools/libs/light/libxl_stream_read.c setup_read_record() reads each
 *    8-byte record header into a zeroed (libxl__zalloc) buffer through the
 *    datacopier, and record_header_done() acts on whatever it holds;
 *  - tools/libs/light/libxl_aoutils.c datacopier_readable(): read() == 0
 *    deregisters the fd, and datacopier_check_state() then calls back
 *    with rc 0 ("we have had eof") however many bytes are still missing.
 * So an EOF at a record boundary, or inside a header whose bytes so far
 * are all zero, hands process_record() type 0 (END), length 0:
 * stream_complete(0), and the domain is built from what came before.
 * When that was the whole guest (the libxc stream, and the emulator
 * context of an HVM guest), the guest runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void xlsr__xl_differs(struct xlsr_session *s, const char *fmt, ...)
{
    va_list ap;
    if (s->xl_note[0])
        return;         /* the first difference decides xl's verdict */
    va_start(ap, fmt);
    vsnprintf(s->xl_note, sizeof(s->xl_note), fmt, ap);
    va_end(ap);
    xlsr__logf(s, XLSR_LOG_WARN, "%s", s->xl_note);
}

XLSR_API const char *xlsr_session_xl_restore_note(
    const struct xlsr_session *s)
{
    return s->xl_note[0] ? s->xl_note : NULL;
}

void xlsr__note_hdr_eof(struct xlsr_session *s, const uint8_t *h, size_t got)
{
    static const uint8_t zero[8];
    s->eof_hdr = true;
    s->eof_hdr_zero = got <= sizeof(zero) && memcmp(h, zero, got) == 0;
    s->eof_hdr_got = got;
}

void xlsr__xl_cut_note(struct xlsr_session *s)
{
    /* A header cut short: the last record before it was complete. */
    if (!s->eof_hdr || !s->eof_hdr_zero || s->state != XLSR__S_NORMAL ||
        s->checkpointed || !s->libxc_streams)
        return;
    /* libxl builds an HVM guest's device model from the EMULATOR_CONTEXT
     * record; without it qemu has no state to load. */
    if (s->guest == XLSR__G_HVM
            ? s->last_type != XLSR_REC_EMULATOR_CONTEXT
            : s->last_type != XLSR_REC_LIBXC_CONTEXT &&
              s->last_type != XLSR_REC_EMULATOR_CONTEXT)
        return;
    if (s->eof_hdr_got)
        xlsr__xl_differs(s, "stock xl restore would accept this stream and "
                         "the guest would run: libxl zero-fills the cut "
                         "record header (%zu of 8 bytes came, all zero) and "
                         "reads it as END (libxl_aoutils.c: EOF ends a read "
                         "without error); xlsr refuses the cut file",
                         s->eof_hdr_got);
    else
        xlsr__xl_differs(s, "stock xl restore would accept this stream and "
                         "the guest would run: libxl reads an end of file "
                         "at a record boundary as an END record "
                         "(libxl_aoutils.c: EOF ends a read without error); "
                         "xlsr refuses the cut file");
}
