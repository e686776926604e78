#!/bin/sh
# Captures what `nft -f NAME.nft` sends, as NAME.bin: the bytes of its
# one transaction (the last sendmsg on its netlink socket, fd 3), as
# `strace -e write=3` shows them. With --dump, instead NAME.dump.bin: what
# the kernel answers to `nft list table` once NAME.nft is loaded (every
# datagram nft receives, as `strace -e read=3` shows them). Run as root;
# nft runs in a network namespace of its own (unshare -n) that goes away
# with it, so no table of this host is read or touched.
#
#   cd vpc-core/src/backend/linux/nft/testdata
#   ./capture.sh replace_via4 replace_via6
#   ./capture.sh --dump replace_via4 replace_via6
#
# The .nft inputs are `backend::dryrun::nft_text` of the rule sets in
# ruleset.rs's tests (which check that they still are).
set -eu
dump=
if [ "${1:-}" = --dump ]; then
	dump=1
	shift
fi
for name in "$@"; do
	log=$(mktemp)
	if [ -n "$dump" ]; then
		out=$name.dump.bin
		table=$(sed -n 's/^table \(inet [a-z0-9_]*\) {$/\1/p' "$name.nft")
		unshare -n sh -c "nft -f '$name.nft' &&
			strace -qq -e trace=recvmsg -e read=3 -o '$log' nft list table $table >/dev/null"
	else
		out=$name.bin
		unshare -n strace -qq -e trace=sendmsg -e write=3 -o "$log" nft -f "$name.nft"
	fi
	python3 - "$log" "$out" "$dump" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
calls = [i for i, l in enumerate(lines) if re.match(r"(sendmsg|recvmsg)\(3", l)]
if not sys.argv[3]:
    calls = calls[-1:]  # the transaction
out = bytearray()
for start in calls:
    for l in lines[start + 1:]:
        m = re.match(r" \| [0-9a-f]{5}  (.{48})", l)
        if m:
            out += bytes.fromhex(m.group(1).replace(" ", ""))
        elif not l.startswith(" * "):
            break
open(sys.argv[2], "wb").write(out)
PY
	rm -f "$log"
	echo "$out: $(wc -c <"$out") bytes"
done
