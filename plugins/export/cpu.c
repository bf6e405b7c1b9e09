/*
 * cpu.c - one vCPU's registers from the stream, in the order of Linux's
 * x86-64 user_regs_struct (what an ELF NT_PRSTATUS note carries).
 *
 * Layouts are Xen's public ones, from libxen-dev: struct hvm_hw_cpu
 * (xen/include/public/arch-x86/hvm/save.h, HVM_CONTEXT typecode CPU) and
 * struct vcpu_guest_context_x86_64 (xen/include/public/foreign, what
 * X86_PV_VCPU_BASIC carries for a 64-bit PV guest, after the saver turned
 * cr3 into a pfn: xg_sr_save_x86_pv.c write_one_vcpu_basic()).  A record
 * shorter than the structure leaves the missing registers at zero.
 *
 * FPU: both structures carry the 512-byte FXSAVE image (hvm_hw_cpu
 * fpu_regs, vcpu_guest_context fpu_ctxt), valid only when Xen flagged the
 * vCPU's FPU as initialised (XEN_X86_FPU_INITIALISED in hvm_hw_cpu.flags,
 * set by xen/arch/x86/hvm/hvm.c hvm_save_cpu_ctxt; VGCF_i387_valid in the
 * PV context's flags, xen/arch/x86/domctl.c arch_get_info_guest).  The
 * XSAVE area beyond it (X86_PV_VCPU_XSAVE, HVM_CONTEXT CPU_XSAVE) is not
 * exported: no ELF or dump-core field of ours holds it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/hvm/save.h>
#include <xen/foreign/x86_64.h>

#include "export.h"

/* A field of a structure we hold `len` bytes of, or 0 beyond them. */
#define FIELD(b, len, type, member)                                        \
    (offsetof(type, member) + sizeof(((type *)0)->member) <= (len)         \
         ? rd(b + offsetof(type, member), sizeof(((type *)0)->member))     \
         : 0)

