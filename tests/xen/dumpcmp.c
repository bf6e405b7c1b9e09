/*
 * tests/xen/dumpcmp.c - xlsr-dumpcmp, the dom0 half of the PVH/HVM export
 * test (image-tests/export-dumpcore.sh): `xl dump-core` of a paused
 * auto-translated domain against xlsr's dump-core export of an `xl save
 * -p` of the same domain, page by page, by pfn.
 *
 *   xlsr-dumpcmp [-d DOMID] THEIRS OURS
 *
 * Both are ELF cores in the .xen_pfn form (docs/misc/dump-core-format.txt:
 * page i of .xen_pages is pfn .xen_pfn[i]; ~0 pads when the domain held
 * fewer pages than it counted).  For every pfn of THEIRS the page of OURS
 * with that pfn must be equal byte for byte.  A pfn THEIRS holds and OURS
 * does not is asked of Xen while the domain still exists (-d):
 * XEN_DOMCTL_getpageframeinfo3, the call the saver makes for every batch
 * (tools/libs/guest/xg_sr_save.c write_batch), answers XTAB for Xen's own
 * pages mapped into the guest (shared info, grant table frames:
 * xen/arch/x86/domctl.c, is_special_page), which the save therefore never
 * carries while xl dump-core maps them like any other pfn.  The pfns OURS
 * holds and THEIRS does not must be those xl dump-core leaves out on
 * purpose (tools/libs/guest/xg_core_x86.c xc_core_arch_gpfn_may_present:
 * the VGA hole 0xa0-0xbf and 0xf0000000-4 GiB).
 *
 * Prints facts as "key value" lines; the host judges them
 * (tests/export/cmp-dumpcore.py).  Exit 0 unless a file cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenctrl.h>

#include "../../plugins/common/fdio.h"

/* Exported by libxenctrl 4.17 (VERS_4.17.0) but declared only in its
 * private tools/libs/ctrl/xc_private.h. */
int xc_get_pfn_type_batch(xc_interface *xch, uint32_t dom, unsigned int num,
                          xen_pfn_t *arr);

#define PAGE 4096
#define NO_PFN UINT64_MAX
#define SHOW 16

struct core {
    int fd;
    uint64_t pages_off, pages_size;
    uint64_t *pfn;
    size_t n;
};

/* n bytes at off, or -1. */
static int get(int fd, void *buf, size_t n, uint64_t off)
{
    return fdio_pread_all(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static uint64_t u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Offset and size of the section called name, or -1. */
static int section(int fd, const char *name, uint64_t *off, uint64_t *size)
{
    uint8_t eh[64], sh[64], str[64];
    if (get(fd, eh, sizeof(eh), 0) || memcmp(eh, "\177ELF\2\1", 6))
        return -1;
    uint64_t shoff = u64(eh + 40);
    unsigned n = u16(eh + 60), si = u16(eh + 62);
    if (si >= n || get(fd, sh, sizeof(sh), shoff + 64ull * si))
        return -1;
    uint64_t stroff = u64(sh + 24), strsize = u64(sh + 32);
    for (unsigned i = 0; i < n; i++) {
        if (get(fd, sh, sizeof(sh), shoff + 64ull * i))
            return -1;
        uint32_t at = u32(sh);
        if (at >= strsize)
            continue;
        memset(str, 0, sizeof(str));
        size_t k = strsize - at < sizeof(str) - 1 ? strsize - at
                                                  : sizeof(str) - 1;
        if (get(fd, str, k, stroff + at))
            return -1;
        if (!strcmp((char *)str, name)) {
            *off = u64(sh + 24);
            *size = u64(sh + 32);
            return 0;
        }
    }
    return -1;
}

static int load(const char *path, struct core *c)
{
    uint64_t off, size;
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0 || section(c->fd, ".xen_pages", &c->pages_off,
                             &c->pages_size) ||
        section(c->fd, ".xen_pfn", &off, &size) || size % 8 ||
        size / 8 > c->pages_size / PAGE) {
        fprintf(stderr, "xlsr-dumpcmp: %s: not a .xen_pfn dump-core\n", path);
        return -1;
    }
    c->n = size / 8;
    c->pfn = malloc(size ? size : 1);
    if (!c->pfn || get(c->fd, c->pfn, size, off)) {
        fprintf(stderr, "xlsr-dumpcmp: %s: cannot read .xen_pfn\n", path);
        return -1;
    }
    return 0;
}

/* Index of pfn in c (ascending .xen_pfn, as xlsr writes it), or -1. */
static long find(const struct core *c, uint64_t pfn)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->pfn[mid] < pfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->pfn[lo] == pfn ? (long)lo : -1;
}

