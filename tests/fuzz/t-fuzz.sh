# tests/fuzz/t-fuzz.sh - mutated streams through every shipped plugin in
# verify mode: none may crash, hang or trip a sanitizer.  Each fuzz
# target's committed corpus (tests/fuzz/corpus/TARGET/: minimised libFuzzer
# corpora, crashers included) is replayed through the same target code.

fuzz_conf() {
    mkconf fuzz.ini <<EOT
max_record_bytes = 16M
checkpoint_buffer_bytes = 1M
unknown_records = skip
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.emulator_xenstore_data]
plugin = xenstore
[record.emulator_context]
plugin = emulator
[record.checkpoint_state]
plugin = recorder
log = /dev/null
EOT
}

fuzz() { # SEED_ARGS... ; runs 1500 mutations of the writer's stream
    "$GEN" "$@" -o "$T/seed"
    corpus=$(ls "$XLSR_TOP"/tests/fuzz/corpus/stream/* 2>/dev/null || true)
    expect 0 timeout 600 "$B/tests/fuzz-stream" "$(fuzz_conf)" "$T/seed" 1500 "${SEED:-1}" -- $corpus
    cat "$T/out"
    out_has '^fuzz: 1500 mutations: [0-9]+ verified, [0-9]+ refused, 0 config'
}

t_fuzz_xl_hvm_with_emulator_records() {
    fuzz --xl-header --libxc hvm --pages 3 --batch 2 \
        --rec emulator_xenstore_data:xs:2:0:'a/b=1;c=2' \
        --rec emulator_context:emu:2:0:51455600 --rec 0x80000001:str:v
}

t_fuzz_hvm_v2() {
    SEED=2 fuzz --libxc hvm --libxc-version 2 --pages 4 --batch 3
}

t_fuzz_remus_checkpoints() {
    SEED=3 fuzz --libxc hvm --pages 2 --checkpoints 3 --remus \
        --ckpt-rec 'emulator_context:emu:2:0:0{K}'
}

replay() { # TARGET: every committed input of one fuzz target
    set -- "$1" "$XLSR_TOP"/tests/fuzz/corpus/"$1"/*
    [ -e "$2" ] || fail "no committed corpus for fuzz target $1"
    n=$(($# - 1))
    expect 0 timeout 600 "$B/tests/fuzz-replay" "$@"
    out_has "^fuzz-replay $1: $n inputs replayed"
}

t_fuzz_replay_stream() { replay stream; }
t_fuzz_replay_libxl() { replay libxl; }
t_fuzz_replay_libxc() { replay libxc; }
t_fuzz_replay_xenstore() { replay xenstore; }
t_fuzz_replay_emulator() { replay emulator; }
t_fuzz_replay_ini() { replay ini; }
t_fuzz_replay_xljson() { replay xljson; }
