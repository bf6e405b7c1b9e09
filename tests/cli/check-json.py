#!/usr/bin/python3
"""tests/cli/check-json.py - checks `xlsr ... --json` output with an
independent parser (python's json) and validator (python3-jsonschema)
against docs/xlsr-json.schema.json.

    check-json.py SCHEMA COMMAND [FILE]    (stdin when FILE is absent)

Every line must be one JSON object valid under the schema; the last must be
the "result" of COMMAND; for dump, record offsets must grow, the headers come
first, and records + headers must account for the result's record count.
Prints a one-line summary ("N lines: K record ...") on success; exits 1
naming the line on the first problem."""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    command = sys.argv[2]
    src = open(sys.argv[3], "rb") if len(sys.argv) > 3 else sys.stdin.buffer
    validator = jsonschema.Draft7Validator(schema)
    jsonschema.Draft7Validator.check_schema(schema)
    counts = {}
    last = None
    prev_off = -1
    n = 0
    for n, raw in enumerate(src, 1):
        line = raw.decode("utf-8")          # strict: invalid UTF-8 fails
        if not line.endswith("\n"):
            sys.exit("line %d: not terminated by a newline" % n)
        try:
            obj = json.loads(line)
        except ValueError as e:
            sys.exit("line %d: not JSON: %s: %r" % (n, e, line[:200]))
        errors = sorted(validator.iter_errors(obj), key=str)
        if errors:
            sys.exit("line %d: %s: %r" % (n, errors[0].message, line[:200]))
        if last is not None and last["event"] == "result":
            sys.exit("line %d: output after the result" % n)
        ev = obj["event"]
        counts[ev] = counts.get(ev, 0) + 1
        if ev in ("xl_header", "libxl_header", "record"):
            if obj["offset"] <= prev_off:
                sys.exit("line %d: offset %d does not follow %d"
                         % (n, obj["offset"], prev_off))
            prev_off = obj["offset"]
        if ev == "record" and not counts.get("libxl_header"):
            sys.exit("line %d: a record before the libxl header" % n)
        last = obj
    if last is None or last["event"] != "result":
        sys.exit("no result line at the end")
    if last["command"] != command:
        sys.exit("result of %r, expected %r" % (last["command"], command))
    if command == "dump" and last["ok"] and \
            counts.get("record", 0) != last["records"]:
        sys.exit("%d record lines, the result says %d"
                 % (counts.get("record", 0), last["records"]))
    print("%d lines: %s; ok %s" % (n, ", ".join(
        "%d %s" % (v, k) for k, v in sorted(counts.items())),
        str(last["ok"]).lower()))


main()
