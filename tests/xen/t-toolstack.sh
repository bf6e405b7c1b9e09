# tests/xen/t-toolstack.sh - the embedding toolstack's first step on the
# host, without Xen: `xlsr-toolstack --show-config` reads the xl header and
# the few fields of the JSON configuration it sizes the domain from.  The
# configuration comes from a save file, so malformed and hostile ones must
# be refused with a message (and, in the sanitizer pass, without a single
# bad access).  The restore itself runs in t-xen.sh, on real Xen.

TS=$B/tests/xlsr-toolstack

# xl_with CONFIG_JSON: a small save file whose xl header carries it.
xl_with() {
    printf '%s' "$1" >"$T/cfg.json"
    "$GEN" --xl-header --xl-config "$T/cfg.json" -o "$T/s.xl"
}

GOOD='{"c_info": {"type": "pv", "name": "hb", "uuid": "7123ced8-04a2-47dc-a6dc-6369aaec8b2f"},
 "b_info": {"max_vcpus": 2, "avail_vcpus": [0, 1], "max_memkb": 131072,
  "target_memkb": 98304, "sched_params": {"sched": "credit2", "weight": 256},
  "cmdline": "console=hvc0 \"quoted\" \\ back", "type.pv": {"slack_memkb": 2048},
  "arch_x86": {"msr_relaxed": "True"}}, "on_crash": "preserve"}'

t_toolstack_config() {
    xl_with "$GOOD"
    expect 0 "$TS" --show-config "$T/s.xl"
    out_has '^name hb$'
    out_has '^uuid 7123ced8-04a2-47dc-a6dc-6369aaec8b2f$'
    out_has '^max_vcpus 2$'
    out_has '^max_memkb 131072$'
    out_has '^target_memkb 98304$'
    out_has '^slack_memkb 2048$'
    out_has '^msr_relaxed true$'
}

# Keys are found by name whatever their order and nesting around them; a
# key of the same name inside another object does not count.
t_toolstack_config_order() {
    xl_with '{"x": {"max_vcpus": 9, "b_info": {"max_vcpus": 8}},
      "b_info": {"target_memkb": 4096, "deep": [[[{"max_vcpus": 7}]]],
                 "max_memkb": 8192, "max_vcpus": 3},
      "c_info": {"uuid": "not-a-uuid", "type": "pv"}}'
    expect 0 "$TS" --show-config "$T/s.xl"
    out_has '^max_vcpus 3$'
    out_has '^max_memkb 8192$'
    out_has '^uuid -$'
    out_has '^name xlsr-guest$'
}

# bad_config JSON REASON: refused with exit 1 and the reason on stderr.
bad_config() {
    xl_with "$1"
    expect 1 "$TS" --show-config "$T/s.xl"
    err_has "$2"
}

# The guest type comes from c_info.type alone (PVH and HVM are both HVM
# streams); HVM gets libxl's device-model defaults for what xl left out.
HVM='{"c_info": {"type": "hvm", "name": "hbhvm"},
 "b_info": {"max_vcpus": 1, "max_memkb": 131072, "target_memkb": 131072,
  "device_model_version": "qemu_xen", "kernel": "/guest/vmlinuz",
  "type.hvm": {"vga": {"kind": "std"}, "vnc": {"enable": "False"},
               "serial": "pty"}}}'
t_toolstack_config_hvm() {
    xl_with "$HVM"
    expect 0 "$TS" --show-config "$T/s.xl"
    out_has '^type hvm$'
    out_has '^dm_vga std$'
    out_has '^video_memkb 16384$'
    out_has '^dm_serial pty$'
    out_has '^dm_boot cda$'
    out_has '^dm_kernel /guest/vmlinuz$'
    # libxl_get_required_shadow_memory(131072 KiB, 1 vCPU)
    out_has '^shadow_memkb 2048$'
    xl_with '{"c_info": {"type": "hvm"}, "b_info": {"max_vcpus": 2,
      "max_memkb": 65536, "target_memkb": 65536,
      "type.hvm": {"vnc": {"enable": "False"}}}}'
    expect 0 "$TS" --show-config "$T/s.xl"
    out_has '^dm_vga cirrus$'
    out_has '^video_memkb 8192$'
    out_has '^shadow_memkb 2560$'
    xl_with '{"c_info": {"type": "pvh"}, "b_info": {"max_vcpus": 1,
      "max_memkb": 131072, "target_memkb": 131072}}'
    expect 0 "$TS" --show-config "$T/s.xl"
    out_has '^type pvh$'
    out_has '^video_memkb 0$'
}

