//! Every change the planner makes for FreeBSD has an ioctl encoding and an
//! `ifconfig` dry-run line: bring-up, drift repair, guest ports and
//! teardown of a five-member VPC, over IPv4 and IPv6.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeSet;

use vpc_core::ErrorKind;
use vpc_core::backend::Backend;
use vpc_core::backend::dryrun;
use vpc_core::backend::freebsd::abi;
use vpc_core::backend::freebsd::codec::{self, Request, Target};
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::plan::{self, Change, Iface, IfaceKind, Observed, Scope};

/// The change kinds, by an exhaustive match: a new kind does not compile
/// until it is listed here, and then fails `every_kind_is_covered` until a
/// plan below produces it.
fn kind(c: &Change) -> &'static str {
    match c {
        Change::Destroy { .. } => "destroy",
        Change::CreateBridge { .. } => "create_bridge",
        Change::CreateVxlan { .. } => "create_vxlan",
        Change::SetMtu { .. } => "set_mtu",
        Change::SetDescription { .. } => "set_description",
        Change::DelAddr { .. } => "del_addr",
        Change::AddAddr { .. } => "add_addr",
        Change::DelNeighbour { .. } => "del_neighbour",
        Change::AddPort { .. } => "add_port",
        Change::DelPort { .. } => "del_port",
        Change::SetPrivate { .. } => "set_private",
        Change::Up { .. } => "up",
        Change::SetFirewall { .. } => "set_firewall",
        Change::RemoveFirewall { .. } => "remove_firewall",
        Change::CreateWireguard { .. } => "create_wireguard",
        Change::SetWireguard { .. } => "set_wireguard",
    }
}

const KINDS: [&str; 14] = [
    "destroy",
    "create_bridge",
    "create_vxlan",
    "set_mtu",
    "set_description",
    "del_addr",
    "add_addr",
    "del_neighbour",
    "add_port",
    "del_port",
    "set_private",
    "up",
    "set_firewall",
    "remove_firewall",
];

fn v4_node(name: &str, last: u8) -> Node {
    Node::new(
        NodeName::new(name).unwrap(),
        Some([198, 18, 0, last].into()),
        None,
    )
    .unwrap()
}

fn v6_node(name: &str, last: u16) -> Node {
    Node::new(
        NodeName::new(name).unwrap(),
        None,
        Some([0x2001, 0xdb8, 0, 0, 0, 0, 0, last].into()),
    )
    .unwrap()
}

/// A five-member VPC; `v6`: IPv6 underlay and peer network.
fn five(v6: bool) -> Spec {
    let mut o = Options::default();
    let node = |name: &str, i: u8| {
        if v6 {
            v6_node(name, u16::from(i))
        } else {
            v4_node(name, i)
        }
    };
    let net = if v6 {
        "2001:db8:100::/120"
    } else {
        "10.100.0.0/24"
    };
    o.set("peer_network", net).unwrap();
    let others = (2..=5).map(|i| node(&format!("n{i}"), i)).collect();
    let mut spec = Spec::define(
        VpcName::new("vpc1").unwrap(),
        node("n1", 1),
        others,
        &o,
        &[],
    )
    .unwrap();
    let addrs = if v6 {
        vec![IfAddr::parse("2001:db8:ff::1/64", "a").unwrap()]
    } else {
        vec![
            IfAddr::parse("10.10.11.1/24", "a").unwrap(),
            IfAddr::parse("2001:db8:ff::1/64", "a").unwrap(),
        ]
    };
    spec.set_bridge_addrs(&NodeName::new("n1").unwrap(), addrs)
        .unwrap();
    spec
}

fn me() -> NodeName {
    NodeName::new("n1").unwrap()
}

