#!/usr/bin/env python3
# tests/tools/gen-verify.py - runs Xen 4.17's verify-stream-v2 on a file,
# with one repair: under Python 3 its EMULATOR_XENSTORE_DATA check compares
# a byte (an int) with a str, so it rejects every non-empty record ("Data
# not NUL terminated").  We swap in our own check of the same rules (an
# emulator header, then NUL-terminated strings in key/value pairs) and leave
# every other check to Xen's code.
#
#   gen-verify.py xl|libxl|libxc FILE      exit status as verify-stream-v2
import os
import runpy
import sys

XEN_PY = os.environ.get("XEN_PYTHON", "/usr/lib/xen-4.17/lib/python")
VERIFIER = os.environ.get("XEN_VERIFIER", "/usr/lib/xen-4.17/bin/verify-stream-v2")

sys.path.insert(0, XEN_PY)
from xen.migration import libxl  # noqa: E402


def xenstore_data(_self, content):
    if len(content) < 8:
        raise libxl.RecordError("xenstore record shorter than its header")
    data = content[8:]
    if not data:
        return
    if data[-1:] != b"\x00":
        raise libxl.RecordError("Data not NUL terminated")
    if len(data[:-1].split(b"\x00")) % 2:
        raise libxl.RecordError("Expected an even number of strings")


libxl.record_verifiers[libxl.REC_TYPE_emulator_xenstore_data] = xenstore_data
sys.argv = [VERIFIER, "-f", sys.argv[1], "-i", sys.argv[2]]
runpy.run_path(VERIFIER, run_name="__main__")
