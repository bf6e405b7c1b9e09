/*
 * config.c - the xl header in front of the stream and the libxl domain
 * configuration (JSON) it carries, read with yajl as libxl does.
 *
 * `xl save` writes the configuration as the user gave it plus what libxl
 * filled in at creation (libxl_retrieve_domain_configuration), not every
 * default: a field absent here gets libxl's default, as
 * libxl__domain_build_info_setdefault (tools/libs/light/libxl_create.c)
 * would give it on `xl restore`.  Fields that need devices this toolstack
 * does not build (disks, NICs, PCI, USB, a display) are refused by name
 * rather than silently dropped: the guest would not be the guest saved.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "../../../plugins/common/fdio.h"
#include "ts.h"

/* --- the xl file header (FORMAT.md "xl save file"; tools/xl/xl_saverestore.c) */

#define XL_MAGIC "Xen saved domain, xl format\n \0 \r"
#define XL_MAGIC_LEN 32
#define XL_BYTE_ORDER 0x01020304u
#define XL_MANDATORY_JSON 0x1u          /* the config is JSON */
#define XL_MANDATORY_STREAMV2 0x2u      /* a libxl v2 stream follows */
/* The configuration of a guest is a few KiB; refuse to allocate whatever
 * a hostile header claims. */
#define XL_MAX_OPTIONAL (1u << 20)

const char *ts_type_name(enum guest_type t)
{
    static const char *const names[] = { "pv", "pvh", "hvm" };
    return names[t];
}

/* --- yajl helpers ---------------------------------------------------------- */

static yajl_val member(yajl_val obj, const char *key)
{
    const char *path[] = { key, NULL };
    return obj && YAJL_IS_OBJECT(obj) ? yajl_tree_get(obj, path, yajl_t_any)
                                      : NULL;
}

/* An unsigned integer member: 0 found, 1 absent, -1 present but not one. */
static int get_u64(yajl_val obj, const char *key, uint64_t *out)
{
    yajl_val v = member(obj, key);
    if (!v)
        return 1;
    if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
        return -1;
    *out = (uint64_t)YAJL_GET_INTEGER(v);
    return 0;
}

/* A string member copied into buf: 0 found, 1 absent, -1 not a string
 * or too long. */
static int get_str(yajl_val obj, const char *key, char *buf, size_t len)
{
    yajl_val v = member(obj, key);
    if (!v)
        return 1;
    if (!YAJL_IS_STRING(v) || strlen(v->u.string) >= len)
        return -1;
    snprintf(buf, len, "%s", v->u.string);
    return 0;
}

/* libxl's defbool: the strings "True"/"False" (or "<default>"), in JSON
 * also plain booleans from other writers. */
static int get_bool(yajl_val obj, const char *key, bool def, bool *out)
{
    yajl_val v = member(obj, key);
    *out = def;
    if (!v)
        return 0;
    if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
        *out = YAJL_IS_TRUE(v);
        return 0;
    }
    if (YAJL_IS_STRING(v)) {
        const char *s = v->u.string;
        if (!strcmp(s, "True") || !strcmp(s, "true"))
            *out = true;
        else if (!strcmp(s, "False") || !strcmp(s, "false"))
            *out = false;
        else if (strcmp(s, "<default>"))
            return -1;
        return 0;
    }
    return -1;
}

static bool non_empty(yajl_val obj, const char *key)
{
    yajl_val v = member(obj, key);
    return v && ((YAJL_IS_ARRAY(v) && v->u.array.len) ||
                 (YAJL_IS_OBJECT(v) && v->u.object.len));
}

static int parse_uuid(const char *text, xen_domain_handle_t out)
{
    unsigned b[16];

    if (strlen(text) != 36 ||
        sscanf(text, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x",
               &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7],
               &b[8], &b[9], &b[10], &b[11], &b[12], &b[13], &b[14],
               &b[15]) != 16)
        return -1;
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)b[i];
    return 0;
}

static int bad(const char *what)
{
    fprintf(stderr, TS ": the xl configuration: %s\n", what);
    return -1;
}

/* libxl_get_required_shadow_memory (libxl_utils.c): 1 MiB per vCPU, plus
 * two pages per MiB of guest RAM (P2M and shadows), in KiB. */
