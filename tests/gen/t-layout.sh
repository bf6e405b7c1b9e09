# tests/gen/t-layout.sh - the bytes xlsr-gen writes, checked with od: the
# xl, libxl and libxc headers, record bodies, page contents, checkpointed
# shapes, the --offsets log against the file, and the CLI's refusals.
. tests/tools/gen-test-lib.sh

SLOW=0

# Offset of the libxl header in an xl file: magic, 4 u32, u32 + config.
xl_end() { # FILE
    echo $((52 + $(u32 "$1" 48)))
}

t_gen_xl_header_layout() {
    "$GEN" --xl-header --libxc hvm -o "$T/s"
    eq "$(bytes "$T/s" 0 32)" \
        "58656e20736176656420646f6d61696e2c20786c20666f726d61740a2000200d" \
        "xl magic"
    eq "$(bytes "$T/s" 32 4)" 04030201 "byte-order marker, host order"
    eq "$(u32 "$T/s" 36)" 3 "mandatory flags: JSON config + libxl v2"
    eq "$(u32 "$T/s" 40)" 0 "optional flags"
    clen=$(u32 "$T/s" 48)
    eq "$(u32 "$T/s" 44)" $((clen + 4)) "optional data = u32 length + config"
    eq "$(bytes "$T/s" $((52 + clen - 1)) 1)" 00 "config NUL-terminated"
    dd if="$T/s" of="$T/cfg" bs=1 skip=52 count=$((clen - 1)) 2>/dev/null
    has "$T/cfg" '"name": "gen-guest"'
    has "$T/cfg" '"uuid": "5e1f0c2a-0000-4000-8000-000000000001"'
    has "$T/cfg" '"type": "hvm"'
    has "$T/cfg" '"max_vcpus": 1,'
    has "$T/cfg" '"max_memkb": 131072,'
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/cfg" ||
        fail "built-in config is not JSON"
    eq "$(bytes "$T/s" "$(xl_end "$T/s")" 16)" \
        4c6962786c466d740000000200000000 "libxl header after the config"

    "$GEN" --xl-header --libxc pv -o "$T/pv"
    dd if="$T/pv" of="$T/cfg" bs=1 skip=52 count=200 2>/dev/null
    has "$T/cfg" '"type": "pv"'

    printf '{"c_info": {"name": "mine"}}' >"$T/my.json"
    "$GEN" --xl-header --xl-config "$T/my.json" --xl-mandatory 0x7 \
        --xl-optional 1 -o "$T/my"
    eq "$(u32 "$T/my" 36)" 7 "--xl-mandatory"
    eq "$(u32 "$T/my" 40)" 1 "--xl-optional"
    eq "$(u32 "$T/my" 48)" 29 "config length counts the NUL"
    eq "$(bytes "$T/my" 52 29)" "$(od -An -tx1 -v "$T/my.json" | tr -d ' \n')00" \
        "config bytes"
    "$GEN" --xl-header --xl-optlen 5 -o "$T/ol"
    eq "$(u32 "$T/ol" 44)" 5 "--xl-optlen"
}

t_gen_libxl_header_and_big_endian() {
    "$GEN" --rec emulator_context:hex:aabb -o "$T/le"
    eq "$(bytes "$T/le" 0 16)" 4c6962786c466d740000000200000000 "header"
    eq "$(bytes "$T/le" 16 16)" 0300000002000000aabb000000000000 "LE record"
    eq "$(bytes "$T/le" 32 8)" 0000000000000000 "END"
    eq "$(stat -c %s "$T/le")" 40 "size"
    "$GEN" --big --rec emulator_context:hex:aabb --rec 0x80000001:zero:1 \
        -o "$T/be"
    eq "$(bytes "$T/be" 0 16)" 4c6962786c466d740000000200000001 "BE header"
    eq "$(bytes "$T/be" 16 16)" 0000000300000002aabb000000000000 "BE record"
    eq "$(bytes "$T/be" 32 8)" 8000000100000001 "BE optional record"
    "$GEN" --big --little -o "$T/le2"
    eq "$(bytes "$T/le2" 12 4)" 00000000 "--little after --big"
    "$GEN" --ident 0x1122334455667788 --libxl-version 9 --libxl-options 6 \
        -o "$T/ov"
    eq "$(bytes "$T/ov" 0 16)" 11223344556677880000000900000006 "overrides"
}