/// The FreeBSD plans of every sort: bring-up, drift, guest ports,
/// teardown.
fn plans(spec: &Spec) -> Vec<(String, Vec<Change>)> {
    let d = plan::desired(spec, &me(), Platform::FreeBsd).unwrap();
    let mut out = Vec::new();
    for scope in [Scope::All, Scope::Tunnels, Scope::Bridge] {
        let p = plan::plan(&d, &Observed::default(), scope).unwrap();
        out.push((format!("bring-up {scope:?}"), p.changes));
    }

    let mut k = MemoryKernel::new(Platform::FreeBsd);
    let p = plan::plan(&d, &k.observe().unwrap(), Scope::All).unwrap();
    k.apply(&p.changes).unwrap();
    let converged = k.snapshot();

    // Drift: a tunnel's MTU, description, a stray address, its private flag
    // and up state; the bridge's MTU and an extra address; a tunnel with
    // another remote (recreated); a tunnel the spec no longer has.
    let mut drift = converged.clone();
    let tunnels: Vec<String> = d.tunnels.iter().map(|t| t.name.clone()).collect();
    for i in &mut drift.ifaces {
        if i.name == tunnels[0] {
            i.mtu = 1500;
            i.description = Some("someone else's".into());
            i.addrs.push(IfAddr::parse("192.0.2.77/28", "a").unwrap());
            i.private = false;
            i.up = false;
        }
        if i.name == tunnels[1]
            && let IfaceKind::Vxlan(conf) = &mut i.kind
        {
            conf.remote = Some("192.0.2.99".parse().unwrap());
        }
        if i.name == "vpc1" {
            i.mtu = 9000;
            i.description = None;
            i.addrs
                .push(IfAddr::parse("2001:db8:ee::1/64", "a").unwrap());
            i.up = false;
        }
    }
    let mut stale = drift.get(&tunnels[2]).unwrap().clone();
    let vni = d.tunnels.iter().map(|t| t.vni).max().unwrap() + 1;
    stale.name = format!("vxlan{vni}");
    if let IfaceKind::Vxlan(conf) = &mut stale.kind {
        conf.vni = vni;
    }
    drift.ifaces.push(stale);
    // Drift of a description or a bare bridge is repaired only on what vpc
    // recorded making: the record the store keeps after the bring-up.
    let mut recorded = d.clone();
    recorded.owned = Some(plan::owned_after(
        &d,
        &Observed::default(),
        &p.changes,
        &converged,
    ));
    let p = plan::plan(&recorded, &drift, Scope::All).unwrap();
    out.push(("drift".into(), p.changes));

    // Guest ports: attach (MTU, join, up) and detach.
    let mut with_guest = converged.clone();
    with_guest.ifaces.push(Iface {
        name: "epair0a".into(),
        index: 99,
        kind: IfaceKind::Other("epair".into()),
        mtu: 1500,
        up: false,
        running: false,
        description: None,
        mac: None,
        master: None,
        private: false,
        addrs: Vec::new(),
        neighbours: Vec::new(),
    });
    let p = plan::attach(&d, &with_guest, "epair0a").unwrap();
    out.push(("attach".into(), p.changes.clone()));
    let mut g = MemoryKernel::with(Platform::FreeBsd, with_guest);
    g.apply(&p.changes).unwrap();
    let p = plan::detach(&d, &g.snapshot(), "epair0a");
    out.push(("detach".into(), p.changes));

    for scope in [Scope::All, Scope::Tunnels, Scope::Bridge] {
        let p = plan::teardown(&d, &converged, scope);
        out.push((format!("teardown {scope:?}"), p.changes));
    }
    out
}

fn check_change(c: &Change) -> Vec<Request> {
    let lines = dryrun::render(Platform::FreeBsd, c);
    assert!(!lines.is_empty(), "{c}: no ifconfig line");
    assert!(lines.iter().all(|l| !l.is_empty()), "{c}: {lines:?}");
    let requests = codec::requests(c).unwrap_or_else(|e| panic!("{c}: {e}"));
    assert!(!requests.is_empty(), "{c}: no ioctl");
    requests
}

#[test]
fn every_freebsd_change_has_an_ioctl_and_an_ifconfig_line() {
    let mut seen = BTreeSet::new();
    for v6 in [false, true] {
        for (label, changes) in plans(&five(v6)) {
            assert!(!changes.is_empty(), "{label} (v6 {v6}) plans nothing");
            for c in &changes {
                seen.insert(kind(c));
                assert!(
                    !matches!(c, Change::DelNeighbour { .. }),
                    "{label}: FreeBSD plans hold no neighbour entries: {c}"
                );
                check_change(c);
            }
        }
    }
    // DelNeighbour is Linux-only (it removes what an older vpc pinned
    // there): the FreeBSD codec refuses it, loudly.
    let neighbour = &Change::DelNeighbour {
        name: "vxlan1".into(),
        ip: "10.100.0.2".parse().unwrap(),
    };
    let e = codec::requests(neighbour).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("Linux"), "{e}");
    seen.insert(kind(neighbour));
    // No rule set on FreeBSD yet: the planner warns instead of planning one.
    let d = plan::desired(&five(false), &me(), Platform::FreeBsd).unwrap();
    let set = &Change::SetFirewall {
        rules: d.firewall.clone(),
    };
    assert_eq!(
        codec::requests(set).unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    seen.insert(kind(set));
    let remove = &Change::RemoveFirewall {
        table: d.firewall.table.clone(),
    };
    assert!(codec::requests(remove).unwrap().is_empty());
    seen.insert(kind(remove));
    let all: BTreeSet<&str> = KINDS.into_iter().collect();
    assert_eq!(seen, all, "a change kind no plan above produces");
}

