# tests/containers/t-containers.sh - every container Xen images travel in
# (docs/containers.md), made by our own writers (xlsr-gen for the libxl
# stream, xlsr-wrap around it): detection from a file and from a pipe,
# the layer line of dump, the libvirt and xenopsd header and record rules
# (truncation at every layer boundary, lengths over the cap, wrong magic,
# wrong versions), routing of xenopsd records by the INI file, the blob
# plugin, bare libxc streams and legacy images.

WRAP=$B/tests/xlsr-wrap

cconf() {
    mkdir -p "$T/d"
    mkconf c.ini <<EOT
max_record_bytes = ${MAXREC:-1M}
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
dir = $T/d
[xenopsd.varstored]
plugin = blob
dir = $T/d
path = $T/d/varstored.%domid
[xenopsd.swtpm]
plugin = blob
dir = $T/d
path = $T/d/swtpm.%domid.%index
${EXTRA:-}
EOT
}

# The xl image every container here wraps: HVM, 16 pages, emulator
# records (xlsr-gen --example); for restores (no xenstored here) one
# without EMULATOR_XENSTORE_DATA.
inner() { "$GEN" --example -o "$T/ex.xl"; }
inner_restorable() {
    "$GEN" --xl-header --libxc hvm --pages 16 \
        --rec emulator_context:emublob:2:0:4096 -o "$T/ex.xl"
}

# vbad IMAGE REGEX: verify fails (exit 1) with that message, no sanitizer
# report.
vbad() {
    expect 1 "$XLSR" verify -c "$(cconf)" "$1"
    err_has "$2"
    hasnt "$T/err" 'AddressSanitizer|runtime error'
}

t_every_container_verifies_from_a_file_and_a_pipe() {
    inner
    "$GEN" -o "$T/bare.libxl" --libxc pv --pages 4
    "$WRAP" libvirt -i "$T/ex.xl" -o "$T/lv"
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo"
    "$WRAP" libxc -i "$T/ex.xl" -o "$T/lxc"
    c=$(cconf)
    for f in ex.xl bare.libxl lv xo lxc; do
        expect 0 "$XLSR" verify -c "$c" "$T/$f"
        out_has '^verify: ok: .* END reached'
        run sh -c "cat '$T/$f' | '$XLSR' verify -c '$c' -"
        [ "$RC" -eq 0 ] || { cat "$T/err"; fail "$f from a pipe: exit $RC"; }
    done
    expect 0 "$XLSR" dump -c "$c" "$T/lv"
    out_has '^layers: libvirt save header \(version 2, XML [0-9]+ bytes\) → libxl v2 → libxc v3 x86 HVM$'
    expect 0 "$XLSR" dump -c "$c" "$T/xo"
    out_has '^layers: xenopsd suspend image → libxc v3 x86 HVM$'
    expect 0 "$XLSR" dump -c "$c" "$T/lxc"
    out_has '^layers: libxc v3 x86 HVM$'
    out_has '^offset 0: bare libxc stream \(no libxl layer\), handed to \[record.libxc_context\]$'
    expect 0 "$XLSR" dump -c "$c" "$T/bare.libxl"
    out_has '^layers: libxl v2 → libxc v3 x86 PV$'
    expect 0 "$XLSR" dump -c "$c" "$T/ex.xl"
    out_has '^layers: xl save header \(JSON config [0-9]+ bytes\) → libxl v2 → libxc v3 x86 HVM$'
}

t_format_forces_a_layer() {
    inner
    "$WRAP" libvirt -i "$T/ex.xl" -o "$T/lv"
    "$WRAP" libxc -i "$T/ex.xl" -o "$T/lxc"
    c=$(cconf)
    expect 0 "$XLSR" verify -c "$c" --format libvirt "$T/lv"
    expect 1 "$XLSR" verify -c "$c" --format libvirt "$T/ex.xl"
    err_has 'offset 0 \(0x0\): no libvirt save header \(format libvirt was requested\); the stream starts with xl save header'
    expect 1 "$XLSR" verify -c "$c" --format xenopsd "$T/lv"
    err_has 'no xenopsd suspend image signature \(format xenopsd was requested\); the stream starts with libvirt save header'
    # A forced libxc stream is not even peeked at: from a pipe too.
    run sh -c "cat '$T/lxc' | '$XLSR' verify -c '$c' --format libxc -"
    eq "$RC" 0 "forced libxc from a pipe"
    expect 2 "$XLSR" verify -c "$c" --format vmware "$T/lv"
    err_has "--format: 'vmware' is none of auto, xl, libvirt, xenopsd, libxl, libxc"
}

