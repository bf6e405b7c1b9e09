# tests/libxc/t-semantic.sh - verify judges what a Xen 4.17 restore would
# decide: mutations of the real saved images ($XLSR_CORPUS, tests/lib.sh),
# each a check with the image that trips it, and the unmutated image that
# must not.  The rule each mirrors is cited in plugins/libxc (records.c,
# pvpt.c, policy.c, hvm.c, xlcfg.c).

. "$XLSR_TOP/tests/tools/mutate.sh"

sem_conf() {
    mkconf s.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
check_qevm = true
EOT
}

# real NAME: $T/img is a fresh copy of the real image NAME, $T/offs its
# libxc record offsets.
real() {
    [ -f "$T/$1.orig" ] || corpus_image "$1.xl" "$T/$1.orig"
    cp "$T/$1.orig" "$T/img"
    lx_offsets "$T/img" "$(sem_conf)" >"$T/offs"
}

# refused REGEX: verify exits 1 naming the reason.
refused() {
    expect 1 "$XLSR" verify -c "$(sem_conf)" "$T/img"
    err_has "$1"
}

# same_from_pipe: after refused, $T/img through a pipe gets the same
# verdict (exit status and reason) as from the file.
same_from_pipe() {
    cp "$T/err" "$T/err.file"
    set +e
    cat "$T/img" | "$XLSR" verify -c "$(sem_conf)" - >/dev/null 2>"$T/err"
    rc=$?
    set -e
    eq "$rc" 1 "exit status from a pipe"
    eq "$(sed 's/^xlsr: [^:]*: //' "$T/err")" \
       "$(sed 's/^xlsr: [^:]*: //' "$T/err.file")" "file and pipe verdicts"
}

t_real_images_restorable() {
    for i in hb-pv-save hb-pvh-save hvm-xsphysmap-save; do
        real "$i"
        expect 0 "$XLSR" verify --strict -c "$(sem_conf)" "$T/img"
    done
    out_has 'verify: ok'
}

t_pv_page_tables_read() {
    real hb-pv-save
    expect 0 "$XLSR" verify -c "$(sem_conf)" "$T/img"
    out_has '^  libxc: 183 PV page tables read and checked$'
}

t_tsc_mode_3() {
    real hb-pv-save
    poke "$T/img" $(($(lx_rec "$T/offs" X86_TSC_INFO) + 8)) "$(le32 3)"
    refused 'TSC mode 3: Xen 4.17 accepts 0'
}

t_cpuid_leaf_out_of_range() {
    real hb-pv-save
    poke "$T/img" $(($(lx_rec "$T/offs" X86_CPUID_POLICY) + 8)) "$(le32 0x12345)"
    refused 'entry 0: CPUID leaf 0x12345 is not in Xen 4.17.s policy'
}

t_cpuid_subleaf_out_of_range() {
    real hb-pvh-save
    # entry 0 is leaf 0 (no subleaves): give it one
    poke "$T/img" $(($(lx_rec "$T/offs" X86_CPUID_POLICY) + 12)) "$(le32 0)"
    refused 'entry 0: CPUID leaf 0 subleaf 0, the leaf takes none'
}

t_msr_flags_and_index() {
    real hb-pv-save
    m=$(lx_rec "$T/offs" X86_MSR_POLICY)
    cp "$T/img" "$T/keep"
    poke "$T/img" $((m + 12)) "$(le32 1)"
    refused 'entry 0: MSR 0xce flags 0x1, must be zero'
    cp "$T/keep" "$T/img"
    poke "$T/img" $((m + 8)) "$(le32 0x1b)"
    refused 'entry 0: MSR 0x1b is not in Xen 4.17.s policy'
    cp "$T/keep" "$T/img"
    poke "$T/img" $((m + 16)) "$(le64 0x100000000)"
    refused 'does not fit its 32-bit field'
}

