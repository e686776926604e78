"""One implementation behind three doors: every local operation run
through the CLI (``--json``), the C ABI (``vpc_store_run``, from a C
program compiled here against ``include/vpc.h``) and Python
(``Store.run(...).to_json()``) gives byte-identical JSON, from the same
state, and leaves byte-identical state behind. Errors carry the same
message through all three.

The kernel operations run as dry runs (``dryrun=1`` for another member,
under both systems' commands), so this needs no root; the live kernel
paths are the netns tests'."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import GOLD1, GOLD2, JHOSTER, WORKSPACE, Cli, vpc_bin

import vpc

GOLD3 = ("gold-hoster3.example", "2001:db8::33")

# (op, pairs, input): each runs on the state the ones before it left.
Step = tuple[str, dict[str, str], str | None]


def steps(spec_doc: str) -> list[Step]:
    dry = [
        (mode, {"vpc_name": "vpc1", "dryrun": "1", "os": os_, "node": GOLD2[0]}, None)
        for mode in ("apply", "init_vxlan", "init_bridge", "teardown", "destroy_vxlan", "destroy_bridge")
        for os_ in ("freebsd", "linux")
    ]
    return [
        ("node init", {"name": JHOSTER[0], "ip6": JHOSTER[1]}, None),
        ("node init", {"name": JHOSTER[0], "ip6": JHOSTER[1]}, None),
        ("node add", {"offline": "1", "name": GOLD1[0], "node": GOLD1[1]}, None),
        ("node add", {"offline": "1", "name": GOLD2[0], "node": GOLD2[1], "port": "2222", "user": "vpc"}, None),
        ("node add", {"offline": "1", "name": GOLD3[0], "node": GOLD3[1]}, None),
        ("node list", {}, None),
        ("init", {"vpc_name": "vpc1", "node_member": f"{GOLD1[0]},{GOLD2[0]}", "peer_network": "10.100.0.0/24"}, None),
        ("init", {"vpc_name": "vpc1", "node_member": f"{GOLD1[0]},{GOLD2[0]}", "peer_network": "10.100.0.0/24"}, None),
        ("init", {"vpc_name": "vpc2", "node_member": "all", "peer_network": "fd00:1::/64", "mtu": "1400", "max_guests": "4"}, None),
        ("init_peers", {"vpc_name": "vpc1"}, None),
        ("init_peers", {"vpc_name": "vpc2"}, None),
        ("list", {}, None),
        ("list", {"vpc_name": "vpc2"}, None),
        *dry,
        ("add_member", {"vpc_name": "vpc1", "node": GOLD3[0]}, None),
        ("remove_member", {"vpc_name": "vpc1", "node": GOLD1[0]}, None),
        ("set_member", {"vpc_name": "vpc1", "node": GOLD2[0], "bridge_ips": "10.10.11.2/24"}, None),
        ("set_member", {"vpc_name": "vpc1", "node": GOLD2[0], "bridge_ips": "10.10.11.2/24"}, None),
        ("export", {"vpc_name": "vpc1"}, None),
        ("receive", {}, spec_doc),
        ("init_rc", {"vpc_name": "vpc1", "os": "linux", "rc_dir": "rc", "program": "/usr/bin/vpc"}, None),
        ("init_rc", {"vpc_name": "vpc1", "os": "freebsd", "rc_dir": "rc", "program": "/usr/bin/vpc"}, None),
        ("leave", {"vpc_name": "vpc9"}, None),
        ("remove", {"vpc_name": "vpc2"}, None),
        ("node remove", {"node": GOLD1[0]}, None),
        ("node list", {}, None),
        # Refusals: the same message through every door, nothing changed.
        ("init", {"vpc_name": "vpc3", "node_member": "all", "peer_network": "10.100.0.1/24"}, None),
        ("init", {"vpc_name": "vpc3", "node_member": "nobody", "peer_network": "10.200.0.0/24"}, None),
        ("attach", {"vpc_name": "vpc1", "iface": "a/b"}, None),
        ("status", {"vpc_name": "vpc1", "timeout": "0"}, None),
        ("apply", {"vpc_name": "vpc1", "os": "linux"}, None),
        ("remove", {"vpc_name": "vpc9"}, None),
        ("receive", {}, "{}"),
        # vpc7 was received from its initiator: this host only holds a copy.
        ("set_member", {"vpc_name": "vpc7", "node": JHOSTER[0], "bridge_ips": "10.10.11.1/24"}, None),
    ]


@pytest.fixture(scope="module")
def run_op(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/c/run_op.c, compiled against the checked-in header and the
    built libvpc."""
    lib = vpc_bin().parent
    if not (lib / "libvpc.so").is_file():
        subprocess.run(["cargo", "build", "--quiet", "--locked", "-p", "vpc-ffi"], cwd=WORKSPACE, check=True)
    out = tmp_path_factory.mktemp("c") / "run_op"
    subprocess.run(
        ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(WORKSPACE / "include"),
         str(WORKSPACE / "tests" / "c" / "run_op.c"), "-o", str(out),
         "-L", str(lib), "-lvpc", f"-Wl,-rpath,{lib}"],
        check=True,
    )
    return out


