//! A VPC over a lab's hosts, set up the way a user would: identities,
//! records on the initiator, `mode=init` there, the spec handed to the
//! members (`export` | `receive`), `apply` everywhere, guests attached.

use serde_json::Value;

use crate::{Guest, Host, Lab};

/// Which underlay families the hosts announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Underlay {
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// Sets each host's identity (idempotent) with the lab's address of `family`.
pub fn identify(lab: &Lab, hosts: &[usize], family: Underlay) {
    for &i in hosts {
        let h = lab.host(i);
        match family {
            Underlay::V4 => h.ok(&format!("node mode=init name={} ip4={}", h.name(), h.ip4())),
            Underlay::V6 => h.ok(&format!("node mode=init name={} ip6={}", h.name(), h.ip6())),
        };
    }
}

/// Records `others` on host `initiator` (offline, idempotent).
pub fn introduce(lab: &Lab, initiator: usize, others: &[usize], family: Underlay) {
    let h = lab.host(initiator);
    for &i in others {
        let o = lab.host(i);
        let addr = match family {
            Underlay::V4 => o.ip4().to_string(),
            Underlay::V6 => o.ip6().to_string(),
        };
        h.ok(&format!(
            "node mode=add offline=1 name={} node={addr}",
            o.name()
        ));
    }
}

/// Hands host `from`'s spec of `vpc` to each of `to` (`export | receive`).
#[track_caller]
pub fn sync(lab: &Lab, from: usize, to: &[usize], vpc: &str) {
    let spec = lab
        .host(from)
        .ok(&format!("mode=export vpc_name={vpc}"))
        .stdout;
    for &i in to {
        let out = lab.host(i).vpc_stdin("mode=receive", &spec);
        assert!(
            out.status.success(),
            "{}: receive failed: {}",
            lab.host(i).name(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Defines `vpc` on host `hosts[0]` over `hosts` (`extra`: more
/// `key=value` words), hands it to the others and applies it on all.
#[track_caller]
pub fn deploy(
    lab: &Lab,
    hosts: &[usize],
    family: Underlay,
    vpc: &str,
    peer_network: &str,
    extra: &str,
) {
    identify(lab, hosts, family);
    introduce(lab, hosts[0], &hosts[1..], family);
    let members: Vec<&str> = hosts[1..].iter().map(|&i| lab.host(i).name()).collect();
    lab.host(hosts[0]).ok(&format!(
        "mode=init vpc_name={vpc} node_member={} peer_network={peer_network} {extra}",
        members.join(",")
    ));
    sync(lab, hosts[0], &hosts[1..], vpc);
    for &i in hosts {
        lab.host(i).ok(&format!("mode=apply vpc_name={vpc}"));
    }
}

/// A guest on host `host`, attached to `vpc` with `10.10.11.{n}/24` and
/// `2001:db8:11::{n}/64` (`n` = `number`), its MTU the VPC's.
#[track_caller]
pub fn guest<'l>(lab: &'l Lab, host: usize, vpc: &str, number: usize, mtu: u32) -> Guest<'l> {
    let g = lab.guest(host, &format!("g{number}"));
    g.addr(&format!("10.10.11.{number}/24"))
        .addr6(&format!("2001:db8:11::{number}/64"))
        .set_mtu(mtu);
    lab.host(host)
        .ok(&format!("mode=attach vpc_name={vpc} iface={}", g.host_if()));
    assert!(g.wait_up(), "guest {number} on host {host} did not come up");
    g
}

/// The vxlan interfaces of a host: (name, VNI, MTU, ifindex), by name.
pub fn vxlans(h: &Host) -> Vec<(String, u64, u64, u64)> {
    let mut out: Vec<(String, u64, u64, u64)> = h
        .links()
        .iter()
        .filter(|l| l["linkinfo"]["info_kind"] == "vxlan")
        .map(|l| {
            (
                l["ifname"].as_str().unwrap_or_default().to_owned(),
                l["linkinfo"]["info_data"]["id"]
                    .as_u64()
                    .unwrap_or_default(),
                l["mtu"].as_u64().unwrap_or_default(),
                l["ifindex"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Interface name → ifindex for every link of a host.
pub fn indexes(h: &Host) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = h
        .links()
        .iter()
        .map(|l| {
            (
                l["ifname"].as_str().unwrap_or_default().to_owned(),
                l["ifindex"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The peer map as `vpc mode=init_peers --json` gives it on host `h`.
pub fn peer_map(h: &Host, vpc: &str) -> Value {
    h.ok(&format!("mode=init_peers vpc_name={vpc} --json"))
        .json()
}
