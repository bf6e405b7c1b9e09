/*
 * hvm.c - HVM_CONTEXT and HVM_PARAMS as Xen 4.17 loads them.
 *
 * HVM_CONTEXT is the hypervisor's own save blob, handed unchanged to
 * XEN_DOMCTL_sethvmcontext.  Facts from xen/arch/x86/hvm/save.c hvm_load()
 * and _hvm_check_entry(), the load handlers, and
 * xen/include/public/arch-x86/hvm/save.h (type codes and structures):
 *  - a HEADER entry first, of exactly its size, with HVM_FILE_MAGIC and
 *    HVM_FILE_VERSION (arch_hvm_load);
 *  - then descriptors (typecode u16, instance u16, length u32) whose body
 *    fits what is left; typecode 0 (END) stops the load; running out of
 *    bytes first is -ENODATA;
 *  - a typecode above HVM_SAVE_CODE_MAX or without a load handler (a
 *    second HEADER) is -EINVAL;
 *  - most entries must have exactly their structure's size; CPU, LAPIC,
 *    RTC, VMCE_VCPU and the viridian entries may be shorter (an older Xen
 *    wrote them; the rest is zero-filled) but never longer;
 *  - per-vcpu entries name a vcpu the domain has (hvm_load_cpu_ctxt:
 *    "dom has no vcpu"); the PIC has two instances.
 * Bytes after END, and a non-zero END length, Xen never reads:
 * conformance findings, not restore failures.
 *
 * HVM_PARAMS: xg_sr_restore_x86_hvm.c handle_hvm_params() sets each with
 * HVMOP_set_param, which refuses an index >= HVM_NR_PARAMS
 * (xen/arch/x86/hvm/hvm.c); STORE_PFN and CONSOLE_PFN are cleared with
 * errors ignored and later used by libxl and the guest, so a pfn the
 * stream never populated restores "successfully" and then times out.
 */
#include <stdio.h>

#include "libxc.h"

#include <xen/xen.h>
#include <xen/hvm/save.h>

/* xen/include/public/hvm/params.h */
#define HVM_PARAM_STORE_PFN     1
#define HVM_PARAM_CONSOLE_PFN   17
#define HVM_NR_PARAMS           39

enum { EXACT = 1, ZEXT, ANY };
enum { DOM = 0, VCPU, PIC2 };

struct hvm_type {
    const char *name;
    uint32_t size;
    uint8_t rule, inst;
};

#define T(code, nm, st, rule, inst) [code] = { nm, sizeof(st), rule, inst }
static const struct hvm_type hvm_types[HVM_SAVE_CODE_MAX + 1] = {
    T(1, "HEADER", struct hvm_save_header, EXACT, DOM),
    T(2, "CPU", struct hvm_hw_cpu, ZEXT, VCPU),
    T(3, "PIC", struct hvm_hw_vpic, EXACT, PIC2),
    T(4, "IOAPIC", struct hvm_hw_vioapic, EXACT, DOM),
    T(5, "LAPIC", struct hvm_hw_lapic, ZEXT, VCPU),
    T(6, "LAPIC_REGS", struct hvm_hw_lapic_regs, EXACT, VCPU),
    T(7, "PCI_IRQ", struct hvm_hw_pci_irqs, EXACT, DOM),
    T(8, "ISA_IRQ", struct hvm_hw_isa_irqs, EXACT, DOM),
    T(9, "PCI_LINK", struct hvm_hw_pci_link, EXACT, DOM),
    T(10, "PIT", struct hvm_hw_pit, EXACT, DOM),
    T(11, "RTC", struct hvm_hw_rtc, ZEXT, DOM),
    T(12, "HPET", struct hvm_hw_hpet, EXACT, DOM),
    T(13, "PMTIMER", struct hvm_hw_pmtimer, EXACT, DOM),
    T(14, "MTRR", struct hvm_hw_mtrr, EXACT, VCPU),
    T(15, "VIRIDIAN_DOMAIN", struct hvm_viridian_domain_context, ZEXT, DOM),
    T(16, "CPU_XSAVE", struct hvm_hw_cpu_xsave, ANY, VCPU),
    T(17, "VIRIDIAN_VCPU", struct hvm_viridian_vcpu_context, ZEXT, VCPU),
    T(18, "VMCE_VCPU", struct hvm_vmce_vcpu, ZEXT, VCPU),
    T(19, "TSC_ADJUST", struct hvm_tsc_adjust, EXACT, VCPU),
    T(20, "CPU_MSR", struct hvm_msr, ANY, VCPU),
};
#undef T

