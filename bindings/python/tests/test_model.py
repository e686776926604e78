"""The model from Python equals the CLI's: specs, the peer map, the MTU and
quotas."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTICLE_NODES, GOLD1, GOLD2, JHOSTER, Cli

import vpc

# README: `vpc mode=init_peers vpc_name=vpc1` on jhoster1.
ARTICLE_MAP = """\
nodes: jhoster1.olevole.ru gold-hoster-02.hz.fbs.dev gold-hoster1.prod.inf.hz.fbs.dev
peer_network: 10.100.0.0/24
jhoster1.olevole.ru -> gold-hoster-02.hz.fbs.dev , ep: 10.100.0.1/30  (VX ID: 1)
  gold-hoster-02.hz.fbs.dev -> jhoster1.olevole.ru, ep: 10.100.0.2/30  (VX ID: 1)
jhoster1.olevole.ru -> gold-hoster1.prod.inf.hz.fbs.dev , ep: 10.100.0.5/30  (VX ID: 2)
  gold-hoster1.prod.inf.hz.fbs.dev -> jhoster1.olevole.ru, ep: 10.100.0.6/30  (VX ID: 2)
gold-hoster-02.hz.fbs.dev -> gold-hoster1.prod.inf.hz.fbs.dev , ep: 10.100.0.9/30  (VX ID: 3)
  gold-hoster1.prod.inf.hz.fbs.dev -> gold-hoster-02.hz.fbs.dev, ep: 10.100.0.10/30  (VX ID: 3)
"""


def link_doc(link: vpc.Link) -> dict[str, Any]:
    """A link as `init_peers --json` writes it."""
    return {
        "pair": link.pair,
        "vni": link.vni,
        "interface": link.interface,
        "family": link.family,
        "ends": [
            {"slot": e.slot, "node": e.node, "underlay": e.underlay, "link_addr": e.link_addr}
            for e in link.ends
        ],
    }


def cbsd_text(spec: vpc.Spec) -> str:
    """The peer map in CBSD's text, from the Python objects."""
    names = [m.name for m in spec.members if m is not None]
    text = f"nodes: {' '.join(names)}\npeer_network: {spec.peer_network}\n"
    for link in spec.peer_map():
        a, b = link.ends
        text += f"{a.node} -> {b.node} , ep: {a.link_addr}  (VX ID: {link.vni})\n"
        text += f"  {b.node} -> {a.node}, ep: {b.link_addr}  (VX ID: {link.vni})\n"
    return text


