#!/usr/bin/env bash
# The C API from C: the programs in tests/c compiled with -std=c99 -Wall
# -Wextra -Werror against the checked-in include/vpc.h, linked against the
# built libvpc, run under AddressSanitizer + UndefinedBehaviorSanitizer and
# under valgrind (leak checking), their answers compared with the CLI's.
# The header is also compiled as C++ and included twice.
# Ends with one line: "c: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked -p vpc-ffi -p vpc-cli
mkdir -p "${CARGO_TARGET_DIR:-target}"
lib="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug"
vpc="$lib/vpc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

cflags=(-std=c99 -Wall -Wextra -Werror -g -I include)
link=(-L "$lib" -lvpc -Wl,-rpath,"$lib")
san=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# The header: C twice, C++ twice.
if printf '#include "vpc.h"\n#include "vpc.h"\nint main(void) { return VPC_OK; }\n' \
    | gcc "${cflags[@]}" -x c - -o "$work/twice" && "$work/twice"; then
    ok "header compiles as C99, included twice"
else bad "header as C99"; fi
if g++ -std=c++11 -Wall -Wextra -Werror -I include tests/c/header_twice.cpp -o "$work/cxx" "${link[@]}"; then
    ok "header compiles as C++, included twice"
else bad "header as C++"; fi

for p in peer_map errors; do
    gcc "${cflags[@]}" "${san[@]}" "tests/c/$p.c" -o "$work/$p.san" "${link[@]}"
    gcc "${cflags[@]}" "tests/c/$p.c" -o "$work/$p.plain" "${link[@]}"
done

# The article's cluster, through the CLI.
export VPC_STATE_DIR="$work/state"
"$vpc" node mode=init name=jhoster1.olevole.ru ip6=2a05:3580:d800:20f7::1 >/dev/null
"$vpc" node mode=add offline=1 name=gold-hoster1.prod.inf.hz.fbs.dev node=2a01:4f8:241:500c::1 >/dev/null
"$vpc" node mode=add offline=1 name=gold-hoster-02.hz.fbs.dev node=2a01:4f8:241:500b::1 >/dev/null
"$vpc" mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24 >/dev/null

# The CLI's map as the same lines the C program prints.
"$vpc" mode=init_peers vpc_name=vpc1 --json | python3 -c '
import json, sys
for l in json.load(sys.stdin)["links"]:
    a, b = l["ends"]
    print(l["pair"], l["vni"], l["interface"], l["family"], a["slot"], a["node"], a["underlay"], a["link_addr"],
          b["slot"], b["node"], b["underlay"], b["link_addr"])' > "$work/map.cli"
[ "$(wc -l < "$work/map.cli")" = 3 ] || bad "the CLI map has 3 links"

valgrind_run() {
    valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible "$@"
}

for node in jhoster1.olevole.ru gold-hoster1.prod.inf.hz.fbs.dev gold-hoster-02.hz.fbs.dev; do
    for os in freebsd linux; do
        "$vpc" mode=apply vpc_name=vpc1 dryrun=1 os="$os" node="$node" > "$work/plan.cli"
        { cat "$work/map.cli"; echo "--"; cat "$work/plan.cli"; } > "$work/want"
        for how in san valgrind; do
            if [ "$how" = san ]; then
                run=("$work/peer_map.san")
            else
                run=(valgrind_run "$work/peer_map.plain")
            fi
            if "${run[@]}" "$VPC_STATE_DIR" vpc1 "$node" "$os" > "$work/got" 2> "$work/err" \
                && diff -u "$work/want" "$work/got" > "$work/diff"; then
                ok "peer map and $os plan of $node from C equal the CLI's ($how)"
            else
                bad "peer map and $os plan of $node ($how)"
                cat "$work/err" "$work/diff" 2>/dev/null | head -40
            fi
        done
    done
done

for how in san valgrind; do
    if [ "$how" = san ]; then run=("$work/errors.san"); else run=(valgrind_run "$work/errors.plain"); fi
    if "${run[@]}" "$VPC_STATE_DIR" > "$work/got" 2> "$work/err" && grep -q "checks passed" "$work/got"; then
        ok "error paths ($how): $(cat "$work/got")"
    else
        bad "error paths ($how)"
        head -40 "$work/err"
    fi
done

# The README's example, built the way a user would: installed into a
# prefix, found by pkg-config.
prefix="$work/prefix"
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
cp "$lib/libvpc.so" "$prefix/lib/"
cp include/vpc.h "$prefix/include/"
sed "s|^prefix=.*|prefix=$prefix|" vpc-ffi/vpc.pc > "$prefix/lib/pkgconfig/vpc.pc"
# shellcheck disable=SC2046
if gcc -std=c99 -Wall -Wextra -Werror tests/c/example.c -o "$work/example" \
        $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs vpc) -Wl,-rpath,"$prefix/lib" \
    && "$work/example" vpc1 > "$work/got" \
    && grep -q "^vxlan3 (VNI 3): gold-hoster-02.hz.fbs.dev 10.100.0.9/30 <-> gold-hoster1.prod.inf.hz.fbs.dev 10.100.0.10/30$" "$work/got"; then
    ok "the README example builds with pkg-config and runs"
else
    bad "the README example"
    cat "$work/got" 2>/dev/null
fi

echo "c: $passed passed, $failed failed"
[ "$failed" = 0 ]