t_gen_offsets_match_file() {
    "$GEN" --xl-header --rec 0x80000001:str:abc --libxc pv --pages 9 \
        --batch 4 --xtab 3 --rec emulator_context:emublob:2:0:777 \
        --trailing 13 --offsets "$T/o1" -o "$T/s1"
    check_offsets "$T/s1" "$T/o1" $(($(xl_end "$T/s1") + 16)) 13
    has "$T/o1" '^[0-9]+ libxl 0x80000001 3$'
    eq "$(grep -c ' libxc PAGE_DATA ' "$T/o1")" 6 "3 page batches + 3 XTAB"
    eq "$(tail -n 1 "$T/o1" | cut -d' ' -f2-)" "libxl END 0" "last record"

    "$GEN" --libxc hvm --libxc-version 2 --offsets "$T/o2" -o "$T/s2"
    check_offsets "$T/s2" "$T/o2" 16
    "$GEN" --libxc hvm --checkpoints 3 --colo --offsets "$T/o3" -o "$T/s3" \
        --ckpt-rec emulator_context:emublob:2:0:50
    check_offsets "$T/s3" "$T/o3" 16
    "$GEN" --libxc pv --libxc-corrupt big-record --offsets "$T/o4" -o "$T/s4"
    check_offsets "$T/s4" "$T/o4" 16
    has "$T/o4" '^[0-9]+ libxc PAGE_DATA 0 claimed=1073741824$'
    "$GEN" --rec emulator_context:str:hi,len=99 --offsets "$T/o5" -o "$T/s5"
    check_offsets "$T/s5" "$T/o5" 16
    has "$T/o5" '^16 libxl EMULATOR_CONTEXT 2 claimed=99$'
    eq "$(u32 "$T/s5" 20)" 99 "claimed length in the header"

    # Cutting at any logged offset leaves whole records: the prefix up to
    # a record plus that record's framing is the prefix up to the next.
    off=$(sed -n '5p' "$T/o1" | cut -d' ' -f1)
    head -c "$off" "$T/s1" >"$T/cut"
    eq "$(stat -c %s "$T/cut")" "$off" "head -c at a record boundary"
}

# body SPEC...: hex of the first record's body (at offset 24).
body() {
    "$GEN" "$@" --offsets "$T/bo" -o "$T/b"
    bytes "$T/b" 24 "$(head -n 1 "$T/bo" | cut -d' ' -f4)"
}

t_gen_record_bodies() {
    eq "$(body --rec 'emulator_xenstore_data:xs:2:0:a=1;b/c=2')" \
        020000000000000061003100622f63003200 "xs"
    eq "$(body --rec emulator_context:emu:1:7:0a0B)" 01000000070000000a0b "emu"
    eq "$(body --rec checkpoint_state:state:3)" 03000000 "state"
    eq "$(bytes "$T/b" 16 16)" 05000000040000000300000000000000 \
        "CHECKPOINT_STATE: 4-byte body, zero padding"
    eq "$(body --rec Emulator_Context:str:hello)" 68656c6c6f "str"
    eq "$(bytes "$T/b" 29 3)" 000000 "zero padding"
    eq "$(body --rec EMULATOR_CONTEXT:zero:10)" 00000000000000000000 "zero"
    eq "$(body --rec 0x80000001:hex:)" "" "empty hex"
    eq "$(body --rec 3:zero:1K | wc -c)" 2048 "K suffix"
    a=$(body --rec 3:rand:64:5)
    eq "$(echo -n "$a" | wc -c)" 128 "rand length"
    eq "$(body --rec 3:rand:64:5)" "$a" "same seed, same bytes"
    eq "$(body --seed 5 --rec 3:rand:64)" "$a" "--seed is the default seed"
    [ "$(body --rec 3:rand:64:6)" != "$a" ] || fail "seed 6 = seed 5"
    [ "$(body --rec 3:rand:64)" != "$a" ] || fail "default seed = seed 5"
    eq "$(body --rec emulator_context:emublob:2:1:64:5)" \
        "0200000001000000$a" "emublob = sub-header + rand"
    head -c 3000 /dev/urandom >"$T/f"
    eq "$(body --rec 3:file:"$T/f")" \
        "$(od -An -tx1 -v "$T/f" | tr -d ' \n')" "file"
    eq "$(body --rec 3:file:<(printf 'piped'))" 7069706564 "file from a pipe"
    eq "$(body --rec 3:str:a,b,len=7,pad=ee)" 612c62 "commas stay in str"
    eq "$(u32 "$T/b" 20)" 7 "len= claims"
    eq "$(bytes "$T/b" 27 5)" eeeeeeeeee "pad= fills the padding"
    eq "$(body --rec end)" "" "no body"
    # A big blob streams: 64 MiB with a small resident set.
    "$GEN" --rec emulator_context:emublob:2:0:64M -o "$T/blob"
    eq "$(stat -c %s "$T/blob")" $((16 + 8 + 8 + 64 * 1024 * 1024 + 8)) \
        "64 MiB blob"
}

