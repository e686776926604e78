"""One exception class per error kind, under VpcError; each raised with the
core's message, which names the offending value. Where the CLI can fail
the same way, its `--json` error has the same kind and message.

`backend` is raised for real by the network-namespace test (a kernel that
refuses); `remote` needs SSH to another node (the CLI's cluster tests);
`unsupported` arises only on systems without a kernel backend, so the map
is checked for them (and for every kind) through `_raise`.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GOLD2, Cli

import vpc
from vpc import _vpc

KINDS = [
    "invalid",
    "capacity",
    "conflict",
    "not_found",
    "stale",
    "corrupt",
    "quota",
    "backend",
    "remote",
    "unsupported",
    "io",
]


def test_hierarchy() -> None:
    assert issubclass(vpc.VpcError, Exception)
    assert list(vpc.ERROR_CLASSES) == KINDS
    classes = list(vpc.ERROR_CLASSES.values())
    assert len(set(classes)) == len(KINDS), "no two kinds share a class"
    for kind, cls in vpc.ERROR_CLASSES.items():
        assert issubclass(cls, vpc.VpcError) and cls is not vpc.VpcError
        assert cls.kind == kind  # type: ignore[attr-defined]
        assert getattr(vpc, cls.__name__) is cls
        assert cls.__module__ == "vpc._vpc"
        assert cls.__doc__


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_raises_its_own_class(kind: str) -> None:
    with pytest.raises(vpc.VpcError) as caught:
        _vpc._raise(kind, f"value {kind!r} is wrong")
    assert type(caught.value) is vpc.ERROR_CLASSES[kind]
    assert str(caught.value) == f"value {kind!r} is wrong"
    for other, cls in vpc.ERROR_CLASSES.items():
        assert isinstance(caught.value, cls) == (other == kind)


def cli_error(c: Cli, *words: str, stdin: str | None = None) -> tuple[str, str]:
    r = c.run(*words, "--json", stdin=stdin)
    assert r.returncode == 1, r
    err = json.loads(r.stdout)["error"]
    return err["kind"], err["message"]


def raised(call: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(vpc.VpcError) as caught:
        call()
    return caught.value.kind, str(caught.value)  # type: ignore[attr-defined]


def test_invalid(article: vpc.Store) -> None:
    with pytest.raises(vpc.InvalidError, match=r'^node name "bad name!" is not valid'):
        vpc.Node("bad name!", ip4="198.18.0.1")
    with pytest.raises(vpc.InvalidError, match=r'^ip4 "198.18.0.300" is not valid: expected an IPv4 address$'):
        vpc.Node("a", ip4="198.18.0.300")
    with pytest.raises(vpc.InvalidError, match=r"^node a has no underlay address"):
        vpc.Node("a")
    with pytest.raises(vpc.InvalidError, match=r'^vpc_name "1vpc" is not valid'):
        article.init_vpc("1vpc", peer_network="10.101.0.0/24")
    with pytest.raises(vpc.InvalidError, match=r"^colour is not an option of a VPC: expected one of peer_network, "):
        article.init_vpc("vpc2", peer_network="10.101.0.0/24", colour="red")
    with pytest.raises(vpc.InvalidError, match=r'^peer_network "10.101.0.1/24" has host bits set'):
        article.init_vpc("vpc2", peer_network="10.101.0.1/24")
    with pytest.raises(vpc.InvalidError, match=r'^scope "half" is not valid'):
        article.plan("vpc1", scope="half")  # type: ignore[arg-type]
    with pytest.raises(vpc.InvalidError, match=r'^os "windows" is not valid'):
        article.vpc("vpc1").plan(GOLD2[0], os="windows")  # type: ignore[arg-type]
    with pytest.raises(vpc.InvalidError, match=r"^spec JSON is not valid: at port: "):
        vpc.Spec.from_json(article.export("vpc1").replace('"port": 4789', '"port": "x"'))


def test_capacity(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    words = ("mode=init", "vpc_name=vpc2", "node_member=all", "peer_network=10.200.0.0/30")
    got = raised(lambda: article.init_vpc("vpc2", peer_network="10.200.0.0/30"))
    assert got == ("capacity", "peer_network 10.200.0.0/30 holds 1 links of /30; 3 are needed for 3 members")
    assert cli_error(cli(article.path), *words) == got


def test_conflict(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    words = ("mode=init", "vpc_name=vpc1", "node_member=all", "peer_network=10.101.0.0/24")
    got = raised(lambda: article.init_vpc("vpc1", peer_network="10.101.0.0/24"))
    assert got[0] == "conflict"
    assert got[1].startswith("VPC vpc1 already exists with another definition (generation 1)")
    assert cli_error(cli(article.path), *words) == got
    got = raised(lambda: article.init_vpc("vpc2", peer_network="10.100.0.128/25"))
    assert got[0] == "conflict" and "peer_network 10.100.0.128/25 of VPC vpc2 overlaps" in got[1]


def test_not_found(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    got = raised(lambda: article.vpc("nope"))
    assert got == ("not_found", f"VPC nope does not exist in {article.path}: expected one of vpc mode=list")
    assert cli_error(cli(article.path), "mode=init_peers", "vpc_name=nope") == got
    with pytest.raises(vpc.NotFoundError, match=r"^node nobody is not a member of VPC vpc1$"):
        article.vpc("vpc1").plan("nobody")
    with pytest.raises(vpc.NotFoundError, match=r"^node_member nobody is not a known node"):
        article.init_vpc("vpc2", ["nobody"], peer_network="10.101.0.0/24")


def test_stale(article: vpc.Store, tmp_path: Path, cli: Callable[[Path], Cli]) -> None:
    member = vpc.Store(tmp_path / "gold2")
    member.init_node(GOLD2[0], ip6=GOLD2[1])
    member.receive(article.export("vpc1"))
    doc = json.loads(article.export("vpc1"))
    doc["port"] = 4790
    other = json.dumps(doc)
    got = raised(lambda: member.receive(other))
    message = "received VPC vpc1 generation 1 is not newer than the held generation 1 (and differs from it)"
    assert got == ("stale", message)
    assert cli_error(cli(member.path), "mode=receive", stdin=other) == got


def test_corrupt(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    broken = article.path / "vpcs" / "broken.json"
    broken.write_text("{")
    got = raised(article.vpcs)
    assert got[0] == "corrupt" and got[1].startswith(f"state file {broken} is not valid: ")
    assert cli_error(cli(article.path), "mode=list") == got


def test_quota() -> None:
    got = raised(lambda: vpc.admit(vpc.Quota(max_cpus=4), vpc.Usage.guest(cpus=3), vpc.Usage.guest(cpus=2)))
    assert got == ("quota", "max_cpus 4 would be exceeded: 3 in use, 2 requested")


def test_io(tmp_path: Path, cli: Callable[[Path], Cli]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = vpc.Store(blocker / "state")
    got = raised(lambda: store.init_node("a", ip4="198.18.0.1"))
    assert got[0] == "io" and got[1].startswith(f"cannot create {blocker / 'state'}: ")
    assert cli_error(cli(blocker / "state"), "node", "mode=init", "name=a", "ip4=198.18.0.1") == got


def test_bools_and_out_of_range_numbers_are_refused(article: vpc.Store) -> None:
    # True is an int to Python, never a count or a port here.
    with pytest.raises(vpc.InvalidError, match=r"^timeout_ms True is not valid: expected an int"):
        article.status("vpc1", timeout_ms=True)
    with pytest.raises(vpc.InvalidError, match=r'^timeout_ms "0" is not valid: expected a whole number from 1 to 60000'):
        article.status("vpc1", timeout_ms=0)
    with pytest.raises(vpc.InvalidError, match=r'^timeout_ms "60001" is not valid'):
        article.status("vpc1", timeout_ms=60001)
    with pytest.raises(vpc.InvalidError, match=r"^port True is not valid"):
        article.add_node("x", ip4="198.18.0.77", port=True)
    with pytest.raises(vpc.InvalidError, match=r"^cpus True is not valid"):
        vpc.Usage(cpus=True)
    with pytest.raises(vpc.InvalidError, match=r"^mem False is not valid"):
        vpc.Usage.guest(mem=False)
    assert vpc.Usage(cpus=2, mem="1g").mem == 1 << 30
    assert [n.name for n in article.nodes()].count("x") == 0


def test_an_empty_store_path_is_refused() -> None:
    with pytest.raises(vpc.InvalidError, match=r'^the state directory "" is not valid'):
        vpc.Store("")


def test_a_pinned_name_needs_replace(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    got = raised(lambda: article.add_node(GOLD2[0], ip6="2001:db8::99"))
    assert got[0] == "conflict" and "replace=1" in got[1] and GOLD2[1] in got[1]
    words = ("node", "mode=add", "offline=1", f"name={GOLD2[0]}", "node=2001:db8::99")
    assert cli_error(cli(article.path), *words) == got
    assert article.add_node(GOLD2[0], ip6="2001:db8::99", replace=True) == "updated"
    report = json.loads(
        article.run("node add", offline="1", name=GOLD2[0], node=GOLD2[1], replace="1").to_json()
    )
    assert report["outcome"] == "updated" and report["replaced"] == {"ip6": "2001:db8::99"}


def test_lock_timeout(article: vpc.Store) -> None:
    assert article.lock_timeout == 30
    store = vpc.Store(article.path, lock_timeout=0)
    assert store.lock_timeout == 0
    with (article.path / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        got = raised(lambda: store.add_node("late", ip4="198.18.0.77"))
        assert got[0] == "conflict" and "process 4242" in got[1]
        got = raised(lambda: article.run("node add", offline="1", name="late", node="198.18.0.77", lock_timeout="0"))
        assert got[0] == "conflict"
    for bad in (-1, 3601):
        with pytest.raises(vpc.InvalidError, match=r"^lock_timeout \"-?\d+\" is not valid: expected a whole number from 0 to 3600$"):
            vpc.Store(article.path, lock_timeout=bad)
