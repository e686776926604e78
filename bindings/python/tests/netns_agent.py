"""One call of the vpc module in this process's network namespace, its
result printed as one JSON document.

The network-namespace test runs it with ``ip netns exec NS python
netns_agent.py OP VPC [ARG]`` and ``VPC_STATE_DIR`` set: Python 3.11 has
no ``os.setns``, so a process of its own enters each namespace. A
``VpcError`` is printed as ``{"error": class name, "kind", "message"}``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import vpc


def plan(p: vpc.Plan) -> dict[str, Any]:
    return {"node": p.node, "os": p.os, "changes": p.changes, "commands": p.commands}


def health(h: vpc.Health) -> dict[str, Any]:
    tunnels = [
        {"interface": t.interface, "peer": t.peer, "present": t.present, "matching": t.matching,
         "up": t.up, "running": t.running, "answered": t.rtt_ms is not None}
        for t in h.tunnels
    ]
    return {"healthy": h.healthy, "differences": h.differences, "tunnels": tunnels, "probed": h.probed}


def ticking(store: vpc.Store, name: str) -> dict[str, Any]:
    """``status`` waiting 1.5 s for probes that get no answer, while
    another thread counts 10 ms sleeps: it counts only if the call lets
    go of the interpreter."""
    ticks = 0
    done = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            time.sleep(0.01)
            ticks += 1

    t = threading.Thread(target=tick)
    t.start()
    start = time.monotonic()
    try:
        result = health(store.status(name, timeout_ms=1500))
    finally:
        done.set()
        t.join()
    return {**result, "ticks": ticks, "seconds": time.monotonic() - start}


def main(op: str, name: str, *rest: str) -> Any:
    store = vpc.Store()
    match op:
        case "apply":
            return plan(store.apply(name))
        case "teardown":
            return plan(store.teardown(name))
        case "plan":
            return plan(store.plan(name))
        case "status":
            return health(store.status(name, timeout_ms=1000))
        case "status-ticking":
            return ticking(store, name)
        case "attach":
            return {"outcome": store.attach(name, rest[0], cpus=1, mem="1g")}
        case "detach":
            return {"outcome": store.detach(name, rest[0])}
    raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    try:
        out = main(*sys.argv[1:])
    except vpc.VpcError as e:
        out = {"error": type(e).__name__, "kind": type(e).kind, "message": str(e)}  # type: ignore[attr-defined]
    print(json.dumps(out))
