"""Plans and dry-run commands from Python equal the CLI's `dryrun=1`, for
every member of the article's cluster under both systems' commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest
from conftest import ARTICLE_NODES, JHOSTER, Cli

import vpc

# README: `vpc mode=apply vpc_name=vpc1 dryrun=1 os=freebsd` on jhoster1.
JHOSTER_FREEBSD = """\
pfctl -q -a vpc/vpc1 -o none -f - <<'EOF'
table <vpc_allow> { 2a01:4f8:241:500b::1 2a01:4f8:241:500c::1 2a05:3580:d800:20f7::1 }
block drop in quick proto udp from ! <vpc_allow> to any port = 4789 label "vpc1 vnis 1-3"
EOF
ifconfig vxlan1 create vxlanid 1 vxlanlocal 2a05:3580:d800:20f7::1 vxlanremote 2a01:4f8:241:500b::1 vxlanlocalport 4789 vxlanremoteport 4789 mtu 1430 description tunnel-to-gold-hoster-02.hz.fbs.dev
ifconfig vxlan2 create vxlanid 2 vxlanlocal 2a05:3580:d800:20f7::1 vxlanremote 2a01:4f8:241:500c::1 vxlanlocalport 4789 vxlanremoteport 4789 mtu 1430 description tunnel-to-gold-hoster1.prod.inf.hz.fbs.dev
ifconfig bridge create name vpc1 mtu 1430 description vpc-vpc1
ifconfig vxlan1 inet 10.100.0.1/30 alias
ifconfig vxlan2 inet 10.100.0.5/30 alias
ifconfig vpc1 addm vxlan1 private vxlan1
ifconfig vpc1 addm vxlan2 private vxlan2
ifconfig vxlan1 up
ifconfig vxlan2 up
ifconfig vpc1 up
"""

Os = Literal["freebsd", "linux"]
Scope = Literal["all", "tunnels", "bridge"]

# (CLI mode, Python scope, Python teardown)
MODES: list[tuple[str, Scope, bool]] = [
    ("apply", "all", False),
    ("init_vxlan", "tunnels", False),
    ("init_bridge", "bridge", False),
    ("teardown", "all", True),
]


@pytest.mark.parametrize("os", ["freebsd", "linux"])
@pytest.mark.parametrize("node", ARTICLE_NODES)
def test_plan_equals_the_clis_dry_run(article: vpc.Store, cli: Callable[[Path], Cli], node: str, os: Os) -> None:
    c = cli(article.path)
    for mode, scope, teardown in MODES:
        words = (f"mode={mode}", "vpc_name=vpc1", "dryrun=1", f"os={os}", f"node={node}")
        plan = article.plan("vpc1", node=node, os=os, scope=scope, teardown=teardown)
        doc = c.json(*words)
        assert doc == {
            "version": 1,
            "vpc": "vpc1",
            "node": node,
            "os": os,
            "dryrun": True,
            "changes": plan.changes,
            "commands": plan.commands,
            "warnings": plan.warnings,
        }, mode
        text = "".join(f"{line}\n" for line in plan.commands) or f"# VPC vpc1 on {node}: nothing to change\n"
        assert c.ok(*words) == text, mode
        # The spec alone gives the same plan: it needs no store.
        spec = article.vpc("vpc1")
        assert spec.plan(node, os=os, scope=scope, teardown=teardown) == plan
        assert (plan.vpc, plan.node, plan.os) == ("vpc1", node, os)
    full = article.plan("vpc1", node=node, os=os)
    assert len(full.changes) == len(full.summary) > 0
    assert article.plan("vpc1", node=node, os=os, teardown=True).changes == []


def test_the_readmes_freebsd_commands(article: vpc.Store) -> None:
    plan = article.plan("vpc1", node=JHOSTER[0], os="freebsd")
    assert "".join(f"{line}\n" for line in plan.commands) == JHOSTER_FREEBSD
    # The members-only rule set (a pf anchor) comes before any tunnel.
    assert plan.changes[0]["op"] == "set_firewall"
    assert plan.changes[1] == {
        "op": "create_vxlan",
        "name": "vxlan1",
        "vni": 1,
        "local": "2a05:3580:d800:20f7::1",
        "remote": "2a01:4f8:241:500b::1",
        "port": 4789,
        "mtu": 1430,
        "description": "tunnel-to-gold-hoster-02.hz.fbs.dev",
    }
    assert plan.summary[3] == "create bridge vpc1 mtu 1430 description vpc-vpc1"


def test_host_view_equals_the_clis(article: vpc.Store, cli: Callable[[Path], Cli]) -> None:
    """Without node= and os=, both plan against this host's kernel (read,
    never changed)."""
    doc = cli(article.path).json("mode=apply", "vpc_name=vpc1", "dryrun=1")
    plan = article.plan("vpc1")
    assert (plan.node, plan.os) == (JHOSTER[0], doc["os"])
    assert (plan.changes, plan.commands, plan.warnings) == (doc["changes"], doc["commands"], doc["warnings"])