static uint64_t default_shadow_kb(uint64_t max_memkb, uint32_t vcpus)
{
    return 4 * (256 * (uint64_t)vcpus + 2 * (max_memkb / 1024));
}

/* The devices a guest of the saved configuration had that this toolstack
 * does not recreate: refused by name. */
static int refuse_devices(yajl_val root, yajl_val b_info)
{
    static const char *const lists[] = { "disks", "nics", "pcidevs",
                                         "vfbs", "vkbs", "usbctrls",
                                         "usbdevs", "channels", "p9s",
                                         "vtpms", "dtdevs", "vdispls",
                                         "vsnds", "virtios" };
    char msg[96];

    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (non_empty(root, lists[i])) {
            snprintf(msg, sizeof(msg), "has %s, which this toolstack does "
                     "not recreate", lists[i]);
            return bad(msg);
        }
    bool stub = false;
    if (get_bool(b_info, "device_model_stubdomain", false, &stub) || stub)
        return bad("a device model stub domain is not supported");
    return 0;
}

/* type.hvm: the platform parameters and the device model's devices. */
static int parse_hvm(yajl_val b_info, yajl_val hvm, struct guest *g)
{
    struct dm_config *dm = &g->dm;
    yajl_val vga = member(hvm, "vga"), vnc = member(hvm, "vnc");
    char dmv[32] = "qemu_xen", s[8];

    if (get_str(b_info, "device_model_version", dmv, sizeof(dmv)) < 0 ||
        strcmp(dmv, "qemu_xen"))
        return bad("only device_model_version qemu_xen is supported");
    /* libxl's default card for qemu-xen is cirrus (libxl_create.c). */
    snprintf(dm->vga, sizeof(dm->vga), "cirrus");
    if (get_str(vga, "kind", s, sizeof(s)) == 0) {
        if (strcmp(s, "std") && strcmp(s, "cirrus") && strcmp(s, "none"))
            return bad("b_info.type.hvm.vga.kind is not std, cirrus or "
                       "none");
        snprintf(dm->vga, sizeof(dm->vga), "%s", s);
    }
    /* Video RAM: libxl's defaults are 16 MiB (std) and 8 MiB (cirrus). */
    if (get_u64(b_info, "video_memkb", &g->video_memkb) < 0)
        return bad("b_info.video_memkb is not a number");
    if (!g->video_memkb || g->video_memkb == UINT64_MAX)
        g->video_memkb = !strcmp(dm->vga, "std") ? 16384
                         : !strcmp(dm->vga, "cirrus") ? 8192 : 0;
    if (g->video_memkb >= g->max_memkb)
        return bad("b_info.video_memkb leaves no guest RAM");
    /* A display needs a VNC/SDL/Spice server this toolstack does not run:
     * refused when asked for (libxl's VNC default is on). */
    if (get_bool(vnc, "enable", true, &dm->vnc))
        return bad("b_info.type.hvm.vnc.enable is not a boolean");
    if (dm->vnc)
        return bad("VNC is enabled; this toolstack runs no display "
                   "(vnc = 0)");
    bool sdl = false, spice = false;
    if (get_bool(member(hvm, "sdl"), "enable", false, &sdl) || sdl ||
        get_bool(member(hvm, "spice"), "enable", false, &spice) || spice)
        return bad("SDL or Spice is enabled; this toolstack runs no "
                   "display");
    if (get_str(hvm, "serial", dm->serial, sizeof(dm->serial)) < 0)
        return bad("b_info.type.hvm.serial is not a string");
    if (non_empty(hvm, "serial_list"))
        return bad("b_info.type.hvm.serial_list is not supported");
    snprintf(dm->boot, sizeof(dm->boot), "cda");
    if (get_str(hvm, "boot", dm->boot, sizeof(dm->boot)) < 0)
        return bad("b_info.type.hvm.boot is not a string");
    if (strspn(dm->boot, "acdn") != strlen(dm->boot) || !dm->boot[0])
        return bad("b_info.type.hvm.boot is not made of a, c, d, n");
    static const char *const unsupported[] = { "usb", "usbdevice",
                                               "soundhw", "nographic" };
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]);
         i++) {
        /* absent, null or "False": not asked for */
        yajl_val u = member(hvm, unsupported[i]);
        if (u && !YAJL_IS_NULL(u) &&
            !(YAJL_IS_STRING(u) && !strcmp(u->u.string, "False"))) {
            char msg[96];
            snprintf(msg, sizeof(msg), "b_info.type.hvm.%s is not "
                     "supported", unsupported[i]);
            return bad(msg);
        }
    }
    if (get_bool(hvm, "hpet", true, &g->hpet) ||
        get_bool(hvm, "vpt_align", true, &g->vpt_align))
        return bad("b_info.type.hvm hpet/vpt_align are not booleans");
    return 0;
}

