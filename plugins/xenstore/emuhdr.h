/*
 * emuhdr.h - the 8-byte header that starts both emulator records
 * (EMULATOR_XENSTORE_DATA and EMULATOR_CONTEXT): emulator_id u32 and
 * index u32 (libxl-migration-stream spec), read little-endian: the byte
 * order libxl writes on every architecture it supports (x86, ARM).
 */
#ifndef XLSR_PLUGINS_EMUHDR_H
#define XLSR_PLUGINS_EMUHDR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EMUHDR_SIZE 8u

static inline uint32_t emuhdr_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* 0 with *id / *index set, or -1 with a reason in err. */
static inline int emuhdr_parse(const uint8_t *body, size_t len,
                               uint32_t *id, uint32_t *index,
                               char *err, size_t errlen)
{
    if (len < EMUHDR_SIZE || !body) {
        snprintf(err, errlen, "record body is %zu bytes, shorter than the "
                 "%u-byte emulator header", len, EMUHDR_SIZE);
        return -1;
    }
    *id = emuhdr_le32(body);
    *index = emuhdr_le32(body + 4);
    return 0;
}

/* Name of an emulator id (spec: 0 unknown, 1 qemu-trad, 2 qemu-xen). */
static inline const char *emuhdr_name(uint32_t id)
{
    switch (id) {
    case 0: return "unknown";
    case 1: return "qemu-traditional";
    case 2: return "qemu-xen";
    default: return "reserved";
    }
}

#endif