t_gen_libxc_layout() {
    "$GEN" --libxc pv --offsets "$T/o" -o "$T/pv"
    eq "$(bytes "$T/pv" 24 24)" \
        ffffffffffffffff58454e46000000030000000000000000 "image header"
    eq "$(bytes "$T/pv" 48 16)" 010000000c0000000400000011000000 \
        "domain header: PV, page_shift 12, Xen 4.17"
    eq "$(cut -d' ' -f2,3 "$T/o" | tr '\n' ' ')" \
        "libxl LIBXC_CONTEXT libxc X86_PV_INFO libxc X86_CPUID_POLICY libxc X86_MSR_POLICY libxc STATIC_DATA_END libxc X86_PV_P2M_FRAMES libxc PAGE_DATA libxc X86_TSC_INFO libxc SHARED_INFO libxc X86_PV_VCPU_BASIC libxc X86_PV_VCPU_EXTENDED libxc X86_PV_VCPU_XSAVE libxc END libxl END " \
        "PV record order"
    "$GEN" --libxc hvm --libxc-version 2 --offsets "$T/o" -o "$T/hvm"
    eq "$(bytes "$T/hvm" 24 24)" \
        ffffffffffffffff58454e46000000020000000000000000 "v2 image header"
    eq "$(bytes "$T/hvm" 48 4)" 02000000 "HVM domain"
    eq "$(cut -d' ' -f2,3 "$T/o" | tr '\n' ' ')" \
        "libxl LIBXC_CONTEXT libxc PAGE_DATA libxc X86_TSC_INFO libxc HVM_CONTEXT libxc HVM_PARAMS libxc END libxl END " \
        "HVM v2 record order"
    "$GEN" --libxc hvm --offsets "$T/o" -o "$T/hvm3"
    eq "$(cut -d' ' -f3 "$T/o" | head -n 5 | tr '\n' ' ')" \
        "LIBXC_CONTEXT X86_CPUID_POLICY X86_MSR_POLICY STATIC_DATA_END PAGE_DATA " \
        "HVM v3 static data"
    # The corruptions that touch headers touch just that field.
    "$GEN" --libxc pv --libxc-corrupt ihdr-reserved -o "$T/c"
    eq "$(bytes "$T/c" 40 8)" 0000000100000001 "ihdr reserved fields"
    "$GEN" --libxc pv --libxc-corrupt dhdr-reserved -o "$T/c"
    eq "$(bytes "$T/c" 48 16)" 010000000c0001000400000011000000 "dhdr reserved"
    "$GEN" --libxc pv --libxc-corrupt no-end --offsets "$T/o" -o "$T/c"
    eq "$(tail -n 1 "$T/o" | cut -d' ' -f2,3)" "libxc X86_PV_VCPU_XSAVE" \
        "no-end stops before libxc END"
}

# page FILE OFFSETS-LINE-REGEX N: hex of the first and last u64 of the Nth
# page (from 0) of the first PAGE_DATA matching the regex.
page_ends() {
    line=$(grep -E -m 1 -- "$2" "$T/o")
    off=$(echo "$line" | cut -d' ' -f1)
    count=$(u32 "$1" $((off + 8)))
    p=$((off + 16 + 8 * count + 4096 * $3))
    echo "$(bytes "$1" "$p" 8) $(bytes "$1" $((p + 4088)) 8)"
}

