"""Shared fixtures: the real ``vpc`` binary, and the article's cluster in a
state directory made through Python.

The CLI is ``$VPC_BIN``, else ``target/debug/vpc`` of this workspace
(``bindings/python/test.sh`` builds it).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import vpc

WORKSPACE = Path(__file__).resolve().parents[3]

# The article's hosts: the initiator and the two hosts it learns.
JHOSTER = ("jhoster1.olevole.ru", "2a05:3580:d800:20f7::1")
GOLD1 = ("gold-hoster1.prod.inf.hz.fbs.dev", "2a01:4f8:241:500c::1")
GOLD2 = ("gold-hoster-02.hz.fbs.dev", "2a01:4f8:241:500b::1")
ARTICLE_NODES = [JHOSTER[0], GOLD1[0], GOLD2[0]]


def vpc_bin() -> Path:
    """The ``vpc`` binary the parity tests compare with."""
    given = os.environ.get("VPC_BIN")
    path = Path(given) if given else WORKSPACE / "target" / "debug" / "vpc"
    if not path.is_file():
        pytest.fail(f"no vpc binary at {path}: run cargo build -p vpc-cli, or set VPC_BIN")
    return path


@dataclass
class Cli:
    """Runs ``vpc`` on one state directory."""

    state_dir: Path

    def run(self, *words: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "VPC_STATE_DIR": str(self.state_dir)}
        return subprocess.run(
            [str(vpc_bin()), *words],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    def ok(self, *words: str, stdin: str | None = None) -> str:
        """stdout of a run that must exit 0."""
        r = self.run(*words, stdin=stdin)
        assert r.returncode == 0, f"vpc {' '.join(words)} exited {r.returncode}: {r.stderr}"
        return r.stdout

    def json(self, *words: str, stdin: str | None = None) -> Any:
        """The JSON document of a ``--json`` run, whatever its exit code."""
        return json.loads(self.run(*words, "--json", stdin=stdin).stdout)


@pytest.fixture
def cli() -> Callable[[Path], Cli]:
    """``cli(state_dir)``: the CLI on a state directory."""
    return Cli


def make_article(state_dir: Path) -> vpc.Store:
    """The article's initiator, through Python: identity, the two other
    hosts recorded offline, ``vpc1`` over all of them."""
    store = vpc.Store(state_dir)
    assert store.init_node(JHOSTER[0], ip6=JHOSTER[1]) == "created"
    assert store.add_node(GOLD1[0], ip6=GOLD1[1]) == "created"
    assert store.add_node(GOLD2[0], ip6=GOLD2[1]) == "created"
    store.init_vpc("vpc1", node_member="all", peer_network="10.100.0.0/24")
    return store


@pytest.fixture
def article(tmp_path: Path) -> vpc.Store:
    """The article's initiator's store, made through Python."""
    return make_article(tmp_path / "jhoster1")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One more line for scripts/test's total: `python: N passed, M failed`."""
    stats = terminalreporter.stats
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    terminalreporter.write_line(f"python: {len(stats.get('passed', []))} passed, {failed} failed")