t_libvirt_header_rules() {
    inner
    for a in "--bad-magic|offset 0 \(0x0\): libvirt save header: bad magic" \
             "--lv-version 0|offset 16 \(0x10\): libvirt save header: version 0 is not supported \(1 or 2\)" \
             "--lv-version 3|offset 16 \(0x10\): libvirt save header: version 3 is not supported" \
             "--xml-len 0|offset 20 \(0x14\): libvirt save header: XML length is 0" \
             "--xml-len 0x7fffffff|offset 20 \(0x14\): libvirt save header: XML length 2147483647 exceeds max_record_bytes \(1048576\)" \
             "--unused 0|offset 24 \(0x18\): libvirt save header: unused field 0 is 0x00000001, not zero" \
             "--unused 9|offset 60 \(0x3c\): libvirt save header: unused field 9 is" \
             "--xml-len 20|offset 64 \(0x40\): libvirt domain XML \(20 bytes\) is not one NUL-terminated string" \
             "--xml x|offset 64 \(0x40\): libvirt domain XML does not start with '<'"; do
        opt=${a%%|*}
        # shellcheck disable=SC2086
        "$WRAP" libvirt -i "$T/ex.xl" -o "$T/s" $opt
        vbad "$T/s" "${a#*|}"
    done
}

t_libvirt_truncated_at_every_boundary() {
    inner
    "$WRAP" libvirt -i "$T/ex.xl" -o "$T/lv" --offsets "$T/offs"
    xml=$(awk '$3 == "xml" { print $1 }' "$T/offs")
    lx=$(awk '$3 == "stream" { print $1 }' "$T/offs")
    eq "$xml" 64 "XML after the 64-byte header"
    for cut in 7 40 64 $((xml + 5)) "$lx" $((lx + 10)) $((lx + 16)); do
        head -c "$cut" "$T/lv" >"$T/s"
        vbad "$T/s" "offset [0-9]+ \(0x[0-9a-f]+\): (truncated|stream)"
    done
    head -c 40 "$T/lv" >"$T/s"
    vbad "$T/s" 'offset 0 \(0x0\): truncated libvirt save header: stream ended after 40 of 64 bytes'
    head -c 7 "$T/lv" >"$T/s"
    vbad "$T/s" 'offset 0 \(0x0\): truncated libvirt save header: stream ended after 7 of 64 bytes'
    head -c $((xml + 5)) "$T/lv" >"$T/s"
    vbad "$T/s" 'offset 64 \(0x40\): truncated libvirt domain XML: stream ended after 5 of [0-9]+ bytes'
    head -c "$lx" "$T/lv" >"$T/s"
    vbad "$T/s" "offset $lx \\(0x[0-9a-f]+\\): truncated libxl header: stream ended after 0 of 16 bytes"
    head -c $((lx + 16)) "$T/lv" >"$T/s"
    vbad "$T/s" "offset $((lx + 16)) .*stream ended without an END record"
}

t_libvirt_version_1_is_a_legacy_payload() {
    inner
    "$WRAP" libvirt -i "$T/ex.xl" -o "$T/s" --lv-version 1
    vbad "$T/s" 'libvirt save header version 1 announces a legacy stream, but a libxl v2 stream follows'
    "$WRAP" legacy -o "$T/leg"
    { "$WRAP" libvirt -i "$T/ex.xl" -o - --lv-version 1 | head -c $((64 + $(awk '$3 == "xml" {print $4}' <("$WRAP" libvirt -i "$T/ex.xl" -o /dev/null --offsets /dev/stdout)))); cat "$T/leg"; } >"$T/s"
    vbad "$T/s" 'libvirt save header version 1: legacy \(Xen 4.5 or older\) save image, 64-bit toolstack, HVM guest'
}

