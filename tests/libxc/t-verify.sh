# tests/libxc/t-verify.sh - valid libxc streams: verify accepts them,
# reports what it saw (guest type, Xen version, stream version, records and
# pages by type), dump -v lists every libxc record under LIBXC_CONTEXT, and
# the libxl stream resumes right after the libxc END.  Checkpointed
# (Remus/COLO) streams hand over to libxl at each CHECKPOINT.

lx_conf() {
    mkconf lx.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
EOT
}

t_pv_v3_summary() {
    "$GEN" --libxc pv --pages 100 --batch 16 --xtab 3 -o "$T/s"
    expect 0 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    out_has '^  libxc: x86 PV guest, saved by Xen 4\.17, stream version 3, page size 4096$'
    # 7 PAGE_DATA of pages + 3 XTAB records, and the static/end records
    out_has '^  libxc: 21 records: END 1 PAGE_DATA 10 X86_PV_INFO 1 X86_PV_P2M_FRAMES 1 X86_PV_VCPU_BASIC 1 X86_PV_VCPU_EXTENDED 1 X86_PV_VCPU_XSAVE 1 SHARED_INFO 1 X86_TSC_INFO 1 STATIC_DATA_END 1 X86_CPUID_POLICY 1 X86_MSR_POLICY 1$'
    out_has '^  libxc: 103 pfns: NOTAB 99 L4TAB_PIN 1 XTAB 3; 409600 bytes of page data$'
    out_has '^verify: ok: 2 records, .* END reached'
}

t_hvm_v2_summary() {
    "$GEN" --xl-header --libxc hvm --libxc-version 2 --pages 5 --batch 2 \
        -o "$T/s"
    expect 0 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    out_has '^  libxc: x86 HVM guest, saved by Xen 4\.17, stream version 2, page size 4096$'
    out_has '^  libxc: 7 records: END 1 PAGE_DATA 3 X86_TSC_INFO 1 HVM_CONTEXT 1 HVM_PARAMS 1$'
    out_has '^  libxc: 5 pfns: NOTAB 5; 20480 bytes of page data$'
}

# dump -v: one line per libxc record at the offsets the writer logged, in
# order, indented under the LIBXC_CONTEXT line; then the libxl END.
t_dump_lists_every_record() {
    "$GEN" --libxc pv --pages 9 --batch 4 --xtab 2 --offsets "$T/offs" \
        -o "$T/s"
    expect 0 "$XLSR" dump -v -c "$(lx_conf)" "$T/s"
    awk '$2 == "libxc" { printf "  offset %s: libxc %s, length %s\n", $1, $3, $4 }' \
        "$T/offs" >"$T/want"
    sed -n 's/^\(  offset [0-9]*: libxc\) record 0x[0-9a-f]* \(.*\)$/\1 \2/p' \
        "$T/out" >"$T/got"
    diff "$T/want" "$T/got" || fail "dump -v lines differ from the writer's log"
    grep -n 'LIBXC_CONTEXT\|libxc record\|record 0x00000000 END' "$T/out" |
        head -n 2 | tail -n 1 | grep -q 'libxc record' ||
        fail "libxc lines do not follow LIBXC_CONTEXT"
    end=$(awk '$2 == "libxl" && $3 == "END" { print $1 }' "$T/offs")
    out_has "^offset $end: record 0x00000000 END, length 0$"
    # without -v only the libxl records and the summary
    expect 0 "$XLSR" dump -c "$(lx_conf)" "$T/s"
    hasnt "$T/out" 'libxc record'
    out_has '^  libxc: 16 records'
}

# The framing resumes after the libxc END: a libxl record after it is
# routed (an unbound optional record, logged as skipped), then END.
t_libxl_resumes_after_libxc() {
    "$GEN" --libxc hvm --pages 3 --rec 0x80000001:hex:aabbcc \
        --offsets "$T/offs" -o "$T/s"
    mkconf skip.ini >/dev/null <<EOT
unknown_records = skip
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
EOT
    expect 0 "$XLSR" dump -c "$T/skip.ini" "$T/s"
    off=$(awk '$2 == "libxl" && $3 != "LIBXC_CONTEXT" { print $1; exit }' "$T/offs")
    out_has "^offset $off: record 0x80000001 \\(optional\\), length 3$"
    out_has '^dump: ok: 3 records'
}