/// The bring-up's requests, in order, for one tunnel and the bridge.
#[test]
fn bring_up_sequence() {
    let d = plan::desired(&five(false), &me(), Platform::FreeBsd).unwrap();
    let p = plan::plan(&d, &Observed::default(), Scope::All).unwrap();
    let t = &d.tunnels[0];
    let for_tunnel: Vec<Request> = p
        .changes
        .iter()
        .filter(|c| match c {
            Change::CreateVxlan { name, .. }
            | Change::AddAddr { name, .. }
            | Change::Up { name } => *name == t.name,
            Change::AddPort { port, .. } => *port == t.name,
            _ => false,
        })
        .flat_map(|c| codec::requests(c).unwrap())
        .collect();
    let codes: Vec<u64> = for_tunnel.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        [
            abi::SIOCIFCREATE2,
            abi::SIOCSIFNAME,
            abi::SIOCSIFMTU,
            abi::SIOCSIFDESCR,
            abi::SIOCAIFADDR,
            abi::SIOCSDRVSPEC, // BRDGADD
            abi::SIOCSDRVSPEC, // BRDGSIFFLGS
            abi::SIOCSIFFLAGS,
        ]
    );
    assert_eq!(for_tunnel[1].target, Target::Created);
    assert_eq!(for_tunnel[5].ifd_cmd(), Some(abi::BRDGADD));
    assert_eq!(for_tunnel[6].ifd_cmd(), Some(abi::BRDGSIFFLGS));
    // Only the rename waits for the created name; the rest name the tunnel.
    for r in for_tunnel.iter().filter(|r| r.code != abi::SIOCIFCREATE2) {
        if r.target == Target::Named && r.code != abi::SIOCSDRVSPEC {
            assert_eq!(&r.outer[..t.name.len()], t.name.as_bytes(), "{r}");
        }
    }
    // The bridge: created by cloner name and renamed to the VPC's.
    let create = p
        .changes
        .iter()
        .find(|c| matches!(c, Change::CreateBridge { .. }))
        .unwrap();
    let r = codec::requests(create).unwrap();
    assert_eq!(&r[0].outer[..7], b"bridge\0");
    assert_eq!(&r[1].inner.as_ref().unwrap().bytes[..5], b"vpc1\0");
}

/// A change with a value FreeBSD cannot take is refused before any
/// request is made.
#[test]
fn bad_changes_are_refused_whole() {
    let bad = [
        Change::SetMtu {
            name: "vxlan1".into(),
            mtu: 40,
        },
        Change::Up {
            name: "far_too_long_a_name".into(),
        },
        Change::CreateVxlan {
            name: "vxlan1".into(),
            vni: 1 << 24,
            local: "192.0.2.1".parse().unwrap(),
            remote: "192.0.2.2".parse().unwrap(),
            port: 4789,
            mtu: 1450,
            description: "d".into(),
        },
        Change::CreateVxlan {
            name: "vxlan1".into(),
            vni: 1,
            local: "192.0.2.1".parse().unwrap(),
            remote: "2001:db8::2".parse().unwrap(),
            port: 4789,
            mtu: 1450,
            description: "d".into(),
        },
        Change::CreateVxlan {
            name: "vxlan1".into(),
            vni: 1,
            local: "192.0.2.1".parse().unwrap(),
            remote: "192.0.2.2".parse().unwrap(),
            port: 0,
            mtu: 1450,
            description: "d".into(),
        },
    ];
    for c in bad {
        let e = codec::requests(&c).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{c}: {e}");
    }
}