t_libvirt_xml_reaches_plugins_and_restore_works() {
    inner_restorable
    "$WRAP" libvirt -i "$T/ex.xl" -o "$T/lv"
    EXTRA="[record.0x80000077]
plugin = ctxprobe
log = $T/probe" cconf >/dev/null
    "$GEN" --rec 0x80000077:str:hello -o "$T/vendor.libxl"
    "$WRAP" libvirt -i "$T/vendor.libxl" -o "$T/lv2"
    expect 0 "$XLSR" verify -c "$T/c.ini" "$T/lv2"
    has "$T/probe" '^ctx xl=0 libvirt=[1-9][0-9]* xenops=0$'
    has "$T/probe" "^libvirt_xml <domain type='xen'>"
    # restore (libxc verified, not restored: no Xen here) writes the QEMU
    # state from inside the libvirt image as from the xl one.
    expect 0 "$XLSR" restore -c "$(cconf)" --domid 7 "$T/lv"
    [ -s "$T/d/qemu-resume.7" ] || fail "no qemu-resume.7"
    eq "$(stat -c %a "$T/d/qemu-resume.7")" 600 "mode"
}

t_xenopsd_record_rules() {
    inner
    for a in "--sig XenSavedDomv3-X|offset 0 \(0x0\): xenopsd suspend image: bad signature" \
             "--rec 0x1234:str:hi|offset [0-9]+ \(0x[0-9a-f]+\): xenopsd record 0x1234 \(unknown type\): no handler configured for it \(bind one in a \[xenopsd.0x1234\] section\)" \
             "--rec 0x0f10:zero:0|xenopsd record Demu \(0x0f10\): the vGPU state that follows has no length" \
             "--rec 0x00f1:zero:0|xenopsd record Libxl \(0x00f1\): xenopsd never writes it and refuses it on restore" \
             "--rec 0x00f2:zero:0|xenopsd record Libxc_legacy \(0x00f2\): a legacy" \
             "--claim 0x0f00=0x100000000|xenopsd record Qemu_trad \(0x0f00\): body length 4294967296 exceeds max_record_bytes \(1048576\)" \
             "--claim 0x0f00=0x100001|xenopsd record Qemu_trad \(0x0f00\): body length 1048577 exceeds max_record_bytes" \
             "--claim 0x000f=0xffffffffffffffff|offset 15 \(0xf\): xenopsd record Xenops \(0x000f\): body length 18446744073709551615 exceeds" \
             "--no-end|xenopsd suspend image ended without End_of_image" \
             "--sexp ((a b)|offset 15 \(0xf\): xenopsd record Xenops \(0x000f\): the VM metadata is not a complete s-expression" \
             "--sexp hello|the VM metadata does not start with '\('" \
             "--no-xenops --rec 0x000f:str:()  --rec 0x000f:str:()|a second one"; do
        # shellcheck disable=SC2086
        "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/s" ${a%%|*}
        vbad "$T/s" "${a#*|}"
    done
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/s" --sig legacy
    vbad "$T/s" 'offset 15 \(0xf\): xenopsd legacy suspend image \("XenSavedDomain"\).*convert-legacy-stream'
}

t_xenopsd_truncated_at_every_boundary() {
    inner
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo" --rec 0x0f11:str:efivars --offsets "$T/offs"
    size=$(stat -c %s "$T/xo")
    # Every header boundary, and a byte into each header and body.
    for cut in $(awk '{ print $1; print $1 + 3; if ($4) print $1 + 16 + 1 }' "$T/offs" | sort -nu); do
        [ "$cut" -gt 0 ] && [ "$cut" -lt "$size" ] || continue
        head -c "$cut" "$T/xo" >"$T/s"
        vbad "$T/s" "offset [0-9]+ \(0x[0-9a-f]+\): .*(truncated|ended|stream ends)"
    done
    head -c 10 "$T/xo" >"$T/s"
    vbad "$T/s" 'offset 0 \(0x0\): truncated xenopsd signature: stream ended after 10 of 15 bytes'
    head -c 15 "$T/xo" >"$T/s"
    vbad "$T/s" 'offset 15 \(0xf\): xenopsd suspend image ended without End_of_image'
    head -c 20 "$T/xo" >"$T/s"
    vbad "$T/s" 'offset 15 \(0xf\): truncated xenopsd record header: stream ended after 5 of 16 bytes'
    head -c 40 "$T/xo" >"$T/s"
    vbad "$T/s" 'offset 15 \(0xf\): truncated xenopsd record Xenops \(0x000f\) body: stream ended after 9 of [0-9]+ bytes'
    lxc=$(awk '$2 == "libxc" { print $1 }' "$T/offs")
    head -c $((lxc + 30)) "$T/xo" >"$T/s"
    vbad "$T/s" 'handler libxc: xenopsd record Libxc \(0x00f0\) at offset [0-9]+, handed over as LIBXC_CONTEXT: libxc offset [0-9]+'
    q=$(awk '$3 == "Qemu_trad" { print $1 }' "$T/offs")
    head -c $((q + 100)) "$T/xo" >"$T/s"
    vbad "$T/s" "offset $q \\(0x[0-9a-f]+\\): truncated xenopsd record Qemu_trad \\(0x0f00\\) body: stream ended after 84 of 4096 bytes"
}