t_gen_page_contents() {
    "$GEN" --libxc pv --pages 5 --batch 2 --xtab 2 --offsets "$T/o" \
        --checkpoints 2 --ckpt-final-end -o "$T/s"
    off=$(grep -m 1 ' PAGE_DATA ' "$T/o" | cut -d' ' -f1)
    eq "$(bytes "$T/s" $((off + 8)) 24)" \
        020000000000000000000000000000c00100000000000000 \
        "count 2, pfn 0 (a pinned L4: type 0xc, as a restorable PV stream has) and pfn 1"
    eq "$(page_ends "$T/s" ' PAGE_DATA ' 1)" \
        "0100000000000000 0100000000000000" "page filled with its pfn"
    eq "$(grep -c ' PAGE_DATA 16$' "$T/o")" 2 "XTAB records: one pfn, no page"
    off=$(grep ' PAGE_DATA 16$' "$T/o" | tail -n 1 | cut -d' ' -f1)
    eq "$(bytes "$T/s" $((off + 8)) 16)" 010000000000000003000000000000f0 \
        "last XTAB entry: type 0xf, pfn 3 (XTAB pfns start at 2)"
    # Checkpoint K's pages carry K in their upper half.
    eq "$(page_ends "$T/s" ' PAGE_DATA .* ckpt=2' 0)" \
        "0300000002000000 0300000002000000" "ckpt 2 rewrites pfn 3"
    "$GEN" --libxc pv --pages 5 --page-seed 1 --offsets "$T/o" -o "$T/r1"
    "$GEN" --libxc pv --pages 5 --page-seed 1 -o "$T/r2"
    "$GEN" --libxc pv --pages 5 --page-seed 2 -o "$T/r3"
    cmp -s "$T/r1" "$T/r2" || fail "page seed is not deterministic"
    cmp -s "$T/r1" "$T/r3" && fail "page seeds 1 and 2 give the same stream"
    p=$(page_ends "$T/r1" ' PAGE_DATA ' 1)
    [ "$p" != "0100000000000000 0100000000000000" ] || fail "seeded = pfn fill"
}

t_gen_checkpoint_shapes() {
    "$GEN" --libxc pv --checkpoints 3 --remus --offsets "$T/o" -o "$T/r" \
        --ckpt-rec 'emulator_context:str:ck{K}'
    eq "$(grep -c ' CHECKPOINT 0 ckpt=' "$T/o")" 3 "libxc CHECKPOINT records"
    eq "$(grep -c 'libxl CHECKPOINT_END 0 ckpt=' "$T/o")" 3 "CHECKPOINT_END"
    hasnt "$T/o" ' END 0$'
    hasnt "$T/o" 'CHECKPOINT_STATE'
    eq "$(grep 'ckpt=2' "$T/o" | cut -d' ' -f2,3 | tr '\n' ' ')" \
        "libxc PAGE_DATA libxc X86_TSC_INFO libxc SHARED_INFO libxc X86_PV_VCPU_BASIC libxc X86_PV_VCPU_EXTENDED libxc X86_PV_VCPU_XSAVE libxc CHECKPOINT libxl EMULATOR_CONTEXT libxl CHECKPOINT_END " \
        "one Remus checkpoint"
    eq "$(tail -n 1 "$T/o" | cut -d' ' -f2-)" "libxl CHECKPOINT_END 0 ckpt=3" \
        "the stream stops after the last checkpoint"
    off=$(grep 'EMULATOR_CONTEXT 3 ckpt=2' "$T/o" | cut -d' ' -f1)
    eq "$(bytes "$T/r" $((off + 8)) 3)" 636b32 "{K} became 2"
    check_offsets "$T/r" "$T/o" 16

    "$GEN" --libxc hvm --checkpoints 3 --colo --offsets "$T/o" -o "$T/c"
    eq "$(grep -c 'libxl CHECKPOINT_STATE 4' "$T/o")" 2 "COLO NEW records"
    grep -B 1 'CHECKPOINT_STATE' "$T/o" | grep -c 'CHECKPOINT_END' |
        { read -r n; eq "$n" 2 "CHECKPOINT_STATE follows CHECKPOINT_END"; }
    grep -A 1 'CHECKPOINT_STATE' "$T/o" | grep -c 'libxc PAGE_DATA' |
        { read -r n; eq "$n" 2 "and precedes the next checkpoint's pages"; }
    off=$(grep -m 1 'CHECKPOINT_STATE' "$T/o" | cut -d' ' -f1)
    eq "$(bytes "$T/c" "$off" 16)" 05000000040000000000000000000000 \
        "CHECKPOINT_STATE NEW"
    has "$T/o" 'libxl CHECKPOINT_STATE 4 ckpt=2$'
    check_offsets "$T/c" "$T/o" 16

    "$GEN" --libxc hvm --checkpoints 1 --ckpt-final-end --offsets "$T/o" \
        --rec emulator_context:emu:2:0:00 -o "$T/f"
    eq "$(tail -n 4 "$T/o" | cut -d' ' -f2,3 | tr '\n' ' ')" \
        "libxl CHECKPOINT_END libxc END libxl EMULATOR_CONTEXT libxl END " \
        "--ckpt-final-end"
    expect 2 "$GEN" --libxc pv --checkpoints 2 --rec end -o "$T/x"
    err_has 'need --ckpt-final-end'
}