# What this toolstack cannot recreate is refused by name, not dropped.
t_toolstack_refuses_unsupported() {
    local mem='"max_vcpus": 1, "max_memkb": 65536, "target_memkb": 65536'
    bad_config '{"c_info": {"type": "xen"}, "b_info": {'"$mem"'}}' \
        'c_info.type is not pv, pvh or hvm'
    bad_config '{"c_info": {"type": "hvm"}, "b_info": {'"$mem"'}}' \
        'VNC is enabled'
    bad_config '{"c_info": {"type": "hvm"}, "b_info": {'"$mem"',
        "device_model_version": "qemu_xen_traditional"}}' \
        'only device_model_version qemu_xen'
    bad_config '{"c_info": {"type": "pvh"}, "b_info": {'"$mem"'},
        "disks": [{"pdev_path": "/dev/sda"}]}' 'has disks'
    bad_config '{"c_info": {"type": "hvm"}, "b_info": {'"$mem"',
        "type.hvm": {"vnc": {"enable": "False"}, "vga": {"kind": "qxl"}}}}' \
        'vga.kind is not std, cirrus or none'
    bad_config '{"c_info": {"type": "hvm"}, "b_info": {'"$mem"',
        "type.hvm": {"vnc": {"enable": "False"}, "boot": "c;rm"}}}' \
        'boot is not made of'
    bad_config '{"c_info": {"type": "hvm"}, "b_info": {"max_vcpus": 1,
        "max_memkb": 8192, "target_memkb": 8192,
        "type.hvm": {"vnc": {"enable": "False"}}}}' 'video_memkb leaves no guest RAM'
}
t_toolstack_refuses_no_memory() {
    bad_config '{"c_info": {"type": "pv"}, "b_info": {"max_vcpus": 1}}' \
        'max_memkb/target_memkb missing'
}
t_toolstack_refuses_target_above_max() {
    bad_config '{"c_info": {"type": "pv"}, "b_info": {"max_vcpus": 1,
        "max_memkb": 1024, "target_memkb": 2048}}' 'inconsistent'
}
t_toolstack_refuses_vcpus() {
    bad_config '{"c_info": {"type": "pv"}, "b_info": {"max_vcpus": 0,
        "max_memkb": 1024, "target_memkb": 1024}}' 'max_vcpus missing or out of range'
    bad_config '{"c_info": {"type": "pv"}, "b_info": {"max_vcpus": 99999999999999999999999,
        "max_memkb": 1024, "target_memkb": 1024}}' 'max_vcpus missing or out of range'
    bad_config '{"c_info": {"type": "pv"}, "b_info": {"max_vcpus": 1.5,
        "max_memkb": 1024, "target_memkb": 1024}}' 'max_vcpus missing or out of range'
}
# Malformed JSON: unterminated, a nesting bomb, garbage, no objects.
t_toolstack_refuses_malformed() {
    bad_config '{"c_info": {"type": "pv"}, "b_info": {"max_vcpus": 1, "max_me' \
        'not valid JSON \(yajl: '
    bomb=$(printf '[%.0s' $(seq 1 5000))
    bad_config "{\"a\": $bomb, \"c_info\": {\"type\": \"pv\"}, \"b_info\": {}}" \
        'not valid JSON'
    bad_config 'not json at all' 'not valid JSON'
    bad_config '' 'not valid JSON'
    bad_config '[1, 2]' 'no c_info/b_info'
    # Escapes are JSON's: "p\u0076" is "pv".
    bad_config '{"c_info": {"type": "p\u0076"}, "b_info": {}}' 'max_vcpus missing'
}

t_toolstack_refuses_no_xl_header() {
    "$GEN" -o "$T/s.libxl"
    expect 1 "$TS" --show-config "$T/s.libxl"
    err_has 'not an xl save file'
}
t_toolstack_refuses_optlen() {
    "$GEN" --xl-header --xl-optlen 4000000000 -o "$T/s.xl"
    expect 1 "$TS" --show-config "$T/s.xl"
    err_has 'optional data of 4000000000 bytes'
    "$GEN" --xl-header --xl-optlen 100000 -o "$T/s.xl"
    expect 1 "$TS" --show-config "$T/s.xl"
    err_has 'configuration length|ends inside the xl header'
}
t_toolstack_refuses_flags() {
    "$GEN" --xl-header --xl-mandatory 2 -o "$T/s.xl"
    expect 1 "$TS" --show-config "$T/s.xl"
    err_has 'without a JSON configuration'
}

t_toolstack_usage() {
    expect 2 "$TS"
    err_has '^usage: xlsr-toolstack'
    expect 2 "$TS" --destroy 0
    err_has 'bad domid'
    expect 1 "$TS" --show-config "$T/missing.xl"
    err_has 'No such file'
}