t_xenopsd_routing_by_the_ini_file() {
    inner
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo" --rec 0x7001:str:vendor-data --rec 0x0f11:str:efivars --offsets "$T/offs"
    EXTRA="[xenopsd.0x7001]
plugin = ctxprobe
log = $T/probe
[xenopsd.qemu_trad]
plugin = ctxprobe
log = $T/probe2" cconf >/dev/null
    expect 0 "$XLSR" verify -c "$T/c.ini" "$T/xo"
    v=$(awk '$3 == "record" { print $1; exit }' "$T/offs")
    # The vendor type, as the image has it (layer 3 = xenopsd).
    has "$T/probe" "^record layer=3 type=0x7001 len=11 offset=$v body=76656e646f722d64$"
    has "$T/probe" '^ctx xl=0 libvirt=0 xenops=[1-9][0-9]*$'
    has "$T/probe" '^xenops_sexp \(\(time '
    # Qemu_trad bound in [xenopsd.qemu_trad]: handed over in libxl shape,
    # EMULATOR_CONTEXT with emulator id 0, index 0, then the QEMU blob.
    q=$(awk '$3 == "Qemu_trad" { print $1 }' "$T/offs")
    has "$T/probe2" "^record layer=0 type=0x3 len=4104 offset=$q body=0000000000000000$"
}

t_xenopsd_shaped_records_fall_back_to_libxl_bindings() {
    inner
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo"
    expect 0 "$XLSR" dump -c "$(cconf)" "$T/xo"
    out_has '^offset [0-9]+: xenopsd record Qemu_trad \(0x0f00\), length 4096$'
    out_has '^  emulator 0 \(unknown\) index 0: 4096 bytes of device model state$'
    out_has '^offset [0-9]+: xenopsd record End_of_image \(0xffff\), length 0$'
    out_has '^dump: ok: 4 records, [0-9]+ bytes, END reached$'
    # Without an END binding, End_of_image has nowhere to go.
    sed -i '/^\[record.end\]/,/^plugin/d' "$T/c.ini"
    expect 1 "$XLSR" verify -c "$T/c.ini" "$T/xo"
    err_has 'xenopsd record End_of_image \(0xffff\): no handler configured for it'
    # xenopsd ignores the lengths of Libxc and End_of_image: so do we.
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo" --libxc-len 77
    expect 0 "$XLSR" verify -c "$(cconf)" "$T/xo"
    err_has 'xenopsd record Libxc \(0x00f0\): length 77 ignored, as xenopsd does'
}