int lx_hvm_context(struct lx_verify *v, uint64_t off, uint32_t len)
{
    const char *what = "record HVM_CONTEXT (0x9)";
    uint64_t at = off + 8, left = len;     /* `at`: next descriptor */
    uint8_t d[8];
    int rc;

    for (unsigned n = 0;; n++) {
        if (left < 8)
            return lx_vfail(v, XLSR_ERR_STREAM, at, what, "entry %u: %llu "
                            "bytes left, no END descriptor (hvm_load: \"save "
                            "did not end with a null entry\")", n,
                            (unsigned long long)left);
        rc = lx_rd(v, d, 8, off, what);
        if (rc)
            return rc;
        left -= 8;
        uint16_t code = lx_le16(d), inst = lx_le16(d + 2);
        uint32_t elen = lx_le32(d + 4);
        if (n > 0 && code == 0) {
            if (elen || left) {
                rc = lx_conform(v, at, what, "END descriptor with length "
                                "%u and %llu bytes after it (Xen stops at "
                                "END)", elen, (unsigned long long)left);
                if (rc)
                    return rc;
            }
            return lx_sk(v, left, off, what);
        }
        const struct hvm_type *t = code <= HVM_SAVE_CODE_MAX ?
                                   &hvm_types[code] : NULL;
        if (n == 0 && code != 1)
            return lx_vfail(v, XLSR_ERR_STREAM, at, what, "first entry has "
                            "typecode %u, Xen loads a HEADER (1) first",
                            code);
        if (!t || !t->name || (n > 0 && code == 1))
            return lx_vfail(v, XLSR_ERR_STREAM, at, what, "entry %u: "
                            "unknown typecode %u (hvm_load: -EINVAL)", n,
                            code);
        if (elen > left)
            return lx_vfail(v, XLSR_ERR_STREAM, at, what, "entry %u (%s): "
                            "length %u, only %llu bytes left", n, t->name,
                            elen, (unsigned long long)left);
        if ((t->rule == EXACT && elen != t->size) ||
            (t->rule == ZEXT && elen > t->size))
            return lx_vfail(v, XLSR_ERR_STREAM, at, what, "entry %u (%s): "
                            "length %u, Xen 4.17 takes %s%u", n, t->name,
                            elen, t->rule == ZEXT ? "at most " : "", t->size);
        uint32_t vcpus = v->cfg.max_vcpus;
        if (t->inst == VCPU && vcpus && inst >= vcpus)
            return lx_vfail(v, XLSR_ERR_STREAM, at, what, "entry %u (%s): "
                            "vcpu %u, the domain has %u (max_vcpus)", n,
                            t->name, inst, vcpus);
        if (t->inst == PIC2 && inst > 1)
            return lx_vfail(v, XLSR_ERR_STREAM, at, what, "entry %u (PIC): "
                            "instance %u, there are two (vpic_load)", n,
                            inst);
        if (code == 1) {
            uint8_t h[sizeof(struct hvm_save_header)];
            rc = lx_rd(v, h, sizeof(h), off, what);
            if (rc)
                return rc;
            if (lx_le32(h) != HVM_FILE_MAGIC)
                return lx_vfail(v, XLSR_ERR_STREAM, at + 8, what, "HEADER "
                                "magic %#x, expected %#x (arch_hvm_load)",
                                lx_le32(h), HVM_FILE_MAGIC);
            if (lx_le32(h + 4) != HVM_FILE_VERSION)
                return lx_vfail(v, XLSR_ERR_STREAM, at + 12, what, "HEADER "
                                "version %u, expected %u (arch_hvm_load)",
                                lx_le32(h + 4), HVM_FILE_VERSION);
        } else {
            rc = lx_sk(v, elen, off, what);
            if (rc)
                return rc;
        }
        left -= elen;
        at += 8 + elen;
    }
}

const char *lx_hvm_param(struct lx_verify *v, uint64_t index,
                         uint64_t value, char *why, size_t whylen)
{
    if (index >= HVM_NR_PARAMS) {
        snprintf(why, whylen, "param index %llu, Xen 4.17 has %u "
                 "(HVMOP_set_param: -EINVAL)", (unsigned long long)index,
                 HVM_NR_PARAMS);
        return why;
    }
    if (index == HVM_PARAM_STORE_PFN)
        v->store_pfn = value;
    else if (index == HVM_PARAM_CONSOLE_PFN)
        v->console_pfn = value;
    return NULL;
}

static const char *special_pfn(struct lx_verify *v, const char *name,
                               uint64_t pfn, char *why, size_t whylen)
{
    if (pfn == UINT64_MAX || v->map.overflow)
        return NULL;
    uint16_t *f = lx_pfn_slot(&v->map, pfn, false);
    if (!f || !(*f & LX_PFN_SEEN)) {
        snprintf(why, whylen, "HVM_PARAMS %s %#llx names a page the stream "
                 "never populated: the restore reports success, then libxl "
                 "or the guest waits on it forever", name,
                 (unsigned long long)pfn);
        return why;
    }
    return NULL;
}

const char *lx_hvm_end(struct lx_verify *v, char *why, size_t whylen)
{
    const char *r = special_pfn(v, "STORE_PFN", v->store_pfn, why, whylen);
    return r ? r : special_pfn(v, "CONSOLE_PFN", v->console_pfn, why,
                               whylen);
}
