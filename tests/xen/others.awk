# tests/xen/others.awk - reads `xl list` on stdin, prints the lines of the
# domains a step must wait for or call left over: all but Domain-0 and the
# guests background jobs own (/tmp/bg-guests, one name a line: bg_start in
# dom0-lib.sh).  The names are read with getline, not as a first input
# file: an empty list would make awk's NR == FNR idiom take every xl line
# for a name and report nothing left.
BEGIN { while ((getline l < "/tmp/bg-guests") > 0) own[l] = 1 }
NR > 1 && $1 != "Domain-0" && !($1 in own)