/* xg_core_x86.c xc_core_arch_gpfn_may_present() */
static int dumpcore_skips(uint64_t pfn)
{
    return (pfn >= 0xa0 && pfn < 0xc0) ||
           (pfn >= 0xf0000 && pfn < 0x100000);
}

static void list(const char *key, const uint64_t *v, size_t n)
{
    printf("%s", key);
    for (size_t i = 0; i < n && i < SHOW; i++)
        printf(" %#" PRIx64, v[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    long domid = -1;
    int o;
    while ((o = getopt(argc, argv, "d:")) != -1) {
        if (o != 'd')
            return 2;
        domid = strtol(optarg, NULL, 0);
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: xlsr-dumpcmp [-d DOMID] THEIRS OURS\n");
        return 2;
    }
    struct core t = { -1, 0, 0, NULL, 0 }, u = { -1, 0, 0, NULL, 0 };
    if (load(argv[optind], &t) || load(argv[optind + 1], &u)) {
        free(t.pfn);
        free(u.pfn);
        return 1;
    }
    for (size_t i = 1; i < u.n; i++)
        if (u.pfn[i] <= u.pfn[i - 1]) {
            fprintf(stderr, "xlsr-dumpcmp: our .xen_pfn does not ascend\n");
            free(t.pfn);
            free(u.pfn);
            return 1;
        }

    static uint8_t a[PAGE], b[PAGE];
    uint64_t *missing = calloc(t.n + 1, 8), *differ = calloc(t.n + 1, 8);
    uint8_t *used = calloc(u.n + 1, 1);
    size_t nmiss = 0, ndiff = 0, equal = 0, pad = 0, order = 0;
    if (!missing || !differ || !used)
        return 1;
    for (size_t i = 0; i < t.n; i++) {
        uint64_t pfn = t.pfn[i];
        if (pfn == NO_PFN) {
            pad++;
            continue;
        }
        if (i && t.pfn[i - 1] != NO_PFN && pfn <= t.pfn[i - 1])
            order++;
        long j = find(&u, pfn);
        if (j < 0) {
            missing[nmiss++] = pfn;
            continue;
        }
        used[j] = 1;
        if (get(t.fd, a, PAGE, t.pages_off + (uint64_t)i * PAGE) ||
            get(u.fd, b, PAGE, u.pages_off + (uint64_t)j * PAGE)) {
            fprintf(stderr, "xlsr-dumpcmp: page %zu / %ld unreadable\n", i, j);
            return 1;
        }
        if (memcmp(a, b, PAGE))
            differ[ndiff++] = pfn;
        else
            equal++;
    }
    size_t extra_skipped = 0, extra_other = 0;
    uint64_t *other = calloc(u.n + 1, 8);
    if (!other)
        return 1;
    for (size_t j = 0; j < u.n; j++)
        if (!used[j]) {
            if (dumpcore_skips(u.pfn[j]))
                extra_skipped++;
            else
                other[extra_other++] = u.pfn[j];
        }

    printf("theirs_pfns %zu\n", t.n - pad);
    printf("theirs_padding %zu\n", pad);
    printf("theirs_out_of_order %zu\n", order);
    printf("ours_pfns %zu\n", u.n);
    printf("pages_equal %zu\n", equal);
    printf("pages_differ %zu\n", ndiff);
    list("pages_differ_pfns", differ, ndiff);
    printf("missing %zu\n", nmiss);
    list("missing_pfns", missing, nmiss);
    printf("ours_extra_dumpcore_skips %zu\n", extra_skipped);
    printf("ours_extra_other %zu\n", extra_other);
    list("ours_extra_other_pfns", other, extra_other);

    /* What Xen's saver was told about the pfns the save lacks. */
    size_t xtab = 0, typed = 0;
    if (nmiss && domid >= 0) {
        xc_interface *xch = xc_interface_open(NULL, NULL, 0);
        xen_pfn_t *q = calloc(nmiss, sizeof(*q));
        int rc = -1;
        if (xch && q) {
            for (size_t k = 0; k < nmiss; k++)
                q[k] = missing[k];
            rc = xc_get_pfn_type_batch(xch, (uint32_t)domid,
                                       (unsigned)nmiss, q);
        }
        if (rc == 0)
            for (size_t k = 0; k < nmiss; k++) {
                if ((q[k] & XEN_DOMCTL_PFINFO_LTAB_MASK) ==
                    XEN_DOMCTL_PFINFO_XTAB)
                    xtab++;
                else
                    typed++;
            }
        printf("missing_type_query_rc %d\n", rc);
        free(q);
        if (xch)
            xc_interface_close(xch);
    }
    printf("missing_xtab %zu\n", xtab);
    printf("missing_typed %zu\n", typed);
    free(missing);
    free(differ);
    free(used);
    free(other);
    free(t.pfn);
    free(u.pfn);
    close(t.fd);
    close(u.fd);
    return 0;
}
