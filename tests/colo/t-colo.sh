# tests/colo/t-colo.sh - the colo plugin (CHECKPOINT_STATE) in plain,
# non-checkpointed streams, where the core routes the record like any
# other: valid control ids are reported, bad bodies fail with the offset.

colo_conf() {
    mkconf c.ini <<EOT
[record.end]
plugin = end
[record.checkpoint_state]
plugin = colo
EOT
}

t_colo_valid_ids_reported() {
    c=$(colo_conf)
    "$GEN" --rec checkpoint_state:state:0 --rec checkpoint_state:state:1 \
        --rec checkpoint_state:state:2 --rec checkpoint_state:state:3 \
        -o "$T/s"
    expect 0 "$XLSR" verify -c "$c" "$T/s"
    out_has '^verify: ok: 5 records'
    err_has 'info: colo: control id 0: new checkpoint \(primary to secondary\), checkpoint 0$'
    err_has 'info: colo: control id 1: secondary suspended'
    err_has 'info: colo: control id 2: secondary ready'
    err_has 'info: colo: control id 3: secondary resumed \(secondary to primary\)'
    # verify reports through the log only; dump prints as well.
    hasnt "$T/out" 'colo:'
    expect 0 "$XLSR" dump -c "$c" "$T/s"
    out_has '^offset 16: record 0x00000005 CHECKPOINT_STATE, length 4$'
    out_has '^  colo: control id 0: new checkpoint'
    out_has '^  colo: control id 3: secondary resumed'
    eq "$(grep -c '^  colo: control id' "$T/out")" 4 "printed lines"
    expect 0 "$XLSR" restore --domid 5 --dry-run -c "$c" "$T/s"
    err_has 'info: colo: control id 2: secondary ready'
}

# The spec draws the body as control_id + 4 bytes of padding; libxl sends
# only the 4-byte control_id.  Both forms are accepted.
t_colo_spec_form_with_padding() {
    c=$(colo_conf)
    "$GEN" --rec checkpoint_state:hex:0200000000000000 -o "$T/s"
    expect 0 "$XLSR" dump -c "$c" "$T/s"
    out_has 'CHECKPOINT_STATE, length 8$'
    out_has '^  colo: control id 2: secondary ready'
}

t_colo_unknown_id_fails() {
    c=$(colo_conf)
    "$GEN" --rec checkpoint_state:state:1 --rec checkpoint_state:state:4 \
        -o "$T/s"
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 32 \(0x20\): record CHECKPOINT_STATE \(0x5\): handler colo: unknown COLO control id 4'
    "$GEN" --rec checkpoint_state:state:0xffffffff -o "$T/s2"
    expect 1 "$XLSR" restore --domid 1 -c "$c" "$T/s2"
    err_has 'offset 16 \(0x10\): .*handler colo: unknown COLO control id 4294967295'
}

t_colo_short_body_fails() {
    c=$(colo_conf)
    "$GEN" --rec checkpoint_state:hex:010000 -o "$T/s"
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 16 \(0x10\): record CHECKPOINT_STATE \(0x5\): handler colo: CHECKPOINT_STATE body is 3 bytes, expected 4'
    # An empty body: the plugin must not read a NULL body.
    "$GEN" --rec checkpoint_state --rec checkpoint_state:state:0 -o "$T/s0"
    expect 1 "$XLSR" dump -c "$c" "$T/s0"
    err_has 'offset 16 \(0x10\): .*handler colo: CHECKPOINT_STATE body is 0 bytes'
    hasnt "$T/out" 'colo: control id'
}

t_colo_bad_length_or_padding_fails() {
    c=$(colo_conf)
    "$GEN" --rec checkpoint_state:hex:000000000000 -o "$T/s"
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'handler colo: CHECKPOINT_STATE body is 6 bytes'
    "$GEN" --rec checkpoint_state:hex:0000000000000000ff -o "$T/s"
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'handler colo: CHECKPOINT_STATE body is 9 bytes'
    "$GEN" --rec checkpoint_state:hex:0300000000000001 -o "$T/s"
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 16 \(0x10\): .*handler colo: CHECKPOINT_STATE padding is not zero \(0x01000000\)'
}

# Without a binding, CHECKPOINT_STATE (a mandatory type) is refused by the
# core: the plugin is what makes these streams readable.
t_colo_unbound_is_refused() {
    c=$(mkconf c.ini <<EOT
[record.end]
plugin = end
EOT
)
    "$GEN" --rec checkpoint_state:state:0 -o "$T/s"
    expect 1 "$XLSR" verify -c "$c" "$T/s"
    err_has 'offset 16 \(0x10\): record CHECKPOINT_STATE \(0x5\): no handler configured for mandatory record type 0x5'
}
