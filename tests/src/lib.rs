//! Hosts simulated with Linux network namespaces, for end-to-end tests
//! that run the real `vpc` binary "on" several hosts (DESIGN.md §9).
//!
//! ```ignore
//! let Some(lab) = Lab::new("mesh", 3) else { return }; // not root: skipped
//! let h0 = lab.host(0);
//! h0.ok(&format!("node mode=init name={} ip4={}", h0.name(), h0.ip4()));
//! let g = lab.guest(0, "web");
//! g.addr("10.10.11.1/24").addr6("2001:db8:11::1/64");
//! h0.ok(&format!("mode=attach vpc_name=vpc1 iface={}", g.host_if()));
//! assert!(g.ping("10.10.11.2", 3, &[]));
//! ```
//!
//! # Topology
//!
//! A [`Lab`] is one "wan" namespace holding a bridge, and per host a
//! namespace whose `eth0` is a veth into that bridge, with
//! `198.18.0.{i+1}/24` and `2001:db8::{i+1}/64` (`nodad`). A [`Guest`] is a
//! namespace whose `eth0` is a veth to its host, the host end left down and
//! unattached for `vpc mode=attach`. [`Host::vpc`] runs `vpc` inside the
//! host's namespace with `VPC_STATE_DIR` set to the host's own directory.
//!
//! # Safety of the network
//!
//! Underlay addresses come only from 198.18.0.0/15 and 2001:db8::/32; no
//! namespace gets a default route (router advertisements are ignored in
//! hosts and guests; the wan has no IPv6 at all); interfaces are made
//! directly inside the lab's namespaces — never in the caller's — so they
//! go away with them, and nothing can reach an address outside the lab.
//!
//! # Names
//!
//! Everything the harness makes is named `vpct{pid}-{lab}[-{tag}]-…`:
//! `pid` is the test process, `lab` a counter of that process, `tag` up to
//! 8 letters and digits of the test's tag. Namespaces are `…-wan`, `…-h{i}`
//! and `…-g{k}`; the hosts' state directories `$TMPDIR/vpct{pid}-{lab}[-{tag}]/h{i}`.
//! Interface names are short and only need to be unique inside their
//! namespace: `br0` and `h{i}` in the wan, `eth0` in hosts and guests,
//! `g{host}n{k}` for a guest's host end (`k` counts the lab's guests). So
//! labs in parallel test threads, and parallel test processes, never
//! collide.
//!
//! # Cleanup
//!
//! Dropping a [`Lab`] — also when the test panics, since drop runs on
//! unwind — kills what still runs inside its namespaces, deletes them
//! (guests, hosts, wan) and the state directories. A process killed
//! outright (SIGKILL, Ctrl-C) cannot clean up; the first lab of the next
//! test process removes what it left ([`Lab::cleanup_stale`]): names whose
//! pid no longer runs, or that carry the new process's own pid but none of
//! its labs.
//!
//! # Requirements
//!
//! Root, `ip` (iproute2) with `ip netns`, veth and bridge support; `ping`
//! (iputils-ping) for the ping helpers, `timeout` (coreutils). Without
//! them [`Lab::new`] prints `skipping: needs root and ip netns (why)` and
//! returns `None`. The `vpc` binary is found by [`vpc_bin`].
//!
//! Environment: `VPC_BIN` (the binary), `VPC_E2E_NETNS=require|skip`
//! (fail instead of skipping / always skip), `VPC_E2E_TIMEOUT` (seconds a
//! command in a namespace may run before it is killed, default 120).

#![allow(
    clippy::disallowed_macros,
    reason = "tests and benchmarks report to the terminal themselves"
)]

pub mod cluster;
mod cmd;
mod guest;
mod host;
mod lab;
mod names;
mod sshd;

pub use guest::Guest;
pub use host::{Host, Run, vpc_bin};
pub use lab::Lab;
pub use names::netns_list;
pub use sshd::Sshd;