def test_peer_map_equals_the_clis(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    spec = article.vpc("vpc1")
    doc = cli(article.path).json("mode=init_peers", "vpc_name=vpc1")
    assert doc == {
        "version": 1,
        "vpc": spec.name,
        "generation": spec.generation,
        "nodes": [m.name for m in spec.members if m is not None],
        "peer_network": spec.peer_network,
        "link_prefix": spec.link_prefix,
        "numbering": spec.numbering,
        "port": spec.port,
        "mtu": spec.mtu,
        "links": [link_doc(link) for link in spec.peer_map()],
    }
    assert cli(article.path).ok("mode=init_peers", "vpc_name=vpc1") == ARTICLE_MAP
    assert cbsd_text(spec) == ARTICLE_MAP


def test_peer_map_values(article: vpc.Store) -> None:
    links = article.vpc("vpc1").peer_map()
    assert [(link.pair, link.vni, link.interface, link.family) for link in links] == [
        (0, 1, "vxlan1", "v6"),
        (1, 2, "vxlan2", "v6"),
        (2, 3, "vxlan3", "v6"),
    ]
    first = links[0].ends[0]
    assert (first.slot, first.node, first.underlay, first.link_addr) == (
        0,
        JHOSTER[0],
        JHOSTER[1],
        "10.100.0.1/30",
    )
    # Frozen values: equal by value, hashable, not writable.
    assert links == article.vpc("vpc1").peer_map()
    assert len({*links, *article.vpc("vpc1").peer_map()}) == 3
    with pytest.raises(AttributeError):
        links[0].vni = 7  # type: ignore[misc]


def test_a_spec_defined_from_python_is_the_clis(article: vpc.Store, tmp_path: Path, cli: Callable[[Path], Cli]) -> None:
    c = cli(tmp_path / "by-cli")
    c.ok("node", "mode=init", f"name={JHOSTER[0]}", f"ip6={JHOSTER[1]}")
    for name, addr in (GOLD1, GOLD2):
        c.ok("node", "mode=add", "offline=1", f"name={name}", f"node={addr}")
    c.ok("mode=init", "vpc_name=vpc1", "node_member=all", "peer_network=10.100.0.0/24")
    exported = c.ok("mode=export", "vpc_name=vpc1")
    assert exported == article.export("vpc1") + "\n"
    assert vpc.Spec.from_json(exported) == article.vpc("vpc1")
    # Without a store: the same members in the same slots.
    members = [m for m in article.vpc("vpc1").members if m is not None]
    assert [m.name for m in members] == [JHOSTER[0], GOLD2[0], GOLD1[0]]
    assert vpc.Spec.define("vpc1", members, peer_network="10.100.0.0/24") == article.vpc("vpc1")


def test_store_reads_what_the_cli_wrote(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    doc = cli(article.path).json("node", "mode=list")
    me = article.identity()
    assert me is not None
    assert (doc["this"]["name"], doc["this"]["ip6"]) == (me.name, me.ip6)
    assert [(n["name"], n["ip6"], n["port"], n["user"]) for n in doc["nodes"]] == [
        (r.name, r.ip6, r.port, r.user) for r in article.nodes()
    ]
    assert sorted(ARTICLE_NODES[1:]) == [r.name for r in article.nodes()]
    assert article.nodes()[0].node == vpc.Node(GOLD2[0], ip6=ipaddress.IPv6Address(GOLD2[1]))


def test_options_are_read_like_the_clis(tmp_path: Path, cli: Callable[[Path], Cli]) -> None:
    store = vpc.Store(tmp_path / "py")
    store.init_node("a", ip4="198.18.0.1")
    store.add_node("b", ip4="198.18.0.2")
    spec = store.init_vpc(
        "v", ["b"], peer_network="10.100.0.0/24", vlan=True, link_prefix=31,
        vni_base=8192, numbering="cbsd", max_mem="64g", max_guests=4,
    )
    c = cli(tmp_path / "cli")
    c.ok("node", "mode=init", "name=a", "ip4=198.18.0.1")
    c.ok("node", "mode=add", "offline=1", "name=b", "node=198.18.0.2")
    c.ok(
        "mode=init", "vpc_name=v", "node_member=b", "peer_network=10.100.0.0/24", "vlan=1",
        "link_prefix=31", "vni_base=8192", "numbering=cbsd", "max_mem=64g", "max_guests=4",
    )
    assert vpc.Spec.from_json(c.ok("mode=export", "vpc_name=v")) == spec
    assert (spec.mtu, spec.vni_range, spec.numbering, spec.vlan) == (1446, (8193, 8193), "cbsd", True)
    assert spec.quota == vpc.Quota(max_guests=4, max_mem=64 << 30)
    # The same definition again is no change; the same name otherwise is.
    assert store.init_vpc("v", "b", peer_network="10.100.0.0/24", vlan=1, link_prefix="31",
                          vni_base=8192, numbering="cbsd", max_mem=64 << 30, max_guests=4) == spec


def test_membership(article: vpc.Store) -> None:
    spec = article.remove_member("vpc1", GOLD2[0])
    assert [m.name if m else None for m in spec.members] == [JHOSTER[0], None, GOLD1[0]]
    assert (spec.generation, spec.departed) == (2, [GOLD2[0]])
    # The remaining link keeps its VNI and addresses.
    assert [(link.vni, link.ends[0].link_addr) for link in spec.peer_map()] == [(2, "10.100.0.5/30")]
    spec = article.add_member("vpc1", GOLD2[0])
    assert (spec.generation, spec.departed, len(spec.peer_map())) == (3, [], 3)
    assert article.set_bridge_ips("vpc1", ["10.10.11.1/24"]) == "updated"
    assert article.vpc("vpc1").bridge_ips(JHOSTER[0]) == ["10.10.11.1/24"]


def test_receive_and_remove(article: vpc.Store, tmp_path: Path) -> None:
    member = vpc.Store(tmp_path / "gold2")
    member.init_node(GOLD2[0], ip6=GOLD2[1])
    assert member.receive(article.export("vpc1")) == "created"
    assert member.receive(article.export("vpc1")) == "unchanged"
    assert member.vpcs() == [article.vpc("vpc1")]
    assert member.remove_vpc("vpc1") == "removed"
    assert member.vpcs() == []
    assert article.remove_node(GOLD1[0]) == "removed"


def test_mtu_mirrors_vpc_mtu() -> None:
    assert vpc.mtu(1500, ["v4"]) == 1450
    assert vpc.mtu(1500, ["v6"]) == 1430
    assert vpc.mtu(1500, ["v4"], vlan=True) == 1446
    assert vpc.mtu(1500, ["v4", "v6"]) == 1430
    assert vpc.mtu(1500, []) == 1430
    assert vpc.mtu(9000, ["v4"]) == 8950
    assert vpc.mtu(1500, ["v4"], requested=1400) == 1400
    assert (vpc.overhead("v4"), vpc.overhead("v6", vlan=True)) == (50, 74)
    with pytest.raises(vpc.InvalidError, match="mtu 1451 is not valid: expected 1280 to 1450"):
        vpc.mtu(1500, ["v4"], requested=1451)
    with pytest.raises(vpc.InvalidError, match='family "v5"'):
        vpc.mtu(1500, ["v5"])  # type: ignore[list-item]


def test_quota_admission() -> None:
    g = 1 << 30
    q = vpc.Quota(max_guests=2, max_cpus=8, max_mem="16g")
    one = vpc.admit(q, vpc.Usage(), vpc.Usage.guest(4, 8 * g, "100g"))
    two = vpc.admit(q, one, vpc.Usage.guest(cpus=4, mem="8g", disk=900 * g))
    assert two == vpc.Usage(guests=2, cpus=8, mem=16 * g, disk=1000 * g)
    with pytest.raises(vpc.QuotaError, match=r"^max_guests 2 would be exceeded: 2 in use, 1 requested$"):
        vpc.admit(q, two, vpc.Usage.guest())
    with pytest.raises(vpc.QuotaError, match=r"^max_mem 16 GiB would be exceeded: 8 GiB in use, 9 GiB requested$"):
        vpc.admit(q, one, vpc.Usage.guest(1, "9g"))
    assert vpc.parse_size("mem", "512m") == 512 << 20
    with pytest.raises(vpc.InvalidError, match='^max_disk "1.5g" is not valid'):
        vpc.parse_size("max_disk", "1.5g")
    assert hash(q) == hash(vpc.Quota(2, 8, 16 * g, 0))