t_p2m_frame_out_of_range() {
    real hb-pv-save
    poke "$T/img" $(($(lx_rec "$T/offs" X86_PV_P2M_FRAMES) + 16)) "$(le64 0xfffff)"
    refused 'p2m frame list entry 0 names pfn 0xfffff, beyond the p2m'
}

t_p2m_frame_not_notab() {
    real hb-pv-save
    # frame 0 names the vcpu's cr3 page, an L4 table
    cr3=$(($(lx_rec "$T/offs" X86_PV_VCPU_BASIC) + 16 + 5008))
    pfn=$(($(od -An -tu8 -j $cr3 -N8 "$T/img") >> 12))
    poke "$T/img" $(($(lx_rec "$T/offs" X86_PV_P2M_FRAMES) + 16)) "$(le64 $pfn)"
    refused "a p2m frame, is L4TAB_PIN"
}

t_pv_pfn_beyond_p2m() {
    real hb-pv-save
    # the first PAGE_DATA's first pfn (type NOTAB) moved past the p2m end
    poke "$T/img" $(($(lx_rec "$T/offs" PAGE_DATA) + 16)) "$(le64 0x8000)"
    refused 'pfn\[0\] = 0x8000 beyond the p2m.s max pfn 0x7fff'
}

t_pv_cr3_not_a_table() {
    real hb-pv-save
    poke "$T/img" $(($(lx_rec "$T/offs" X86_PV_VCPU_BASIC) + 16 + 5008)) "$(le64 $((5 << 12)))"
    refused "vcpu's cr3, is NOTAB, expected an L4 table"
}

t_vcpu_id_beyond_config() {
    real hb-pv-save
    poke "$T/img" $(($(lx_rec "$T/offs" X86_PV_VCPU_BASIC) + 8)) "$(le32 1)"
    refused 'vcpu_id 1, the domain has 1 vcpus'
}

t_reserved_is_a_warning() {
    real hb-pv-save
    poke "$T/img" $(($(lx_rec "$T/offs" X86_TSC_INFO) + 8 + 20)) "$(le32 7)"
    expect 0 "$XLSR" verify -c "$(sem_conf)" "$T/img"
    err_has 'reserved field of X86_TSC_INFO is not zero \(not conformant'
    expect 1 "$XLSR" verify --strict -c "$(sem_conf)" "$T/img"
}

t_hvm_context_header_magic() {
    real hb-pvh-save
    poke "$T/img" $(($(lx_rec "$T/offs" HVM_CONTEXT) + 16)) "$(le32 0x12345678)"
    refused 'HEADER magic 0x12345678, expected 0x54381286'
}

t_hvm_context_unknown_type() {
    real hb-pvh-save
    # the entry after HEADER (8 + 24 bytes in)
    poke "$T/img" $(($(lx_rec "$T/offs" HVM_CONTEXT) + 8 + 32)) 1500
    refused 'entry 1: unknown typecode 21'
}

t_hvm_context_cpu_instance() {
    real hb-pvh-save
    poke "$T/img" $(($(lx_rec "$T/offs" HVM_CONTEXT) + 8 + 32 + 2)) 0300
    refused 'entry 1 \(CPU\): vcpu 3, the domain has 1'
}

t_hvm_context_cpu_longer() {
    real hb-pvh-save
    c=$(($(lx_rec "$T/offs" HVM_CONTEXT) + 8 + 32))
    len=$(od -An -tu4 -j $((c + 4)) -N4 "$T/img" | tr -d ' ')
    poke "$T/img" $((c + 4)) "$(le32 $((len + 8)))"
    refused "entry 1 \\(CPU\\): length $((len + 8)), Xen 4.17 takes at most $len"
}

t_hvm_context_end_replaced() {
    real hb-pvh-save
    h=$(lx_rec "$T/offs" HVM_CONTEXT)
    len=$(od -An -tu4 -j $((h + 4)) -N4 "$T/img" | tr -d ' ')
    # the END descriptor is the last 8 bytes: make it a 0-length PIC
    poke "$T/img" $((h + 8 + len - 8)) 03000000
    refused 'entry [0-9]* \(PIC\): length 0, Xen 4.17 takes 8'
}