def cli_words(op: str, pairs: dict[str, str]) -> list[str]:
    words = op.split()
    mode = words.pop()
    return [*words, f"mode={mode}", *(f"{k}={v}" for k, v in pairs.items())]


def via_cli(state: Path, op: str, pairs: dict[str, str], input: str | None) -> str:
    r = Cli(state).run(*cli_words(op, pairs), "--json", stdin=input if input is not None else "")
    doc = json.loads(r.stdout)
    if r.returncode != 0 and "error" in doc:
        return f"error: {doc['error']['message']}"
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\n")
    return r.stdout[:-1]


def via_c(run_op: Path, state: Path, op: str, pairs: dict[str, str], input: str | None) -> str:
    source = "-"
    if input is not None:
        source = str(state.parent / "input.json")
        Path(source).write_text(input)
    r = subprocess.run(
        [str(run_op), str(state), op, source, *(f"{k}={v}" for k, v in pairs.items())],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert r.returncode in (0, 1), r.stderr
    assert r.stdout.endswith("\n")
    return r.stdout[:-1]


def via_python(state: Path, op: str, pairs: dict[str, str], input: str | None) -> str:
    try:
        return vpc.Store(state).run(op, input=input, **pairs).to_json()
    except vpc.VpcError as e:
        return f"error: {e}"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the lock, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


@pytest.fixture
def doors(tmp_path: Path) -> dict[str, Path]:
    """One state directory per door, each under a directory of its own
    that is the working directory while that door runs."""
    dirs = {name: tmp_path / name / "state" for name in ("cli", "c", "python")}
    for d in dirs.values():
        (d.parent / "rc").mkdir(parents=True)
    return dirs


def test_every_operation_answers_the_same_through_every_door(
    doors: dict[str, Path], run_op: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = doors["cli"].parent.parent / "peer"
    peer = vpc.Store(other)
    peer.init_node(GOLD2[0], ip6=GOLD2[1])
    peer.add_node(JHOSTER[0], ip6=JHOSTER[1])
    peer.add_node(GOLD3[0], ip6=GOLD3[1])
    peer.init_vpc("vpc7", f"{JHOSTER[0]},{GOLD3[0]}", peer_network="10.77.0.0/24", vni_base=8192)
    spec_doc = peer.export("vpc7")

    seen_ops: set[str] = set()
    errors = 0
    for op, pairs, input in steps(spec_doc):
        seen_ops.add(op)
        answers = {}
        for door, state in doors.items():
            monkeypatch.chdir(state.parent)
            if door == "cli":
                answers[door] = via_cli(state, op, pairs, input)
            elif door == "c":
                answers[door] = via_c(run_op, state, op, pairs, input)
            else:
                answers[door] = via_python(state, op, pairs, input)
            # A message may name the state directory, which differs.
            answers[door] = answers[door].replace(str(state), "STATE")
        what = f"{op} {pairs}"
        assert answers["c"] == answers["cli"], what
        assert answers["python"] == answers["cli"], what
        if answers["cli"].startswith("error: "):
            errors += 1
        else:
            doc = json.loads(answers["cli"])
            assert doc.get("version", doc.get("schema_version")) == 1, what
        trees = {door: tree(state) for door, state in doors.items()}
        assert trees["c"] == trees["cli"], what
        assert trees["python"] == trees["cli"], what
    # Every local operation of the CLI's table was run.
    assert seen_ops == {
        "node init", "node add", "node list", "node remove", "init", "init_peers", "list", "remove",
        "add_member", "remove_member", "set_member", "export", "receive", "apply", "init_vxlan", "init_bridge",
        "teardown", "destroy_vxlan", "destroy_bridge", "init_rc", "leave", "attach", "status",
    }
    assert errors == 8
    # The boot files each door wrote are the same but for the state directory.
    for name in ("vpc-vpc1.service", "vpc_vpc1"):
        texts = {d: (s.parent / "rc" / name).read_text().replace(str(s), "STATE") for d, s in doors.items()}
        assert texts["c"] == texts["cli"] == texts["python"], name


def test_an_unknown_operation_is_refused_by_c_and_python(tmp_path: Path, run_op: Path) -> None:
    state = tmp_path / "state"
    got_c = via_c(run_op, state, "frobnicate", {}, None)
    got_py = via_python(state, "frobnicate", {}, None)
    assert got_c == got_py
    assert got_c.startswith('error: operation "frobnicate" is not known')
    assert not state.exists()