# Pipes: the same answer without seeking.
t_verify_from_pipe() {
    "$GEN" --xl-header --libxc pv --pages 40 --batch 7 -o - |
        "$XLSR" verify -c "$(lx_conf)" - >"$T/out" 2>"$T/err"
    out_has '^  libxc: 40 pfns: NOTAB 39 L4TAB_PIN 1; 163840 bytes of page data$'
    out_has '^verify: ok:'
}

# Remus: every libxc CHECKPOINT hands over to libxl up to CHECKPOINT_END;
# the sender never ends, so the stream ends with a failover to the last
# complete checkpoint.
t_remus_checkpoints() {
    "$GEN" --libxc pv --pages 4 --checkpoints 3 --remus -o "$T/s"
    expect 0 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    out_has '^  libxc: 3 checkpoints, stream ended inside the next$'
    out_has '^verify: ok: failover after checkpoint 3'
    "$GEN" --libxc hvm --pages 4 --checkpoints 2 --remus --ckpt-final-end \
        -o "$T/s2"
    expect 0 "$XLSR" verify -c "$(lx_conf)" "$T/s2"
    out_has '^  libxc: 2 checkpoints$'
    # A checkpointed stream completes with its libxc part (libxl's
    # libxl__xc_domain_restore_done): the libxl END is never read.
    out_has '^verify: ok: failover after checkpoint 2'
}

# COLO: a libxl CHECKPOINT_STATE precedes each later checkpoint's libxc
# records.
t_colo_checkpoints() {
    "$GEN" --libxc hvm --pages 4 --checkpoints 3 --colo --offsets "$T/offs" \
        -o "$T/s"
    expect 0 "$XLSR" dump -v -c "$(lx_conf)" "$T/s"
    n=$(grep -c 'record 0x00000005 CHECKPOINT_STATE, length 4$' "$T/out")
    eq "$n" 2 "CHECKPOINT_STATE lines"
    n=$(grep -c 'libxc record 0x0000000e CHECKPOINT, length 0\(, checkpoint [23]\)\?$' "$T/out")
    eq "$n" 3 "CHECKPOINT lines"
    out_has '^dump: ok: failover after checkpoint 3'
}

# A stream that breaks inside the libxc part of a later checkpoint fails
# over to the last complete one; before the first, it is an error.
t_checkpoint_break() {
    "$GEN" --libxc pv --pages 4 --checkpoints 2 --remus --offsets "$T/offs" \
        -o "$T/full"
    second=$(awk '$3 == "PAGE_DATA" && $5 == "ckpt=2" { print $1 }' "$T/offs")
    head -c $((second + 20)) "$T/full" >"$T/s"
    expect 0 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    out_has '^verify: ok: failover after checkpoint 1'
    first=$(awk '$3 == "PAGE_DATA" && $5 == "ckpt=1" { print $1 }' "$T/offs")
    head -c $((first + 20)) "$T/full" >"$T/s"
    expect 1 "$XLSR" verify -c "$(lx_conf)" "$T/s"
    err_has "libxc offset $first .*record PAGE_DATA \\(0x1\\): stream ends at offset $((first + 20)), before libxc END"
}

# A dry-run restore of a plain stream refuses a CHECKPOINT as libxenguest
# would; with --checkpointed remus it is accepted.
t_dry_run_checkpoint_needs_declaring() {
    "$GEN" --libxc hvm --pages 2 --checkpoints 1 --remus --ckpt-final-end \
        --offsets "$T/offs" -o "$T/s"
    off=$(awk '$3 == "CHECKPOINT" { print $1 }' "$T/offs")
    expect 1 "$XLSR" restore --dry-run --domid 4 -c "$(lx_conf)" "$T/s"
    err_has "libxc offset $off .*record CHECKPOINT \\(0xe\\): checkpoint in a stream not declared checkpointed"
    expect 0 "$XLSR" restore --dry-run --domid 4 --checkpointed remus \
        -c "$(lx_conf)" "$T/s"
}

# Declared COLO (--checkpointed colo): the core reads each CHECKPOINT_STATE
# for us and routes it to its handler (colo, in conf/build.ini).
t_colo_declared_routes_states() {
    "$GEN" --libxc hvm --pages 2 --checkpoints 3 --colo -o "$T/s"
    expect 0 "$XLSR" restore --dry-run --domid 3 --checkpointed colo \
        -c "$CONF" "$T/s"
    eq "$(grep -c 'info: colo: control id 0: new checkpoint' "$T/err")" 2 \
        "CHECKPOINT_STATE records routed to colo"
    hasnt "$T/err" 'libxc: COLO control id'
    out_has '^restore \(dry run\): ok: failover after checkpoint 3'
}
