# tests/colo/t-colo.sh - the colo plugin (CHECKPOINT_STATE) in declared
# COLO streams, where the core frames the one CHECKPOINT_STATE libxl reads
# between two checkpoints (libxl__stream_read_checkpoint_state) and routes
# it like any record: valid control ids are reported, bad bodies fail with
# the offset.  Anywhere else libxl refuses the record ("Unexpected
# CHECKPOINT_STATE record in stream", libxl_stream_read.c), and so do we.

colo_conf() {
    mkconf c.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
[record.checkpoint_state]
plugin = colo
EOT
}

# colo_stream OUT SPEC...: a COLO stream whose CHECKPOINT_STATE records
# (one before each checkpoint after the first) get the bodies of the
# given --rec specs, in order; $FIRST is the offset of the first one.
colo_stream() {
    out=$1; shift
    "$GEN" --libxc hvm --pages 2 --checkpoints $(($# + 1)) --colo \
        --offsets "$T/colo.offs" -o "$T/colo.base"
    FIRST=$(awk '$3 == "CHECKPOINT_STATE" { print $1; exit }' "$T/colo.offs")
    prev=0
    : >"$out"
    for at in $(awk '$3 == "CHECKPOINT_STATE" { print $1 }' "$T/colo.offs"); do
        tail -c +$((prev + 1)) "$T/colo.base" | head -c $((at - prev)) >>"$out"
        "$GEN" --rec "checkpoint_state$1" --no-end -o "$T/colo.rec"
        tail -c +17 "$T/colo.rec" >>"$out"
        prev=$((at + 16)); shift
    done
    tail -c +$((prev + 1)) "$T/colo.base" >>"$out"
}

t_colo_valid_ids_reported() {
    c=$(colo_conf)
    colo_stream "$T/s" :state:0 :state:1 :state:2 :state:3
    expect 0 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    out_has '^verify: ok: failover after checkpoint 5'
    err_has 'info: colo: control id 0: new checkpoint \(primary to secondary\)'
    err_has 'info: colo: control id 1: secondary suspended'
    err_has 'info: colo: control id 2: secondary ready'
    err_has 'info: colo: control id 3: secondary resumed \(secondary to primary\)'
    # verify reports through the log only; dump prints as well.
    hasnt "$T/out" 'colo:'
    expect 0 "$XLSR" dump --checkpointed colo -c "$c" "$T/s"
    out_has "^offset $FIRST: record 0x00000005 CHECKPOINT_STATE, length 4\$"
    out_has '^  colo: control id 0: new checkpoint'
    out_has '^  colo: control id 3: secondary resumed'
    eq "$(grep -c '^  colo: control id' "$T/out")" 4 "printed lines"
    expect 0 "$XLSR" restore --domid 5 --dry-run --checkpointed colo -c "$c" \
        "$T/s"
    err_has 'info: colo: control id 2: secondary ready'
}

# The spec draws the body as control_id + 4 bytes of padding; libxl sends
# only the 4-byte control_id.  Both forms are accepted.
t_colo_spec_form_with_padding() {
    c=$(colo_conf)
    colo_stream "$T/s" :hex:0200000000000000
    expect 0 "$XLSR" dump --checkpointed colo -c "$c" "$T/s"
    out_has 'CHECKPOINT_STATE, length 8$'
    out_has '^  colo: control id 2: secondary ready'
}

t_colo_unknown_id_fails() {
    c=$(colo_conf)
    colo_stream "$T/s" :state:4
    expect 1 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    err_has "offset $FIRST \\(0x[0-9a-f]+\\): record CHECKPOINT_STATE \\(0x5\\): handler colo: unknown COLO control id 4"
    colo_stream "$T/s2" :state:0xffffffff
    expect 1 "$XLSR" restore --dry-run --domid 1 --checkpointed colo -c "$c" \
        "$T/s2"
    err_has "offset $FIRST \\(.*handler colo: unknown COLO control id 4294967295"
}

t_colo_short_body_fails() {
    c=$(colo_conf)
    colo_stream "$T/s" :hex:010000
    expect 1 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    err_has "offset $FIRST \\(0x[0-9a-f]+\\): record CHECKPOINT_STATE \\(0x5\\): handler colo: CHECKPOINT_STATE body is 3 bytes, expected 4"
    # An empty body: the plugin must not read a NULL body.
    colo_stream "$T/s0" "" :state:0
    expect 1 "$XLSR" dump --checkpointed colo -c "$c" "$T/s0"
    err_has "offset $FIRST \\(.*handler colo: CHECKPOINT_STATE body is 0 bytes"
    hasnt "$T/out" 'colo: control id'
}

t_colo_bad_length_or_padding_fails() {
    c=$(colo_conf)
    colo_stream "$T/s" :hex:000000000000
    expect 1 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    err_has 'handler colo: CHECKPOINT_STATE body is 6 bytes'
    colo_stream "$T/s" :hex:0000000000000000ff
    expect 1 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    err_has 'handler colo: CHECKPOINT_STATE body is 9 bytes'
    colo_stream "$T/s" :hex:0300000000000001
    expect 1 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    err_has "offset $FIRST \\(.*handler colo: CHECKPOINT_STATE padding is not zero \\(0x01000000\\)"
}

# Without a binding, CHECKPOINT_STATE (a mandatory type) is refused by the
# core: the plugin is what makes these streams readable.
t_colo_unbound_is_refused() {
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
[record.libxc_context]
plugin = libxc
mode = verify
EOT
)
    colo_stream "$T/s" :state:0
    expect 1 "$XLSR" verify --checkpointed colo -c "$c" "$T/s"
    err_has "offset $FIRST \\(0x[0-9a-f]+\\): record CHECKPOINT_STATE \\(0x5\\): no handler configured for mandatory record type 0x5"
}

# Issue 10, case 7: outside a COLO stream's between-checkpoints slot,
# CHECKPOINT_STATE is refused before any handler sees it, with its offset
# and the rule.
t_colo_state_outside_colo_refused() {
    c=$(colo_conf)
    "$GEN" --rec checkpoint_state:state:0 -o "$T/s"
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 16 \(0x10\): record CHECKPOINT_STATE \(0x5\): not allowed here \(stream state NORMAL\): libxl accepts it only between two checkpoints of a COLO stream'
    hasnt "$T/err" 'colo: control id'
    # Inside the libxl part of a checkpoint (Remus or COLO) too.
    "$GEN" --libxc hvm --pages 2 --checkpoints 2 --remus \
        --ckpt-rec checkpoint_state:state:0 -o "$T/r"
    expect 1 "$XLSR" verify --checkpointed remus -c "$c" "$T/r"
    err_has 'record CHECKPOINT_STATE \(0x5\): not allowed inside a checkpoint \(stream state UNBUFFERING\)'
    hasnt "$T/err" 'colo: control id'
}