t_hvm_context_no_end() {
    real hb-pvh-save
    h=$(lx_rec "$T/offs" HVM_CONTEXT)
    len=$(od -An -tu4 -j $((h + 4)) -N4 "$T/img" | tr -d ' ')
    # the entry before END (TSC_ADJUST or the like, 8 bytes and its
    # descriptor) swallows END: an 8-byte CPU_XSAVE (any size) of 16
    poke "$T/img" $((h + 8 + len - 24)) "10000000$(le32 16)"
    refused 'no END descriptor'
}

# L1-L4 entries name pfns within the p2m (x86_pv_localise_page asserts).
t_pv_table_entry_beyond_p2m() {
    real hb-pv-save
    set -- $(lx_pages "$T/img" "$T/offs" 12 | head -n 1)   # an L4TAB_PIN
    [ -n "${2:-}" ] || fail "no pinned L4 in the image"
    poke "$T/img" $(($2 + 8 * 0)) "$(le64 0x00000fff00000067)"
    refused 'L4 table pfn 0x[0-9a-f]* entry 0 = 0x00000fff00000067 names pfn 0xfff00000 beyond'
}

# On a file the page tables are read by pread (plugins/libxc/ptread.c),
# through a pipe by the stream: the same tables, the same verdicts.
t_pv_tables_file_and_pipe_agree() {
    real hb-pv-save
    cat "$T/img" | "$XLSR" verify -c "$(sem_conf)" - >"$T/pipe.out"
    grep -q '^  libxc: 183 PV page tables read and checked$' "$T/pipe.out" ||
        fail "pipe: $(cat "$T/pipe.out")"
    set -- $(lx_pages "$T/img" "$T/offs" 12 | head -n 1)
    poke "$T/img" $(($2 + 8 * 3)) "$(le64 0x00000fff00000067)"
    refused 'L4 table pfn 0x[0-9a-f]* entry 3 = 0x00000fff00000067 names pfn 0xfff00000 beyond'
    same_from_pipe
}

# A file that ends inside a page table: pread comes short, and the stream
# names the offset where it ends, as it does through a pipe.
t_truncated_inside_a_page_table() {
    real hb-pv-save
    set -- $(lx_pages "$T/img" "$T/offs" 12 | head -n 1)
    truncate -s $(($2 + 100)) "$T/img"
    refused "stream ends at offset $(($2 + 100)), before libxc END"
    same_from_pipe
}