t_xenopsd_blobs_written_like_emulator_state() {
    inner_restorable
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo" --rec 0x0f11:str:efivars-blob \
        --rec 0x0f13:str:tpm-one --rec 0x0f13:str:tpm-two
    c=$(cconf)
    expect 0 "$XLSR" dump -c "$c" "$T/xo"
    eq "$(grep -c '^  blob: ' "$T/out")" 3 "blob lines in dump"
    expect 0 "$XLSR" restore -c "$c" --domid 9 --dry-run "$T/xo"
    out_has "^blob: would write 12 bytes to $T/d/varstored.9$"
    out_has "^blob: would write 7 bytes to $T/d/swtpm.9.1$"
    eq "$(ls -A "$T/d")" "" "files written by a dry run"
    expect 0 "$XLSR" restore -c "$c" --domid 9 "$T/xo"
    eq "$(cat "$T/d/varstored.9")" efivars-blob "varstored blob"
    eq "$(cat "$T/d/swtpm.9.0")" tpm-one "first swtpm blob"
    eq "$(cat "$T/d/swtpm.9.1")" tpm-two "second swtpm blob"
    eq "$(stat -c %a "$T/d/varstored.9")" 600 "blob mode"
    [ -s "$T/d/qemu-resume.9" ] || fail "no QEMU state"
    # Two records to one file are refused, not overwritten.
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo2" --rec 0x0f11:str:a --rec 0x0f11:str:b
    expect 1 "$XLSR" restore -c "$c" --domid 10 "$T/xo2"
    err_has "handler blob: xenopsd record Varstored \(0x0f11\) at offset [0-9]+: $T/d/varstored.10 was already written"
    eq "$(cat "$T/d/varstored.10")" a "first blob kept"
    # The emulator backend's rules: no path outside dir, no symlink target.
    ln -s /etc/passwd "$T/d/varstored.11"
    expect 1 "$XLSR" restore -c "$c" --domid 11 "$T/xo"
    err_has 'target .*varstored.11 is a symlink: refused'
    EXTRA="[xenopsd.swtpm0]
plugin = blob
dir = $T/d
path = /tmp/elsewhere.%domid" cconf >/dev/null
    expect 2 "$XLSR" verify -c "$T/c.ini" "$T/xo"
    err_has "path '/tmp/elsewhere.0' is outside the configured directory"
}

t_xenopsd_unbound_blob_is_refused() {
    inner
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo" --rec 0x0f12:str:tpm0
    vbad "$T/xo" 'xenopsd record Swtpm0 \(0x0f12\): no handler configured for it \(bind one in a \[xenopsd.swtpm0\] section; the blob plugin writes it to a file\)'
}

t_xenopsd_sections_in_the_ini_file() {
    # Listed by `xlsr plugins` under their xenopsd names; a vendor's type
    # with a libxl type's number is not mistaken for that libxl binding.
    printf '[core]\nplugin_dir = %s\n[xenopsd.0x3]\nplugin = end\n[xenopsd.varstored]\nplugin = blob\npath = /var/lib/xen/v.%%domid\n' "$B/plugins" >"$T/c.ini"
    expect 0 "$XLSR" plugins -c "$T/c.ini"
    out_has '^0x00000f11 Varstored \[xenopsd.varstored\]$'
    out_has '^0x00000003 \(vendor\) \[xenopsd.0x3\]$'
    out_has '^0x00000003 EMULATOR_CONTEXT$'
    out_has '^    - not bound here \(default plugin = emulator\)$'
    for sec in "xenopsd.demu|libxl, libxc_legacy, qemu_xen and demu cannot be bound" \
               "xenopsd.0x0f01|cannot be bound" "xenopsd.nonsense|unknown record type 'nonsense'" \
               "vmware.foo|unknown section \[vmware.foo\] \(expected \[core\], \[record.TYPE\] or \[xenopsd.TYPE\]\)"; do
        printf '[core]\nplugin_dir = %s\n[%s]\nplugin = end\n' "$B/plugins" "${sec%%|*}" >"$T/c.ini"
        expect 2 "$XLSR" plugins -c "$T/c.ini"
        err_has "${sec#*|}"
    done
    # The same number in both spaces is two bindings, not a duplicate.
    printf '[core]\nplugin_dir = %s\n[record.0xf11]\nplugin = end\n[xenopsd.0xf11]\nplugin = end\n[xenopsd.varstored]\nplugin = end\n' "$B/plugins" >"$T/c.ini"
    expect 2 "$XLSR" plugins -c "$T/c.ini"
    err_has '\[xenopsd.varstored\]: record type 0xf11 already has a handler, section \[xenopsd.0xf11\]'
}

t_bare_libxc() {
    inner
    "$WRAP" libxc -i "$T/ex.xl" -o "$T/lxc" --offsets "$T/offs"
    c=$(cconf)
    expect 0 "$XLSR" dump -c "$c" -v "$T/lxc"
    out_has '^  offset 40: libxc record 0x00000011 X86_CPUID_POLICY'
    out_has '^dump: ok: 0 records, [0-9]+ bytes, END reached$'
    head -c 30 "$T/lxc" >"$T/s"
    vbad "$T/s" 'offset 0 \(0x0\): handler libxc: bare libxc stream: libxc offset 24 \(0x18\), domain header'
    # A bare libxc stream has no libxl layer to hand a checkpoint back to.
    "$GEN" --libxc hvm --pages 4 --checkpoints 1 --remus --ckpt-final-end -o "$T/ck"
    "$WRAP" libxc -i "$T/ck" -o "$T/s"
    vbad "$T/s" 'bare libxc stream: checkpoint: this libxc stream has no libxl stream around it'
    # It goes to the LIBXC_CONTEXT binding: none, no way to read it.
    expect 1 "$XLSR" verify -c "$(mkconf none.ini </dev/null)" "$T/lxc"
    err_has 'bare libxc stream: no handler configured for it \(it goes to the \[record.libxc_context\] binding\)'
}

