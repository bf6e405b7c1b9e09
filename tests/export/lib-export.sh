# tests/export/lib-export.sh - helpers of the export tests (sourced).

PY=/usr/bin/python3
XGEN="$PY $XLSR_TOP/tests/tools/gen-export.py"
CHECK="$PY $XLSR_TOP/tests/export/check-export.py"

need_readers() {
    command -v readelf >/dev/null || skip "readelf missing (package binutils)"
    $PY -c 'import kdumpfile' 2>/dev/null ||
        skip "python3-libkdumpfile missing (package python3-libkdumpfile)"
}

econf() {
    mkconf export.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = export
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
EOT
}

# export_all STREAM: every format exported and judged.
export_all() {
    for fmt in elf raw lime dump-core; do
        expect 0 "$XLSR" export -c "$(econf)" --format $fmt -o "$T/m.$fmt" "$1"
        out_has "^export: ok: $T/m.$fmt"
        run $CHECK "$1" $fmt "$T/m.$fmt"
        [ "$RC" -eq 0 ] || { cat "$T/out"; fail "$fmt output judged wrong"; }
        cat "$T/out"
    done
}