# drop_cache FILE: its pages out of the page cache (fsync, then
# POSIX_FADV_DONTNEED on that file alone); skips when they stay (tmpfs).
drop_cache() {
    python3 - "$1" <<'EOP' || skip "cannot drop $1 from the page cache (tmpfs?)"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
size = os.fstat(fd).st_size
addr = libc.mmap(None, size, 1, 1, fd, 0)   # PROT_READ, MAP_SHARED
vec = (ctypes.c_ubyte * ((size + 4095) // 4096))()
if addr in (None, ctypes.c_void_p(-1).value) or \
        libc.mincore(ctypes.c_void_p(addr), ctypes.c_size_t(size), vec):
    sys.exit(1)
cached = sum(v & 1 for v in vec)
sys.exit(0 if cached * 100 < len(vec) else 1)
EOP
}

# With the page cache cold, a record's page tables are checked one record
# later (plugins/libxc/ptread.c, while the disk reads them): the same
# tables, the same verdicts, the same offsets as warm.
t_pv_tables_cold_cache_same_verdicts() {
    real hb-pv-save
    drop_cache "$T/img"
    expect 0 "$XLSR" verify -c "$(sem_conf)" "$T/img"
    out_has '^  libxc: 183 PV page tables read and checked$'
    set -- $(lx_pages "$T/img" "$T/offs" 12 | head -n 1)
    poke "$T/img" $(($2 + 8 * 3)) "$(le64 0x00000fff00000067)"
    refused 'L4 table pfn 0x[0-9a-f]* entry 3 = 0x00000fff00000067 names pfn 0xfff00000 beyond'
    cp "$T/err" "$T/err.warm"
    drop_cache "$T/img"
    refused 'L4 table pfn'
    eq "$(cat "$T/err")" "$(cat "$T/err.warm")" "cold and warm verdicts"
    truncate -s $(($2 + 100)) "$T/img"
    drop_cache "$T/img"
    refused "stream ends at offset $(($2 + 100)), before libxc END"
}

# A data page retyped as a pinned L1 table: it stays mapped writable by
# the kernel's L1 entries, and Xen refuses the pin.
t_pv_data_page_pinned() {
    real hb-pv-save
    # a NOTAB page that an L1 maps writable: the image's own pages; try
    # the first few NOTAB pages of the first PAGE_DATA
    lx_pages "$T/img" "$T/offs" 0 | head -n 64 >"$T/notab"
    while read -r ent page pfn; do
        cp "$T/hb-pv-save.orig" "$T/img"
        poke "$T/img" "$ent" "$(le64 $((pfn | 9 << 60)))"
        run "$XLSR" verify -c "$(sem_conf)" "$T/img"
        [ "$RC" -eq 1 ] && grep -q 'pinned L1TAB_PIN table and is mapped writable' "$T/err" && return 0
    done <"$T/notab"
    fail "no data page turned pinned L1 was refused as writable"
}


t_hvm_param_index() {
    real hb-pvh-save
    poke "$T/img" $(($(lx_rec "$T/offs" HVM_PARAMS) + 16)) "$(le64 200)"
    refused 'param index 200, Xen 4.17 has 39'
}

t_config_not_json() {
    real hb-pv-save
    # the xl config starts at 52: break its first brace
    poke "$T/img" 52 5b
    refused 'the xl JSON config does not parse'
}

t_qemu_state_without_qevm() {
    real hvm-xsphysmap-save
    # EMULATOR_CONTEXT: libxl header 8, emulator id/index 8, then QEMU's
    e=$("$XLSR" dump -c "$(sem_conf)" "$T/img" |
        sed -n 's/^offset \([0-9]*\): record 0x00000003 EMULATOR_CONTEXT.*/\1/p')
    [ -n "$e" ] || fail "no EMULATOR_CONTEXT"
    cp "$T/img" "$T/keep"
    poke "$T/img" $((e + 16)) 51455658          # "QEVX"
    refused 'not QEMU.s "QEVM" magic'
    cp "$T/keep" "$T/img"
    poke "$T/img" $((e + 20)) 00000002
    refused 'qemu-xen state version 2, QEMU loads version 3'
    cp "$T/keep" "$T/img"
    expect 0 "$XLSR" restore --dry-run --domid 1 -c "$(sem_conf)" "$T/img"
}

# HVM/PVH: pfns beyond memory restore (Xen populates them); pfns no
# restore can track (2^36 on) do not.
t_hvm_pfn_beyond_memory_is_fine() {
    real hb-pvh-save
    poke "$T/img" $(($(lx_rec "$T/offs" PAGE_DATA) + 16)) "$(le64 0x200000)"
    expect 0 "$XLSR" verify -c "$(sem_conf)" "$T/img"
}

t_hvm_pfn_untrackable() {
    real hb-pvh-save
    poke "$T/img" $(($(lx_rec "$T/offs" PAGE_DATA) + 16)) "$(le64 0x1000000000)"
    refused 'pfn\[0\] = 0x1000000000: no restore can track it'
}

# A pinned table's entry naming a data page: Xen validates it as a table.
t_pv_table_names_data_page() {
    real hb-pv-save
    set -- $(lx_pages "$T/img" "$T/offs" 12 | head -n 1)   # an L4TAB_PIN
    d=$(lx_pages "$T/img" "$T/offs" 0 | awk 'NR == 5 { print $3 }')
    poke "$T/img" "$2" "$(le64 $((d << 12 | 0x67)))"
    refused "pfn $(printf '%#x' "$d") is named as a page table by a pinned table but is NOTAB"
}

t_hvm_store_pfn_unpopulated() {
    real hb-pvh-save
    p=$(lx_rec "$T/offs" HVM_PARAMS)
    n=$(od -An -tu4 -j $((p + 8)) -N4 "$T/img" | tr -d ' ')
    i=0
    while [ "$i" -lt "$n" ]; do
        e=$((p + 16 + 16 * i))
        [ "$(od -An -tu8 -j "$e" -N8 "$T/img" | tr -d ' ')" = 1 ] && break
        i=$((i + 1))
    done
    [ "$i" -lt "$n" ] || fail "no STORE_PFN in the image"
    poke "$T/img" $((e + 8)) "$(le64 0x7fffff)"
    refused 'HVM_PARAMS STORE_PFN 0x7fffff names a page the stream never populated'
}

# libxenguest restores into the domain xl built from the config.
t_config_type_mismatch() {
    real hb-pv-save
    at=$(grep -abo '"type": "pv"' "$T/img" | head -n 1 | cut -d: -f1)
    [ -n "$at" ] || fail "no c_info.type in the config"
    poke "$T/img" $((at + 9)) 6876       # "pv" -> "hv"
    refused 'x86 PV stream, but the xl config.s c_info.type is "hv"'
}

# A file is seeked over, a pipe read: a cut inside skipped page data is
# found at the same offset either way (lseek past the end cannot hide it).
t_truncated_file_seeked_like_a_pipe() {
    real hb-pv-save
    truncate -s 70000001 "$T/img"
    expect 1 "$XLSR" verify -c "$(sem_conf)" "$T/img"
    err_has 'stream ends at offset 70000001, before libxc END'
    same_from_pipe
}

# libxl starts an HVM guest's qemu-xen with -incoming on the state
# EMULATOR_CONTEXT carries (libxl_dm.c): a stream without the record
# cannot restore.  The real image (with it) passes t_real_images_restorable.
t_hvm_qemu_xen_without_emulator_context() {
    real hvm-xsphysmap-save
    e=$("$XLSR" dump -c "$(sem_conf)" "$T/img" |
        sed -n 's/^offset \([0-9]*\): record 0x00000003 EMULATOR_CONTEXT.*/\1/p')
    [ -n "$e" ] || fail "no EMULATOR_CONTEXT"
    # libxl END where EMULATOR_CONTEXT was
    truncate -s "$e" "$T/img"
    head -c 8 /dev/zero >>"$T/img"
    refused 'record END \(0x0\): the stream has no EMULATOR_CONTEXT, but the xl config.s HVM guest runs qemu-xen'
    # the same stream for a PVH guest (no device model): fine
    real hb-pvh-save
    expect 0 "$XLSR" verify -c "$(sem_conf)" "$T/img"
    hasnt "$T/err" EMULATOR_CONTEXT
}

# Padding libxl reads past (libxl_stream_read.c): restorable, a warning.
t_libxl_padding_is_a_warning() {
    real hvm-xsphysmap-save
    x=$("$XLSR" dump -c "$(sem_conf)" "$T/img" |
        sed -n 's/^offset \([0-9]*\): record 0x00000002 EMULATOR_XENSTORE_DATA, length \([0-9]*\).*/\1 \2/p')
    set -- $x
    [ $(($2 % 8)) != 0 ] || fail "EMULATOR_XENSTORE_DATA has no padding"
    poke "$T/img" $(($1 + 8 + $2)) ff
    expect 0 "$XLSR" verify -c "$(sem_conf)" "$T/img"
    err_has 'EMULATOR_XENSTORE_DATA: non-zero padding byte 0xff .*not conformant'
    expect 1 "$XLSR" verify --strict -c "$(sem_conf)" "$T/img"
}