t_legacy_images_refused_with_the_way_to_convert() {
    "$WRAP" legacy -o "$T/leg"
    vbad "$T/leg" 'offset 0 \(0x0\): legacy \(Xen 4.5 or older\) save image, 64-bit toolstack, HVM guest, which xlsr does not read: convert it .*PYTHONPATH=/usr/lib/xen-4.17/lib/python /usr/lib/xen-4.17/bin/convert-legacy-stream -i IN -o OUT -w 64 -g hvm -f libxl$'
    printf '\0\1\0\0\377\377\377\377' >"$T/s"
    vbad "$T/s" '32-bit toolstack, PV guest.* -w 32 -g pv -f libxl'
    printf '\0\1\0\0\376\377\377\377xxxxxxxx' >"$T/s"   # chunk -2: HVM
    vbad "$T/s" '32-bit toolstack, HVM guest.* -w 32 -g hvm'
    "$GEN" --xl-header --xl-mandatory 1 -o "$T/s"
    vbad "$T/s" 'xl save header without the libxl v2 flag: legacy .* -f libxl -x$'
}

t_converted_legacy_stream_verifies() {
    conv=/usr/lib/xen-4.17/bin/convert-legacy-stream
    [ -x "$conv" ] || skip "no $conv (xen-utils-4.17)"
    command -v python3 >/dev/null || skip "no python3"
    "$WRAP" legacy -o "$T/leg"
    PYTHONPATH=/usr/lib/xen-4.17/lib/python "$conv" -i "$T/leg" -o "$T/conv" -w 64 -g hvm -f libxl \
        || fail "Xen's converter failed on our legacy stream"
    expect 0 "$XLSR" dump -c "$(cconf)" "$T/conv"
    out_has '^offset 0: libxl header, version 2, options 0x2 \(converted from legacy\)$'
    out_has 'libxc: x86 HVM guest, converted from a legacy stream \(converter v1\)'
    out_has '^  emulator 0 \(unknown\) index 0: 16 bytes of device model state$'
    out_has '^layers: libxl v2 \(converted from legacy\) → libxc v3 x86 HVM \(converted from legacy\)$'
}

# Detection peeks from a pipe whose every read is short (dd bs=1: one byte
# per write), in buffered mode (verify) and exact mode (restore).
t_detection_from_a_one_byte_pipe() {
    "$GEN" --xl-header --libxc hvm --pages 2 \
        --rec emulator_context:emublob:2:0:64 -o "$T/ex.xl"
    "$WRAP" libvirt -i "$T/ex.xl" -o "$T/lv"
    "$WRAP" xenopsd -i "$T/ex.xl" -o "$T/xo"
    "$WRAP" legacy -o "$T/leg"
    c=$(cconf)
    for f in lv xo; do
        run sh -c "dd if='$T/$f' bs=1 status=none | '$XLSR' verify -c '$c' -"
        [ "$RC" -eq 0 ] || { cat "$T/err"; fail "$f from a one-byte pipe"; }
        # restore reads exactly (no read-ahead; libxc mode = verify here).
        run sh -c "dd if='$T/$f' bs=1 status=none | '$XLSR' restore -c '$c' --domid 3 -"
        [ "$RC" -eq 0 ] || { cat "$T/err"; fail "$f restore from a one-byte pipe"; }
    done
    eq "$(stat -c %s "$T/d/qemu-resume.3")" 64 "QEMU state from the exact reader"
    run sh -c "dd if='$T/leg' bs=1 status=none | '$XLSR' verify -c '$c' -"
    eq "$RC" 1 "legacy from a one-byte pipe"
    err_has '64-bit toolstack, HVM guest'
}
