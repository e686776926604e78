#!/usr/bin/env bash
# The Python module's tests: builds the wheel as `pip install
# ./bindings/python` would (maturin), installs it into a venv under
# target/, checks the hand-written stub against it (mypy.stubtest), and
# runs pytest. As root, the network-namespace test runs too.
# Ends with "python: N passed, M failed" (counted by scripts/test) and
# pytest's own summary line.
set -euo pipefail
cd "$(dirname "$0")/../.."

mkdir -p "${CARGO_TARGET_DIR:-target}"
target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
venv=$target/pyvenv
python=${PYTHON:-python3}
# No __pycache__ or caches in the source tree.
export PYTHONDONTWRITEBYTECODE=1

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check maturin pytest mypy

# The CLI and the C library the parity tests compare with.
if [ -z "${VPC_BIN:-}" ]; then
    cargo build --quiet --locked -p vpc-cli -p vpc-ffi
    export VPC_BIN=$target/debug/vpc
fi

rm -rf "$target/wheels/python"
"$venv/bin/maturin" build --quiet --release --locked -m bindings/python/Cargo.toml -o "$target/wheels/python"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "$target"/wheels/python/vpc-*.whl

# From elsewhere than the source tree, so that the installed package is
# the one imported and checked.
(cd "$target" && "$venv/bin/python" -m mypy.stubtest vpc._vpc)
# The tests are typed against the stub, as a user's code would be.
"$venv/bin/python" -m mypy --strict --cache-dir=/dev/null bindings/python/tests

# pytest exits 5 when it ran no test: that is a failure here too.
"$venv/bin/python" -m pytest bindings/python/tests -q -rs -p no:cacheprovider
