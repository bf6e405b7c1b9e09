/*
 * policy.c - the values Xen 4.17 refuses when a restore loads them:
 * X86_TSC_INFO's mode, and each entry of X86_CPUID_POLICY and
 * X86_MSR_POLICY, which libxenguest passes unchanged to the hypervisor
 * (xg_sr_common_x86.c x86_static_data_complete -> XEN_DOMCTL_set_cpu_policy).
 *
 * Facts:
 *  - xen/arch/x86/time.c tsc_set_info(): modes 0 (default), 1 (always
 *    emulate) and 2 (never emulate); anything else is -EINVAL (mode 3,
 *    PVRDTSCP, was removed before 4.17).
 *  - xen/lib/x86/cpuid.c x86_cpuid_copy_from_buffer(): more than
 *    CPUID_MAX_SERIALISED_LEAVES is -E2BIG; a leaf or subleaf outside the
 *    policy's arrays is -ERANGE (sizes: xen/include/xen/lib/x86/cpuid.h).
 *  - xen/lib/x86/msr.c x86_msr_copy_from_buffer(): more than
 *    MSR_MAX_SERIALISED_ENTRIES is -E2BIG; non-zero flags -EINVAL; an index
 *    other than MSR_INTEL_PLATFORM_INFO / MSR_ARCH_CAPABILITIES -ERANGE; a
 *    value wider than its 32-bit field -EOVERFLOW.
 * Not checked (depends on the host restored on): whether the policy fits
 * the host's maximum (x86_cpu_policies_are_compatible).
 */
#include <stdio.h>

#include "libxc.h"

#define NO_SUBLEAF      0xffffffffu
#define NR_BASIC        (0xdu + 1)
#define NR_CACHE        (5u + 1)
#define NR_FEAT         (2u + 1)
#define NR_TOPO         (1u + 1)
#define NR_XSTATE       (62u + 1)
#define NR_EXTD         (0x21u + 1)     /* max(Intel 0x8, AMD 0x21) + 1 */

const char *lx_check_tsc(const uint8_t *b, char *why, size_t whylen)
{
    uint32_t mode = lx_le32(b);
    if (mode <= 2)
        return NULL;
    snprintf(why, whylen, "TSC mode %u: Xen 4.17 accepts 0 (default), 1 "
             "(always emulate), 2 (never emulate) (tsc_set_info: -EINVAL)",
             mode);
    return why;
}

/* The number of subleaves leaf `leaf` has in Xen's policy; 0 when it
 * takes none (XEN_CPUID_NO_SUBLEAF only); UINT32_MAX when unknown. */
static uint32_t subleaves(uint32_t leaf)
{
    if (leaf < NR_BASIC) {
        switch (leaf) {
        case 0x4: return NR_CACHE;
        case 0x7: return NR_FEAT;
        case 0xb: return NR_TOPO;
        case 0xd: return NR_XSTATE;
        default: return 0;
        }
    }
    if (leaf == 0x40000000u || leaf == 0x40000100u)
        return 0;
    if (leaf >= 0x80000000u && leaf < 0x80000000u + NR_EXTD)
        return 0;
    return UINT32_MAX;
}

const char *lx_check_cpuid(const uint8_t *e, uint32_t i, char *why,
                           size_t whylen)
{
    uint32_t leaf = lx_le32(e), sub = lx_le32(e + 4);
    uint32_t n = subleaves(leaf);
    if (n == UINT32_MAX) {
        snprintf(why, whylen, "entry %u: CPUID leaf %#x is not in Xen "
                 "4.17's policy (x86_cpuid_copy_from_buffer: -ERANGE)", i,
                 leaf);
        return why;
    }
    if (n == 0 ? sub != NO_SUBLEAF : sub >= n) {
        if (n == 0)
            snprintf(why, whylen, "entry %u: CPUID leaf %#x subleaf %#x, "
                     "the leaf takes none (%#x) (-ERANGE)", i, leaf, sub,
                     NO_SUBLEAF);
        else
            snprintf(why, whylen, "entry %u: CPUID leaf %#x subleaf %u, "
                     "Xen 4.17 keeps %u (-ERANGE)", i, leaf, sub, n);
        return why;
    }
    return NULL;
}

const char *lx_check_msr(const uint8_t *e, uint32_t i, char *why,
                         size_t whylen)
{
    uint32_t idx = lx_le32(e), flags = lx_le32(e + 4);
    uint64_t val = lx_le64(e + 8);
    if (flags) {
        snprintf(why, whylen, "entry %u: MSR %#x flags %#x, must be zero "
                 "(x86_msr_copy_from_buffer: -EINVAL)", i, idx, flags);
        return why;
    }
    if (idx != 0xce && idx != 0x10a) {
        snprintf(why, whylen, "entry %u: MSR %#x is not in Xen 4.17's "
                 "policy (0xce, 0x10a) (-ERANGE)", i, idx);
        return why;
    }
    if (val >> 32) {
        snprintf(why, whylen, "entry %u: MSR %#x value %#llx does not fit "
                 "its 32-bit field (-EOVERFLOW)", i, idx,
                 (unsigned long long)val);
        return why;
    }
    return NULL;
}