/* Direct kernel boot (QEMU -kernel/-initrd/-append): the device model
 * loads these at start, and its fw_cfg state must match the saved one. */
static int parse_direct_boot(yajl_val b_info, struct dm_config *dm)
{
    if (get_str(b_info, "kernel", dm->kernel, sizeof(dm->kernel)) < 0 ||
        get_str(b_info, "ramdisk", dm->ramdisk, sizeof(dm->ramdisk)) < 0 ||
        get_str(b_info, "cmdline", dm->cmdline, sizeof(dm->cmdline)) < 0)
        return bad("b_info.kernel/ramdisk/cmdline are not strings of a "
                   "sane length");
    return 0;
}

int ts_parse_config(const char *json, size_t len, struct guest *g)
{
    char errbuf[256], type[8], msg[400];
    char *text = malloc(len + 1);
    yajl_val root, c_info, b_info;
    uint64_t n;
    int rc = -1;

    if (!text)
        return bad("out of memory");
    memcpy(text, json, len);
    text[len] = '\0';
    errbuf[0] = '\0';
    root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
    free(text);
    if (!root) {
        errbuf[strcspn(errbuf, "\n")] = '\0';
        snprintf(msg, sizeof(msg), "not valid JSON (yajl: %s)",
                 errbuf[0] ? errbuf : "parse error");
        return bad(msg);
    }
    c_info = member(root, "c_info");
    b_info = member(root, "b_info");
    if (!c_info || !b_info || !YAJL_IS_OBJECT(c_info) ||
        !YAJL_IS_OBJECT(b_info)) {
        bad("no c_info/b_info objects");
        goto out;
    }

    /* The guest type: only c_info.type tells PVH from HVM (both are HVM
     * streams). */
    if (get_str(c_info, "type", type, sizeof(type))) {
        bad("c_info.type missing");
        goto out;
    }
    if (!strcmp(type, "pv"))
        g->type = GUEST_PV;
    else if (!strcmp(type, "pvh"))
        g->type = GUEST_PVH;
    else if (!strcmp(type, "hvm"))
        g->type = GUEST_HVM;
    else {
        bad("c_info.type is not pv, pvh or hvm");
        goto out;
    }
    if (get_str(c_info, "name", g->name, sizeof(g->name)))
        snprintf(g->name, sizeof(g->name), "xlsr-guest");
    if (!get_str(c_info, "uuid", g->uuid_text, sizeof(g->uuid_text)) &&
        !parse_uuid(g->uuid_text, g->uuid))
        g->have_uuid = true;

    if (get_u64(b_info, "max_vcpus", &n) || !n || n > 512) {
        bad("b_info.max_vcpus missing or out of range");
        goto out;
    }
    g->max_vcpus = (uint32_t)n;
    if (get_u64(b_info, "max_memkb", &g->max_memkb) ||
        get_u64(b_info, "target_memkb", &g->target_memkb) ||
        !g->target_memkb || g->target_memkb > g->max_memkb ||
        g->max_memkb > (UINT64_C(1) << 40)) {
        bad("b_info.max_memkb/target_memkb missing or inconsistent");
        goto out;
    }
    /* Optional, with libxl's defaults. */
    g->max_grant_version = 0;
    if (get_u64(b_info, "max_grant_version", &g->max_grant_version) < 0 ||
        g->max_grant_version > 2) {
        bad("b_info.max_grant_version is not 1 or 2");
        goto out;
    }
    g->max_grant_frames = g->max_maptrack_frames = -1;
    if (!get_u64(b_info, "max_grant_frames", &n) && n < (1u << 20))
        g->max_grant_frames = (int64_t)n;
    if (!get_u64(b_info, "max_maptrack_frames", &n) && n < (1u << 20))
        g->max_maptrack_frames = (int64_t)n;
    g->event_channels = 1023;       /* libxl's default */
    if (!get_u64(b_info, "event_channels", &n) && n && n < (1u << 17))
        g->event_channels = (uint32_t)n;
    char tsc[24] = "default";
    if (get_str(b_info, "tsc_mode", tsc, sizeof(tsc)) < 0) {
        bad("b_info.tsc_mode is not a string");
        goto out;
    }
    /* libxl_types.idl: default, always_emulate, native (native_paravirt
     * was removed). */
    if (!strcmp(tsc, "default"))
        g->tsc_mode = 0;
    else if (!strcmp(tsc, "always_emulate"))
        g->tsc_mode = 1;
    else if (!strcmp(tsc, "native"))
        g->tsc_mode = 2;
    else {
        bad("b_info.tsc_mode is not default, always_emulate or native");
        goto out;
    }
    if (get_bool(member(b_info, "arch_x86"), "msr_relaxed", false,
                 &g->msr_relaxed)) {
        bad("b_info.arch_x86.msr_relaxed is not a boolean");
        goto out;
    }
    /* libxl's timer_mode default: no_delay_for_missed_ticks (1). */
    g->timer_mode = 1;
    if (refuse_devices(root, b_info))
        goto out;

    if (g->type == GUEST_PV) {
        if (get_u64(member(b_info, "type.pv"), "slack_memkb",
                    &g->slack_memkb) < 0) {
            bad("b_info.type.pv.slack_memkb is not a number");
            goto out;
        }
    } else {
        if (get_u64(b_info, "shadow_memkb", &g->shadow_memkb) < 0) {
            bad("b_info.shadow_memkb is not a number");
            goto out;
        }
        if (!g->shadow_memkb || g->shadow_memkb == UINT64_MAX)
            g->shadow_memkb = default_shadow_kb(g->max_memkb, g->max_vcpus);
    }
    if (g->type == GUEST_HVM) {
        yajl_val hvm = member(b_info, "type.hvm");
        if (parse_hvm(b_info, hvm, g) || parse_direct_boot(b_info, &g->dm))
            goto out;
    }
    rc = 0;
out:
    yajl_tree_free(root);
    return rc;
}