static uint64_t rd(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The FXSAVE image at `at`, when flagged valid and wholly in the record. */
static void fpu(struct ex_vcpu *v, const uint8_t *b, size_t len, size_t at,
                bool valid)
{
    v->fpu = valid && at + sizeof(v->fxsave) <= len;
    if (v->fpu)
        memcpy(v->fxsave, b + at, sizeof(v->fxsave));
    else
        memset(v->fxsave, 0, sizeof(v->fxsave));
}

size_t ex_cpu_hvm_size(void)
{
    return sizeof(struct hvm_hw_cpu);
}

size_t ex_cpu_pv64_size(void)
{
    return sizeof(struct vcpu_guest_context_x86_64);
}

void ex_cpu_from_hvm(struct ex_vcpu *v, const uint8_t *b, size_t len)
{
#define H(m) FIELD(b, len, struct hvm_hw_cpu, m)
    v->rax = H(rax); v->rbx = H(rbx); v->rcx = H(rcx); v->rdx = H(rdx);
    v->rbp = H(rbp); v->rsi = H(rsi); v->rdi = H(rdi); v->rsp = H(rsp);
    v->r8 = H(r8); v->r9 = H(r9); v->r10 = H(r10); v->r11 = H(r11);
    v->r12 = H(r12); v->r13 = H(r13); v->r14 = H(r14); v->r15 = H(r15);
    v->rip = H(rip); v->rflags = H(rflags);
    v->cs = H(cs_sel); v->ss = H(ss_sel); v->ds = H(ds_sel);
    v->es = H(es_sel); v->fs = H(fs_sel); v->gs = H(gs_sel);
    v->fs_base = H(fs_base); v->gs_base = H(gs_base);
    v->kernel_gs_base = H(shadow_gs);
    v->cr0 = H(cr0); v->cr2 = H(cr2); v->cr3 = H(cr3); v->cr4 = H(cr4);
    v->efer = H(msr_efer);
    fpu(v, b, len, offsetof(struct hvm_hw_cpu, fpu_regs),
        H(flags) & XEN_X86_FPU_INITIALISED);
#undef H
    v->orig_rax = UINT64_MAX;       /* not in a system call */
    v->valid = true;
}

void ex_cpu_from_pv64(struct ex_vcpu *v, const uint8_t *b, size_t len)
{
    typedef struct vcpu_guest_context_x86_64 ctx_t;
#define R(m) FIELD(b, len, ctx_t, user_regs.m)
    v->rax = R(rax); v->rbx = R(rbx); v->rcx = R(rcx); v->rdx = R(rdx);
    v->rbp = R(rbp); v->rsi = R(rsi); v->rdi = R(rdi); v->rsp = R(rsp);
    v->r8 = R(r8); v->r9 = R(r9); v->r10 = R(r10); v->r11 = R(r11);
    v->r12 = R(r12); v->r13 = R(r13); v->r14 = R(r14); v->r15 = R(r15);
    v->rip = R(rip); v->rflags = R(rflags);
    v->cs = R(cs); v->ss = R(ss); v->ds = R(ds); v->es = R(es);
    v->fs = R(fs); v->gs = R(gs);
#undef R
#define C(m) FIELD(b, len, ctx_t, m)
    /* The active GS base depends on the mode the vCPU was in. */
    bool kernel = C(flags) & VGCF_in_kernel;
    v->fs_base = C(fs_base);
    v->gs_base = kernel ? C(gs_base_kernel) : C(gs_base_user);
    v->kernel_gs_base = kernel ? C(gs_base_user) : C(gs_base_kernel);
    v->cr0 = C(ctrlreg[0]); v->cr2 = C(ctrlreg[2]);
    v->cr3 = C(ctrlreg[3]); v->cr4 = C(ctrlreg[4]);
    fpu(v, b, len, offsetof(ctx_t, fpu_ctxt), C(flags) & VGCF_i387_valid);
#undef C
    v->orig_rax = UINT64_MAX;
    v->valid = true;
}

static void wr(uint8_t *p, size_t n, uint64_t v)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#define PUT(b, type, member, v)                                            \
    wr(b + offsetof(type, member), sizeof(((type *)0)->member), v)

void ex_cpu_to_pv64(const struct ex_vcpu *v, uint8_t *b, size_t len)
{
    typedef struct vcpu_guest_context_x86_64 ctx_t;
    if (len < sizeof(ctx_t))
        return;
    memset(b, 0, sizeof(ctx_t));
#define R(m, val) PUT(b, ctx_t, user_regs.m, val)
    R(rax, v->rax); R(rbx, v->rbx); R(rcx, v->rcx); R(rdx, v->rdx);
    R(rbp, v->rbp); R(rsi, v->rsi); R(rdi, v->rdi); R(rsp, v->rsp);
    R(r8, v->r8); R(r9, v->r9); R(r10, v->r10); R(r11, v->r11);
    R(r12, v->r12); R(r13, v->r13); R(r14, v->r14); R(r15, v->r15);
    R(rip, v->rip); R(rflags, v->rflags);
    R(cs, v->cs); R(ss, v->ss); R(ds, v->ds); R(es, v->es);
    R(fs, v->fs); R(gs, v->gs);
#undef R
    PUT(b, ctx_t, flags, VGCF_online | VGCF_in_kernel |
                         (v->fpu ? VGCF_i387_valid : 0));
    if (v->fpu)
        memcpy(b + offsetof(ctx_t, fpu_ctxt), v->fxsave, sizeof(v->fxsave));
    PUT(b, ctx_t, ctrlreg[0], v->cr0);
    PUT(b, ctx_t, ctrlreg[2], v->cr2);
    PUT(b, ctx_t, ctrlreg[3], v->cr3);
    PUT(b, ctx_t, ctrlreg[4], v->cr4);
    PUT(b, ctx_t, fs_base, v->fs_base);
    PUT(b, ctx_t, gs_base_kernel, v->gs_base);
    PUT(b, ctx_t, gs_base_user, v->kernel_gs_base);
}

struct ex_vcpu *ex_vcpus_get(struct ex_vcpus *vs, uint32_t id)
{
    if (id >= EX_MAX_VCPUS)
        return NULL;
    if (id >= vs->n) {
        uint32_t n = id + 1 < 8 ? 8 : id + 1;
        struct ex_vcpu *v = realloc(vs->v, n * sizeof(*v));
        if (!v)
            return NULL;
        memset(v + vs->n, 0, (n - vs->n) * sizeof(*v));
        vs->v = v;
        vs->n = n;
    }
    vs->v[id].id = id;
    return &vs->v[id];
}

uint32_t ex_vcpus_count(const struct ex_vcpus *vs)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < vs->n; i++)
        n += vs->v[i].valid;
    return n;
}

void ex_cpu_commit(struct ex_state *s)
{
    for (uint32_t i = 0; i < s->cpu_next.n; i++) {
        if (!s->cpu_next.v[i].valid)
            continue;
        struct ex_vcpu *v = ex_vcpus_get(&s->cpu, i);
        if (v)      /* cannot fail: cpu_next got the same id */
            *v = s->cpu_next.v[i];
        s->cpu_next.v[i].valid = false;
    }
    if (s->shinfo_next_ok) {    /* swap: the open one becomes committed */
        uint8_t *t = s->shinfo;
        s->shinfo = s->shinfo_next;
        s->shinfo_next = t;
        s->shinfo_ok = true;
        s->shinfo_next_ok = false;
    }
}

void ex_cpu_drop(struct ex_state *s)
{
    for (uint32_t i = 0; i < s->cpu_next.n; i++)
        s->cpu_next.v[i].valid = false;
    s->shinfo_next_ok = false;
}

void ex_vcpus_free(struct ex_vcpus *vs)
{
    free(vs->v);
    vs->v = NULL;
    vs->n = 0;
}