t_gen_example_layout() {
    "$GEN" --example --offsets "$T/o" -o "$T/ex"
    check_offsets "$T/ex" "$T/o" $(($(xl_end "$T/ex") + 16))
    has "$T/o" ' libxc PAGE_DATA 65672$'     # 16 pages in one batch
    eq "$(grep -c ' PAGE_DATA ' "$T/o")" 1 "one PAGE_DATA"
    eq "$(tail -n 3 "$T/o" | cut -d' ' -f2,3,4 | tr '\n' ' ')" \
        "libxl EMULATOR_XENSTORE_DATA 74 libxl EMULATOR_CONTEXT 4104 libxl END 0 " \
        "emulator records and END"
    off=$(grep EMULATOR_CONTEXT "$T/o" | cut -d' ' -f1)
    eq "$(bytes "$T/ex" $((off + 8)) 16)" 02000000000000005145564d00000003 \
        "QEMU upstream, index 0, QEVM"
    off=$(grep EMULATOR_XENSTORE_DATA "$T/o" | cut -d' ' -f1)
    eq "$(bytes "$T/ex" $((off + 8)) 8)" 0200000000000000 "xenstore sub-header"
    dd if="$T/ex" of="$T/kv" bs=1 skip=$((off + 16)) count=66 2>/dev/null
    eq "$(tr -cd '\000' <"$T/kv" | wc -c)" 4 "two keys, two values"
    has "$T/kv" 'physmap/f0000000/start_addr'
    eq "$(tail -c 1 "$T/kv" | od -An -tx1 | tr -d ' ')" 00 "NUL-terminated"
    "$GEN" --example -o "$T/ex2"
    cmp -s "$T/ex" "$T/ex2" || fail "the example is not reproducible"
}

t_gen_output_options() {
    "$GEN" --libxc hvm --rec 3:rand:99 -o "$T/file"
    "$GEN" --libxc hvm --rec 3:rand:99 -o - >"$T/stdout"
    cmp "$T/file" "$T/stdout" || fail "-o - differs from -o FILE"
    "$GEN" --trailing 5 -o "$T/t"
    eq "$(stat -c %s "$T/t")" 29 "END + 5 trailing bytes"
    eq "$(tail -c 5 "$T/t")" xxxxx "trailing bytes are x"
    "$GEN" --no-end -o "$T/n"
    eq "$(stat -c %s "$T/n")" 16 "--no-end: the header only"
    "$GEN" --no-end --rec end:str:x -o "$T/n"
    eq "$(bytes "$T/n" 16 16)" 00000000010000007800000000000000 "END with a body"
    "$GEN" --help >"$T/h"
    has "$T/h" '^usage: xlsr-gen'
}

t_gen_cli_refusals() {
    expect 2 "$GEN" --libxc pv
    err_has 'missing -o'
    expect 2 "$GEN" --libxc foo -o "$T/x"
    err_has "--libxc takes pv or hvm"
    expect 2 "$GEN" --rec bogus -o "$T/x"
    err_has "unknown record type 'bogus'"
    expect 2 "$GEN" --rec 3:hex:abc -o "$T/x"
    err_has 'odd number of hex digits'
    expect 2 "$GEN" --rec 3:hex:zz -o "$T/x"
    err_has 'bad hex digit'
    expect 2 "$GEN" --rec 3:pie:1 -o "$T/x"
    err_has "unknown body kind 'pie'"
    expect 2 "$GEN" --rec 3:xs:2:0:novalue -o "$T/x"
    err_has "has no '='"
    expect 2 "$GEN" --rec 3:zero:5G -o "$T/x"
    err_has 'longer than 4 GiB'
    expect 2 "$GEN" --rec 3:file:"$T/nonexistent" -o "$T/x"
    err_has 'No such file'
    expect 2 "$GEN" --rec 3:str:x,len=-1 -o "$T/x"
    expect 2 "$GEN" --libxc pv --libxc-corrupt nope -o "$T/x"
    expect 2 "$GEN" --libxc pv --pages 0 --libxc-corrupt pfn-reserved -o "$T/x"
    err_has 'needs --pages >= 1'
    expect 2 "$GEN" --libxc pv --batch 0 -o "$T/x"
    expect 2 "$GEN" --libxc pv --batch 2000000 -o "$T/x"
    expect 2 "$GEN" --libxc pv --libxc-version 4 -o "$T/x"
    expect 2 "$GEN" --checkpoints 2 -o "$T/x"
    err_has 'checkpoints need --libxc'
    expect 2 "$GEN" --ckpt-rec 3:hex:q -o "$T/x" --libxc pv --checkpoints 1
    expect 2 "$GEN" --frobnicate -o "$T/x"
    expect 2 "$GEN" -o "$T/x" stray
    expect 1 "$GEN" -o "$T/no/such/dir/x"
}
