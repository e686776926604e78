"""As root: a VPC over two hosts, each a network namespace, applied,
checked and torn down from Python; a guest behind each host reaches the
other. Skipped, with the reason printed, unless root (and `ip`, `ping`
and `setpriv` are there); `VPC_E2E_NETNS=require` makes that a failure.

Everything lives in namespaces this test makes, named `vpcpy{pid}…`:
underlay addresses from 198.18.0.0/15, guests in 10.10.11.0/24, no
default route anywhere (router advertisements are ignored). The
namespaces are deleted at the end, also on failure; ones a killed run left
behind (its pid gone) are deleted by the next run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import vpc

PREFIX = "vpcpy"
AGENT = Path(__file__).with_name("netns_agent.py")
NO_RA = "for c in all default; do echo 0 > /proc/sys/net/ipv6/conf/$c/accept_ra; done"
NO_IPV6 = "for c in all default; do echo 1 > /proc/sys/net/ipv6/conf/$c/disable_ipv6; done"
MTU = 1450  # IPv4 underlay of 1500 minus 50 bytes of VXLAN


def run(*cmd: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60, check=False)


def check(*cmd: str, stdin: str | None = None) -> str:
    r = run(*cmd, stdin=stdin)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}"
    return r.stdout


def why_not() -> str | None:
    """Why this process cannot run the test, if it cannot."""
    if os.geteuid() != 0:
        return f"effective uid {os.geteuid()}, not root"
    for tool in ("ip", "ping", "setpriv"):
        if shutil.which(tool) is None:
            return f"no {tool} command"
    return None


def netns_list() -> list[str]:
    return [line.split()[0] for line in check("ip", "netns", "list").splitlines() if line.strip()]


def remove_netns(names: list[str]) -> None:
    """Ends what runs inside, then deletes the namespaces."""
    for ns in names:
        pids = run("ip", "netns", "pids", ns).stdout.split()
        if pids:
            run("kill", "-KILL", *pids)
        run("ip", "netns", "delete", ns)


def remove_stale() -> None:
    """Namespaces of runs whose process is gone."""
    stale = []
    for ns in netns_list():
        m = re.match(rf"^{PREFIX}(\d+)", ns)
        if m and int(m.group(1)) != os.getpid() and not Path(f"/proc/{m.group(1)}").exists():
            stale.append(ns)
    remove_netns(stale)


@dataclass
class Lab:
    """Two hosts on one switch (`…w`, bridge br0), a guest behind each."""

    root: Path
    made: list[str] = field(default_factory=list)

    def ns(self, tag: str) -> str:
        return f"{PREFIX}{os.getpid()}{tag}"

    def add_netns(self, tag: str, sysctls: str) -> str:
        name = self.ns(tag)
        check("ip", "netns", "add", name)
        self.made.append(name)
        check("ip", "netns", "exec", name, "sh", "-ec", sysctls)
        return name

    def batch(self, tag: str, *lines: str) -> None:
        check("ip", "-n", self.ns(tag), "-batch", "-", stdin="".join(f"{line}\n" for line in lines))

    def build(self) -> None:
        self.add_netns("w", NO_IPV6)
        self.batch("w", "link set lo up", "link add br0 type bridge")
        for i in range(2):
            host = self.add_netns(f"h{i}", NO_RA)
            self.batch("w", f"link add h{i} type veth peer name eth0 netns {host}", f"link set h{i} master br0",
                       f"link set h{i} up")
            self.batch(f"h{i}", "link set lo up", f"addr add 198.18.0.{i + 1}/24 dev eth0", "link set eth0 up")
            guest = self.add_netns(f"g{i}", NO_RA)
            self.batch(f"h{i}", f"link add gp{i} type veth peer name eth0 netns {guest}")
            self.batch(f"g{i}", "link set lo up", f"addr add 10.10.11.{i + 1}/24 dev eth0",
                       f"link set eth0 mtu {MTU}", "link set eth0 up")
        self.batch("w", "link set br0 up")

    def state(self, host: int) -> Path:
        return self.root / f"h{host}"

    def store(self, host: int) -> vpc.Store:
        return vpc.Store(self.state(host))

    def agent(self, host: int, *args: str, net_admin: bool = True) -> Any:
        """The agent's answer from inside host `host`'s namespace; without
        `net_admin`, root without CAP_NET_ADMIN: the kernel refuses
        every change."""
        drop = [] if net_admin else ["setpriv", "--bounding-set=-net_admin"]
        cmd = ["ip", "netns", "exec", self.ns(f"h{host}"), *drop, sys.executable, str(AGENT), *args]
        env = {**os.environ, "VPC_STATE_DIR": str(self.state(host))}
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
        assert r.returncode == 0, f"agent {args} on h{host} exited {r.returncode}: {r.stderr}"
        return json.loads(r.stdout)

    def links(self, tag: str) -> dict[str, Any]:
        return {link["ifname"]: link for link in json.loads(check("ip", "-n", self.ns(tag), "-j", "-d", "link", "show"))}

    def ping(self, guest: int, addr: str) -> bool:
        return run("ip", "netns", "exec", self.ns(f"g{guest}"), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                   addr).returncode == 0


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    why = why_not()
    if why is not None:
        if os.environ.get("VPC_E2E_NETNS") == "require":
            pytest.fail(f"VPC_E2E_NETNS=require, but: {why}")
        print(f"skipping: needs root and ip netns ({why})")
        pytest.skip(f"needs root and ip netns ({why})")
    remove_stale()
    lab = Lab(tmp_path)
    try:
        lab.build()
        yield lab
    finally:
        remove_netns(lab.made)
        left = [ns for ns in netns_list() if ns in lab.made]
        assert not left, f"namespaces left behind: {left}"


def healthy_status(lab: Lab, host: int) -> dict[str, Any]:
    """`status` until healthy, for up to 5 s (a fresh tunnel may take a
    moment to pass its first probe)."""
    for _ in range(10):
        status: dict[str, Any] = lab.agent(host, "status", "vpc1")
        if status["healthy"]:
            return status
        time.sleep(0.5)
    return status


def test_netns_apply_status_teardown_from_python(lab: Lab) -> None:
    h0, h1 = lab.store(0), lab.store(1)
    h0.init_node("h0", ip4="198.18.0.1")
    h0.add_node("h1", ip4="198.18.0.2")
    spec = h0.init_vpc("vpc1", peer_network="10.100.0.0/24")
    assert spec.mtu == MTU
    h1.init_node("h1", ip4="198.18.0.2")
    assert h1.receive(h0.export("vpc1")) == "created"

    # A kernel that refuses: the error names the change, nothing is made.
    refused = lab.agent(0, "apply", "vpc1", net_admin=False)
    assert (refused["error"], refused["kind"]) == ("BackendError", "backend")
    # The members-only rule set is the first change, before any tunnel.
    assert re.match(r"^change 1 of \d+ \(set firewall vpc_vpc1: only 198\.18\.0\.1, 198\.18\.0\.2 may send to udp port 4789 ", refused["message"])
    assert "Operation not permitted" in refused["message"]
    assert "vxlan1" not in lab.links("h0") and "vpc1" not in lab.links("h0")

    # apply on both, as the host's own view plans it beforehand.
    for host in (0, 1):
        preview = lab.agent(host, "plan", "vpc1")
        done = lab.agent(host, "apply", "vpc1")
        assert done == preview and done["os"] == "linux" and done["changes"]
        assert lab.agent(host, "apply", "vpc1")["changes"] == [], "a second apply changes nothing"
        assert lab.agent(host, "attach", "vpc1", f"gp{host}") == {"outcome": "created"}
        links = lab.links(f"h{host}")
        assert links["vxlan1"]["mtu"] == MTU and links["vxlan1"]["master"] == "vpc1"
        assert links[f"gp{host}"]["master"] == "vpc1" and links[f"gp{host}"]["mtu"] == MTU

    for host in (0, 1):
        status = healthy_status(lab, host)
        assert status["healthy"], status
        assert [(t["interface"], t["peer"], t["answered"]) for t in status["tunnels"]] == [
            ("vxlan1", f"h{1 - host}", True)
        ]
    assert lab.ping(0, "10.10.11.2"), "guest 0 does not reach guest 1"
    assert lab.ping(1, "10.10.11.1"), "guest 1 does not reach guest 0"

    # h1 goes: h0's probe gets no answer, and waits for it with the
    # interpreter released.
    assert lab.agent(1, "detach", "vpc1", "gp1") == {"outcome": "removed"}
    gone = lab.agent(1, "teardown", "vpc1")
    assert gone["commands"][0] == "ip link del dev vpc1"
    waited = lab.agent(0, "status-ticking", "vpc1")
    assert not waited["healthy"] and not waited["tunnels"][0]["answered"]
    assert waited["seconds"] >= 1.4 and waited["ticks"] >= 40, waited
    assert not lab.ping(0, "10.10.11.2")

    assert lab.agent(0, "teardown", "vpc1")["changes"]
    for host in (0, 1):
        links = lab.links(f"h{host}")
        assert "vpc1" not in links and not any(name.startswith("vxlan") for name in links), links
        assert f"gp{host}" in links, "guest ports are released, not removed"
        assert lab.agent(host, "teardown", "vpc1")["changes"] == []
    assert "bridge vpc1 is missing" in lab.agent(0, "status", "vpc1")["differences"]
