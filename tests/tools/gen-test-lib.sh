# tests/tools/gen-test-lib.sh - helpers for the xlsr-gen tests
# (tests/gen/t-*.sh source it after tests/lib.sh).

VSV=${XEN_VERIFIER:-/usr/lib/xen-4.17/bin/verify-stream-v2}
GEN_VERIFY=$XLSR_TOP/tests/tools/gen-verify.py

need_verifier() {
    [ -x "$VSV" ] ||
        skip "Xen's verify-stream-v2 is missing (package xen-utils-4.17)"
    command -v python3 >/dev/null || skip "python3 is missing"
}

# vsv FORMAT FILE: Xen's verifier, as shipped.
vsv() {
    PYTHONPATH=/usr/lib/xen-4.17/lib/python "$VSV" -f "$1" -i "$2"
}

# vsv_fixed FORMAT FILE: the same with its Python 3 xenstore bug repaired.
vsv_fixed() {
    python3 "$GEN_VERIFY" "$1" "$2"
}

# u32 FILE OFFSET: one little-endian u32 of FILE, in decimal.
u32() {
    od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '
}

# bytes FILE OFFSET COUNT: hex bytes, no spaces.
bytes() {
    od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# The record type number behind a name of the --offsets log.
type_num() { # LEVEL NAME
    case $1:$2 in
    *:0x*) printf '%d' "$2" ;;
    *:END) echo 0 ;;
    libxl:LIBXC_CONTEXT) echo 1 ;;
    libxl:EMULATOR_XENSTORE_DATA) echo 2 ;;
    libxl:EMULATOR_CONTEXT) echo 3 ;;
    libxl:CHECKPOINT_END) echo 4 ;;
    libxl:CHECKPOINT_STATE) echo 5 ;;
    libxc:PAGE_DATA) echo 1 ;;
    libxc:X86_PV_INFO) echo 2 ;;
    libxc:X86_PV_P2M_FRAMES) echo 3 ;;
    libxc:X86_PV_VCPU_BASIC) echo 4 ;;
    libxc:X86_PV_VCPU_EXTENDED) echo 5 ;;
    libxc:X86_PV_VCPU_XSAVE) echo 6 ;;
    libxc:SHARED_INFO) echo 7 ;;
    libxc:X86_TSC_INFO) echo 8 ;;
    libxc:HVM_CONTEXT) echo 9 ;;
    libxc:HVM_PARAMS) echo 10 ;;
    libxc:CHECKPOINT) echo 14 ;;
    libxc:STATIC_DATA_END) echo 16 ;;
    libxc:X86_CPUID_POLICY) echo 17 ;;
    libxc:X86_MSR_POLICY) echo 18 ;;
    *) fail "unknown record name $1 $2" ;;
    esac
}

# check_offsets FILE OFFSETS FIRST [TRAILING]: every logged record sits
# where the previous one ends (plus the 40 bytes of libxc headers after
# LIBXC_CONTEXT), carries the logged type and length, and the last one's
# framing plus TRAILING junk bytes ends the file.  FIRST is the offset of
# the first record (the size of the headers before it).
check_offsets() {
    local f=$1 log=$2 next=$3 tr=${4:-0} off lvl name len rest t l n=0
    while read -r off lvl name len rest; do
        eq "$off" "$next" "offset of record $n ($lvl $name)"
        t=$(u32 "$f" "$off")
        l=$(u32 "$f" $((off + 4)))
        eq "$t" "$(type_num "$lvl" "$name")" "type at offset $off"
        case " $rest " in
        *" claimed="*) ;;
        *) eq "$l" "$len" "body_length at offset $off" ;;
        esac
        next=$((off + 8 + (len + 7) / 8 * 8))
        [ "$lvl $name" = "libxl LIBXC_CONTEXT" ] && next=$((next + 40))
        n=$((n + 1))
    done <"$log"
    [ "$n" -gt 0 ] || fail "empty offsets log $log"
    eq $((next + tr)) "$(stat -c %s "$f")" "last record + framing = file size"
}
