//! Every change the planner makes for FreeBSD has an ioctl encoding or a
//! program run (pfctl, wg, kldload) and a dry-run line: bring-up, drift
//! repair, guest ports and teardown of a five-member VPC, plain and
//! encrypted, over IPv4 and IPv6.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeSet;

use vpc_core::ErrorKind;
use vpc_core::backend::Backend;
use vpc_core::backend::dryrun;
use vpc_core::backend::freebsd::codec::{self, Request, Target};
use vpc_core::backend::freebsd::program::Input;
use vpc_core::backend::freebsd::{self, abi, pf};
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::model::wgkey::PrivateKey;
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

const KINDS: [&str; 16] = [
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
    "create_wireguard",
    "set_wireguard",
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
    five_with(v6, &Options::default())
}

/// [`five`] with `o`'s options besides.
fn five_with(v6: bool, o: &Options) -> Spec {
    let mut o = o.clone();
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
    for m in spec.members.iter_mut().flatten() {
        if spec.wireguard.is_some() {
            m.wg_key = Some(PrivateKey::generate().public());
        }
    }
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

/// [`five`], encrypted: every member has a WireGuard key.
fn five_encrypted(v6: bool) -> Spec {
    let mut o = Options::default();
    o.set("encrypt", "wireguard").unwrap();
    five_with(v6, &o)
}

/// This host's key, as the store hands it to the executor.
fn keyed(c: &Change) -> Change {
    match c {
        Change::SetWireguard { vpc, device } => {
            let mut device = device.clone();
            device.private_key = Some(PrivateKey::generate());
            Change::SetWireguard {
                vpc: vpc.clone(),
                device,
            }
        }
        other => other.clone(),
    }
}

/// The FreeBSD plans of every sort: bring-up, drift, guest ports,
/// teardown.
fn plans(spec: &Spec) -> Vec<(String, Vec<Change>)> {
    let mut d = plan::desired(spec, &me(), Platform::FreeBsd).unwrap();
    if let Some(wg) = &mut d.wireguard {
        // This host's key, which the store fills in.
        wg.device.private_key = Some(PrivateKey::generate());
    }
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
    recorded.owned =
        Some(plan::owned_after(&d, &Observed::default(), &p.changes, &converged).into());
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
    assert!(!lines.is_empty(), "{c}: no dry-run line");
    assert!(lines.iter().all(|l| !l.is_empty()), "{c}: {lines:?}");
    assert!(lines.iter().all(|l| !l.starts_with('#')), "{c}: {lines:?}");
    let requests = codec::requests(c).unwrap_or_else(|e| panic!("{c}: {e}"));
    let programs = freebsd::programs(&keyed(c)).unwrap_or_else(|e| panic!("{c}: {e}"));
    assert!(
        !requests.is_empty() || !programs.is_empty(),
        "{c}: neither an ioctl nor a program"
    );
    requests
}

#[test]
fn every_freebsd_change_has_an_ioctl_or_a_program_and_a_dry_run_line() {
    let mut seen = BTreeSet::new();
    for v6 in [false, true] {
        let all = [plans(&five(v6)), plans(&five_encrypted(v6))].concat();
        for (label, changes) in all {
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
    let all: BTreeSet<&str> = KINDS.into_iter().collect();
    assert_eq!(seen, all, "a change kind no plan above produces");
}

/// The rule set is one pfctl run on the VPC's anchor, whose input the dry
/// run prints as it is loaded; it comes before any tunnel; teardown
/// flushes that anchor last. No run names the main ruleset.
#[test]
fn the_rule_set_is_a_pf_anchor() {
    let d = plan::desired(&five(false), &me(), Platform::FreeBsd).unwrap();
    let p = plan::plan(&d, &Observed::default(), Scope::All).unwrap();
    let set = &p.changes[0];
    assert_eq!(
        set,
        &Change::SetFirewall {
            rules: d.firewall.clone()
        }
    );
    assert!(codec::requests(set).unwrap().is_empty());
    let runs = freebsd::programs(set).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].command_line(), "pfctl -q -a vpc/vpc1 -o none -f -");
    let Input::Lines(text) = &runs[0].input else {
        panic!("{:?}", runs[0].input)
    };
    assert_eq!(text, &pf::ruleset(&d.firewall).unwrap());
    assert_eq!(
        dryrun::render(Platform::FreeBsd, set),
        [
            vec!["pfctl -q -a vpc/vpc1 -o none -f - <<'EOF'".to_owned()],
            text.clone(),
            vec!["EOF".to_owned()]
        ]
        .concat()
    );
    assert_eq!(
        text,
        &[
            "table <vpc_allow> { 198.18.0.1 198.18.0.2 198.18.0.3 198.18.0.4 198.18.0.5 }",
            "block drop in quick proto udp from ! <vpc_allow> to any port = 4789 label \"vpc1 vnis 1-10\"",
        ]
    );

    let mut k = MemoryKernel::new(Platform::FreeBsd);
    k.apply(&p.changes).unwrap();
    let t = plan::teardown(&d, &k.snapshot(), Scope::All);
    let remove = t.changes.last().unwrap();
    assert_eq!(
        remove,
        &Change::RemoveFirewall {
            table: "vpc_vpc1".into()
        }
    );
    assert!(codec::requests(remove).unwrap().is_empty());
    let runs = freebsd::programs(remove).unwrap();
    assert_eq!(runs[0].command_line(), "pfctl -q -a vpc/vpc1 -F all");
    assert_eq!(
        dryrun::render(Platform::FreeBsd, remove),
        ["pfctl -q -a vpc/vpc1 -F all"]
    );
    for c in p.changes.iter().chain(&t.changes) {
        for r in freebsd::programs(c).unwrap() {
            if r.name == "pfctl" {
                let at = r.args.iter().position(|a| a == "-a").unwrap();
                assert!(r.args[at + 1].starts_with("vpc/"), "{}", r.command_line());
            }
        }
    }
}

/// An encrypted VPC: `if_wg` is loaded, the interface made by cloner and
/// renamed, its configuration set by wg(8) with the key on the pipe only;
/// the rule set admits VXLAN out of that interface alone.
#[test]
fn wireguard_is_made_and_configured() {
    let d = plan::desired(&five_encrypted(false), &me(), Platform::FreeBsd).unwrap();
    let p = plan::plan(&d, &Observed::default(), Scope::All).unwrap();
    let create = p
        .changes
        .iter()
        .find(|c| matches!(c, Change::CreateWireguard { .. }))
        .unwrap();
    let runs = freebsd::programs(create).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].command_line(), "kldload -n if_wg");
    assert!(!runs[0].required);
    let r = codec::requests(create).unwrap();
    let codes: Vec<u64> = r.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        [
            abi::SIOCIFCREATE2,
            abi::SIOCSIFNAME,
            abi::SIOCSIFMTU,
            abi::SIOCSIFDESCR
        ]
    );
    assert_eq!(&r[0].outer[..3], b"wg\0");
    assert_eq!(r[1].target, Target::Created);
    let name = d.wireguard.as_ref().unwrap().device.name.clone();
    assert_eq!(
        &r[1].inner.as_ref().unwrap().bytes[..name.len() + 1],
        format!("{name}\0").as_bytes()
    );

    let set = p
        .changes
        .iter()
        .find(|c| matches!(c, Change::SetWireguard { .. }))
        .unwrap();
    assert!(codec::requests(set).unwrap().is_empty());
    // Without this host's key there is nothing to run.
    assert_eq!(
        freebsd::programs(set).unwrap_err().kind(),
        ErrorKind::Backend
    );
    let keyed = keyed(set);
    let Change::SetWireguard { vpc, device } = &keyed else {
        unreachable!()
    };
    let secret = device.private_key.as_ref().unwrap().to_file_text();
    let secret = secret.trim_end();
    let runs = freebsd::programs(&keyed).unwrap();
    assert_eq!(
        runs[0].command_line(),
        format!("wg setconf {name} /dev/stdin")
    );
    assert!(matches!(runs[0].input, Input::Secret(_)));
    assert!(!format!("{runs:?}").contains(secret));
    // The dry run shows the same configuration, the key read from its file.
    let shown = dryrun::render(Platform::FreeBsd, &keyed).join("\n");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("PrivateKey = $(cat "), "{shown}");
    assert_eq!(
        dryrun::render(Platform::FreeBsd, &keyed)[1..],
        [
            dryrun::wg_config(device, "KEY")[..1].to_vec(),
            vec![dryrun::wg_setconf(vpc, device)[2].clone()],
            dryrun::wg_config(device, "KEY")[2..].to_vec(),
            vec!["EOF".to_owned()]
        ]
        .concat()
    );

    let fw = &d.firewall;
    assert_eq!(fw.via.as_deref(), Some(name.as_str()));
    let text = pf::ruleset(fw).unwrap();
    assert_eq!(text.len(), 3, "{text:?}");
    assert!(
        text[1].starts_with(&format!("block drop in quick on ! {name} proto udp ")),
        "{text:?}"
    );
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