/* Reads the xl header and its JSON configuration from the fd, leaving the
 * offset at the libxl stream's first byte (a pipe works as well as a
 * file); the session then reads a bare libxl stream. */
int ts_read_xl_header(int fd, struct guest *g)
{
    unsigned char hdr[XL_MAGIC_LEN + 16];
    uint32_t order, mandatory, optlen, cfglen;
    char *opt;
    int rc = -1;

    if (fdio_read_exact(fd, hdr, sizeof(hdr)) ||
        memcmp(hdr, XL_MAGIC, XL_MAGIC_LEN)) {
        fprintf(stderr, TS ": not an xl save file (no xl header): the "
                "domain cannot be sized\n");
        return -1;
    }
    memcpy(&order, hdr + 32, 4);
    memcpy(&mandatory, hdr + 36, 4);
    memcpy(&optlen, hdr + 44, 4);
    if (order != XL_BYTE_ORDER) {
        fprintf(stderr, TS ": xl header from a host of the other byte "
                "order\n");
        return -1;
    }
    if (!(mandatory & XL_MANDATORY_JSON) ||
        !(mandatory & XL_MANDATORY_STREAMV2)) {
        fprintf(stderr, TS ": xl header without a JSON configuration or "
                "a v2 stream (mandatory flags 0x%x)\n", mandatory);
        return -1;
    }
    /* Optional data: u32 length of the configuration, then the text. */
    if (optlen < 4 || optlen > XL_MAX_OPTIONAL) {
        fprintf(stderr, TS ": xl header optional data of %u bytes\n",
                optlen);
        return -1;
    }
    opt = malloc(optlen);
    if (!opt)
        return -1;
    if (fdio_read_exact(fd, opt, optlen)) {
        fprintf(stderr, TS ": stream ends inside the xl header\n");
        goto out;
    }
    memcpy(&cfglen, opt, 4);
    if (cfglen > optlen - 4) {
        fprintf(stderr, TS ": configuration length %u exceeds the optional "
                "data\n", cfglen);
        goto out;
    }
    /* xl writes the text with its NUL; yajl wants none inside. */
    size_t len = strnlen(opt + 4, cfglen);
    rc = ts_parse_config(opt + 4, len, g);
out:
    free(opt);
    return rc;
}
