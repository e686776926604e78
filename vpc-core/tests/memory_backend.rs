//! The memory kernel enforces the real kernels' rules, and the planner
//! recovers from a failure at any step.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use vpc_core::ErrorKind;
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::backend::{Backend, Probe};
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::plan::{self, Change, Observed, Scope};

fn node(name: &str, last: u8) -> Node {
    Node::new(
        NodeName::new(name).unwrap(),
        Some([198, 18, 0, last].into()),
        None,
    )
    .unwrap()
}

/// A five-member VPC over IPv4.
fn five() -> Spec {
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    let others = (2..=5).map(|i| node(&format!("n{i}"), i)).collect();
    Spec::define(
        VpcName::new("vpc1").unwrap(),
        node("n1", 1),
        others,
        &o,
        &[],
    )
    .unwrap()
}

fn converge(k: &mut MemoryKernel, spec: &Spec, me: &str) -> usize {
    let d = plan::desired(spec, &NodeName::new(me).unwrap(), k.platform()).unwrap();
    let p = plan::plan(&d, &k.observe().unwrap(), Scope::All).unwrap();
    k.apply(&p.changes).unwrap();
    p.changes.len()
}

#[test]
fn second_apply_changes_nothing() {
    let spec = five();
    for platform in [Platform::Linux, Platform::FreeBsd] {
        let mut k = MemoryKernel::new(platform);
        let made = converge(&mut k, &spec, "n3");
        assert!(made > 10);
        let before = k.snapshot();
        let ops = k.operations();
        assert_eq!(converge(&mut k, &spec, "n3"), 0);
        assert_eq!(k.operations(), ops);
        assert_eq!(k.snapshot(), before, "indexes and settings unchanged");
        let tunnels = before
            .ifaces
            .iter()
            .filter(|i| i.name.starts_with("vxlan"))
            .count();
        assert_eq!(tunnels, 4);
        assert!(
            before
                .ifaces
                .iter()
                .filter(|i| i.name.starts_with("vxlan"))
                .all(|i| {
                    i.master.as_deref() == Some("vpc1") && i.private && i.up && i.mtu == 1450
                })
        );
    }
}

#[test]
fn kernel_rules_are_enforced() {
    let mut k = MemoryKernel::new(Platform::FreeBsd);
    let vx = |name: &str, vni: u32| Change::CreateVxlan {
        name: name.to_owned(),
        vni,
        local: [198, 18, 0, 1].into(),
        remote: [198, 18, 0, 2].into(),
        port: 4789,
        mtu: 1450,
        description: String::new(),
    };
    let br = |name: &str| Change::CreateBridge {
        name: name.to_owned(),
        mtu: 1450,
        description: String::new(),
    };
    let fails = |k: &mut MemoryKernel, c: Change, needle: &str| {
        let e = k.apply(&[c]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(e.message().contains(needle), "{e}");
        assert!(e.message().starts_with("change 1 of 1"), "{e}");
    };
    k.apply(&[vx("vxlan1", 1), br("b1"), br("b2")]).unwrap();
    fails(&mut k, vx("vxlan1", 7), "already exists");
    fails(&mut k, vx("vxlan2", 1), "VNI 1 on local address");
    fails(&mut k, vx("vxlan_far_too_long", 9), "1 to 15 bytes");
    fails(&mut k, vx("vxlan0", 0), "VNI 0");
    fails(
        &mut k,
        Change::Up {
            name: "nope".into(),
        },
        "nope does not exist",
    );
    k.apply(&[Change::AddPort {
        bridge: "b1".into(),
        port: "vxlan1".into(),
        private: true,
    }])
    .unwrap();
    fails(
        &mut k,
        Change::AddPort {
            bridge: "b2".into(),
            port: "vxlan1".into(),
            private: true,
        },
        "already a member of bridge b1",
    );
    fails(
        &mut k,
        Change::AddPort {
            bridge: "b1".into(),
            port: "b2".into(),
            private: false,
        },
        "bridge b2 cannot be a port",
    );
    fails(
        &mut k,
        Change::SetMtu {
            name: "vxlan1".into(),
            mtu: 10,
        },
        "MTU 10",
    );
    let a = vpc_core::model::addr::IfAddr::parse("10.0.0.1/30", "a").unwrap();
    k.apply(&[Change::AddAddr {
        name: "vxlan1".into(),
        addr: a,
    }])
    .unwrap();
    fails(
        &mut k,
        Change::AddAddr {
            name: "vxlan1".into(),
            addr: a,
        },
        "already on vxlan1",
    );
    // Destroying a bridge releases its ports.
    k.apply(&[Change::Destroy { name: "b1".into() }]).unwrap();
    assert_eq!(k.snapshot().get("vxlan1").unwrap().master, None);
}

/// Fail the Nth operation of a bring-up for every N: the error names the
/// change, and a clean apply afterwards converges to the same state as an
/// undisturbed one, with nothing the plan did not want.
#[test]
fn any_failed_step_is_recovered_by_the_next_apply() {
    let spec = five();
    let me = NodeName::new("n1").unwrap();
    let d = plan::desired(&spec, &me, Platform::Linux).unwrap();
    let mut clean = MemoryKernel::new(Platform::Linux);
    let total = converge(&mut clean, &spec, "n1");
    let want = names_and_settings(&clean.snapshot());
    for n in 1..=total as u64 {
        let mut k = MemoryKernel::new(Platform::Linux);
        k.fail_at(Some(n));
        let p = plan::plan(&d, &Observed::default(), Scope::All).unwrap();
        let e = k.apply(&p.changes).unwrap_err();
        assert!(
            e.message().contains(&format!("change {n} of {total}")),
            "{e}"
        );
        assert!(e.message().contains("injected failure"), "{e}");
        k.fail_at(None);
        converge(&mut k, &spec, "n1");
        assert_eq!(
            names_and_settings(&k.snapshot()),
            want,
            "after a failure at {n}"
        );
        // And teardown from there leaves nothing of the VPC.
        let t = plan::teardown(&d, &k.snapshot(), Scope::All);
        k.apply(&t.changes).unwrap();
        assert!(
            k.snapshot().ifaces.is_empty(),
            "after a failure at {n}: {:?}",
            k.snapshot()
        );
    }
}

/// The state without kernel indexes (which differ between two histories).
fn names_and_settings(o: &Observed) -> Vec<String> {
    o.ifaces
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i.index = 0;
            i.addrs.sort();
            i.neighbours.sort();
            format!("{i:?}")
        })
        .collect()
}

/// The interfaces the VPC owns on a kernel (bridge and tunnels), by name.
fn owned(spec: &Spec, o: &Observed) -> Vec<String> {
    o.ifaces
        .iter()
        .filter(|i| spec.owns(&i.name))
        .map(|i| i.name.clone())
        .collect()
}

/// Teardown failing at every step: a second teardown leaves nothing of the
/// VPC, and never touches an interface it does not own.
#[test]
fn any_failed_teardown_step_is_recovered() {
    let spec = five();
    let me = NodeName::new("n1").unwrap();
    for platform in [Platform::Linux, Platform::FreeBsd] {
        let d = plan::desired(&spec, &me, platform).unwrap();
        let mut base = MemoryKernel::new(platform);
        // A foreign bridge and tunnel, which must survive everything.
        base.apply(&[
            Change::CreateBridge {
                name: "br9".into(),
                mtu: 1500,
                description: String::new(),
            },
            Change::CreateVxlan {
                name: "vx9".into(),
                vni: 9999,
                local: [198, 18, 0, 1].into(),
                remote: [198, 18, 0, 9].into(),
                port: 4790,
                mtu: 1500,
                description: String::new(),
            },
        ])
        .unwrap();
        converge(&mut base, &spec, "n1");
        let t = plan::teardown(&d, &base.snapshot(), Scope::All);
        assert_eq!(t.destroyed(), 5, "the bridge and four tunnels");
        for n in 1..=t.changes.len() as u64 {
            let mut k = base.clone();
            k.fail_at(Some(k.operations() + n));
            assert!(k.apply(&t.changes).is_err());
            k.fail_at(None);
            let again = plan::teardown(&d, &k.snapshot(), Scope::All);
            k.apply(&again.changes).unwrap();
            let left = k.snapshot();
            assert!(
                owned(&spec, &left).is_empty(),
                "failure at {n}: {:?}",
                owned(&spec, &left)
            );
            let names: Vec<&str> = left.ifaces.iter().map(|i| i.name.as_str()).collect();
            assert_eq!(names, ["br9", "vx9"], "failure at {n}");
        }
    }
}

/// A membership change (a member leaves, another joins) failing at every
/// step: the next apply reaches exactly the new spec's interfaces.
#[test]
fn any_failed_membership_change_step_is_recovered() {
    let old = five();
    let mut new = old.clone();
    new.remove_member(&NodeName::new("n5").unwrap()).unwrap();
    new.add_member(node("n6", 6)).unwrap();
    new.remove_member(&NodeName::new("n3").unwrap()).unwrap();
    let me = NodeName::new("n1").unwrap();
    for platform in [Platform::Linux, Platform::FreeBsd] {
        let mut base = MemoryKernel::new(platform);
        converge(&mut base, &old, "n1");
        let mut clean = MemoryKernel::new(platform);
        converge(&mut clean, &new, "n1");
        let want = names_and_settings(&clean.snapshot());
        let d = plan::desired(&new, &me, platform).unwrap();
        let change = plan::plan(&d, &base.snapshot(), Scope::All).unwrap();
        assert!(!change.changes.is_empty());
        for n in 1..=change.changes.len() as u64 {
            let mut k = base.clone();
            k.fail_at(Some(k.operations() + n));
            assert!(k.apply(&change.changes).is_err(), "failure at {n}");
            k.fail_at(None);
            converge(&mut k, &new, "n1");
            assert_eq!(
                names_and_settings(&k.snapshot()),
                want,
                "{platform:?}: failure at {n}"
            );
            assert_eq!(
                converge(&mut k, &new, "n1"),
                0,
                "converged after failure at {n}"
            );
        }
    }
}

#[test]
fn memory_kernel_probes_answer_only_set_far_ends_over_a_running_link() {
    use std::net::IpAddr;
    use std::time::Duration;
    let spec = five();
    let mut k = MemoryKernel::new(Platform::Linux);
    converge(&mut k, &spec, "n1");
    let d = plan::desired(&spec, &NodeName::new("n1").unwrap(), Platform::Linux).unwrap();
    let far: Vec<IpAddr> = d.tunnels.iter().map(|t| t.peer_addr.addr).collect();
    let mine: IpAddr = d.tunnels[0].link_addr.addr;
    let stranger: IpAddr = [10, 200, 0, 2].into();
    let over = |iface: &str, to: IpAddr| Probe {
        iface: iface.to_owned(),
        from: mine,
        to,
    };
    let tunnels: Vec<Probe> = d
        .tunnels
        .iter()
        .map(|t| Probe {
            iface: t.name.clone(),
            from: t.link_addr.addr,
            to: t.peer_addr.addr,
        })
        .collect();
    let ms = Duration::from_millis;
    let wait = ms(100);
    // Nothing answers until the test says so.
    assert_eq!(k.probe(&tunnels, wait).unwrap(), vec![None; 4]);
    for (n, a) in far.iter().enumerate() {
        k.answer_from(*a, ms(n as u64 + 1));
    }
    k.answer_from(stranger, ms(1));
    k.answer_from(mine, ms(1));
    let mut targets = tunnels.clone();
    targets.extend([
        over(&d.tunnels[0].name, stranger),
        over(&d.tunnels[0].name, mine),
    ]);
    assert_eq!(
        k.probe(&targets, wait).unwrap(),
        [
            Some(ms(1)),
            Some(ms(2)),
            Some(ms(3)),
            Some(ms(4)),
            None,
            None
        ],
        "no link to the stranger; this node's own link address is no far end"
    );
    // A tunnel without carrier, then without the tunnel, carries nothing.
    k.set_running(&d.tunnels[1].name, false).unwrap();
    k.apply(&[Change::Destroy {
        name: d.tunnels[2].name.clone(),
    }])
    .unwrap();
    k.silence(far[3]);
    assert_eq!(
        k.probe(&tunnels, wait).unwrap(),
        [Some(ms(1)), None, None, None]
    );
    // An answer slower than the wait is none.
    assert_eq!(k.probe(&tunnels[..1], ms(0)).unwrap(), [None]);
    assert_eq!(k.probe(&[], wait).unwrap(), []);
}

/// The rule set is planned, observed and repaired like an interface: on
/// Linux it comes first, an edit by hand is a difference that `apply`
/// replaces whole, teardown removes it last.
#[test]
fn the_members_only_rule_set_is_planned_repaired_and_torn_down() {
    let spec = five();
    let me = NodeName::new("n1").unwrap();
    let d = plan::desired(&spec, &me, Platform::Linux).unwrap();
    assert_eq!(d.firewall.table, "vpc_vpc1");
    assert_eq!(d.firewall.allow4.len(), 5, "every member, this one too");
    // A node with its underlay: status finds nothing else wrong.
    let underlay: plan::Observed = serde_json::from_value(serde_json::json!({
        "ifaces": [{
            "name": "eth0", "index": 2, "kind": { "other": "ether" }, "mtu": 1500,
            "up": true, "running": true, "addrs": ["198.18.0.1/24"],
        }]
    }))
    .unwrap();
    let mut k = MemoryKernel::with(Platform::Linux, underlay);
    let p = plan::plan(&d, &k.observe().unwrap(), Scope::All).unwrap();
    assert_eq!(
        p.changes[0],
        Change::SetFirewall {
            rules: d.firewall.clone()
        },
        "before any tunnel"
    );
    k.apply(&p.changes).unwrap();
    let converged = k.observe().unwrap();
    assert!(plan::health(&d, &converged).unwrap().differences.is_empty());

    k.alter_firewall("vpc_vpc1").unwrap();
    let h = plan::health(&d, &k.observe().unwrap()).unwrap();
    assert_eq!(
        h.differences,
        ["firewall vpc_vpc1 was changed: it is not the rule set vpc writes"]
    );
    let p = plan::plan(&d, &k.observe().unwrap(), Scope::All).unwrap();
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    k.apply(&p.changes).unwrap();
    assert_eq!(k.observe().unwrap(), converged);

    // Only the bridge's scope leaves the rule set alone.
    let bridge = plan::teardown(&d, &converged, Scope::Bridge);
    assert!(
        !bridge
            .changes
            .iter()
            .any(|c| matches!(c, Change::RemoveFirewall { .. }))
    );
    let t = plan::teardown(&d, &converged, Scope::All);
    assert_eq!(
        t.changes.last(),
        Some(&Change::RemoveFirewall {
            table: "vpc_vpc1".into()
        })
    );
    k.apply(&t.changes).unwrap();
    assert!(k.observe().unwrap().firewalls.is_empty());
}

/// A VPC defined like [`five`], over members `nodes` (the first one the
/// initiator), with `options` besides.
fn vpc_of(name: &str, nodes: &[(&str, u8)], options: &[(&str, &str)]) -> Spec {
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    for (k, v) in options {
        o.set(k, v).unwrap();
    }
    let others = nodes[1..].iter().map(|(n, i)| node(n, *i)).collect();
    Spec::define(
        VpcName::new(name).unwrap(),
        node(nodes[0].0, nodes[0].1),
        others,
        &o,
        &[],
    )
    .unwrap()
}

/// On FreeBSD the rule set is a pf anchor, planned, repaired and torn
/// down like Linux's table; what pf itself lacks is said in warnings,
/// and without pf nothing is planned that would fail.
#[test]
fn freebsd_rule_set_follows_pf() {
    let spec = five();
    let me = NodeName::new("n1").unwrap();
    let d = plan::desired(&spec, &me, Platform::FreeBsd).unwrap();
    let pf = |loaded, enabled, evaluates_anchors| plan::PacketFilter {
        loaded,
        enabled,
        evaluates_anchors,
    };
    let set = Change::SetFirewall {
        rules: d.firewall.clone(),
    };
    // Unknown (a dry run's empty node): planned first, no warning.
    let p = plan::plan(&d, &Observed::default(), Scope::All).unwrap();
    assert_eq!(p.changes[0], set, "before any tunnel");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let warned = |pf: Option<plan::PacketFilter>| {
        let observed = Observed {
            packet_filter: pf,
            ..Observed::default()
        };
        let p = plan::plan(&d, &observed, Scope::All).unwrap();
        (p.changes.first() == Some(&set), p.warnings)
    };
    let (planned, w) = warned(Some(pf(false, false, false)));
    assert!(!planned, "no rule set without pf");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("pf is not loaded: VPC vpc1's members-only rules cannot be set"));
    assert!(w[0].contains("anchor \"vpc/*\""), "{}", w[0]);
    let (planned, w) = warned(Some(pf(true, false, false)));
    assert!(planned);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("pf is not enabled: VPC vpc1's members-only rules (pf anchor vpc/vpc1)"),
        "{}",
        w[0]
    );
    assert!(
        w[0].contains("add `anchor \"vpc/*\"` to /etc/pf.conf"),
        "{}",
        w[0]
    );
    let (planned, w) = warned(Some(pf(true, true, false)));
    assert!(planned);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("pf's main ruleset does not evaluate `anchor \"vpc/*\"`"),
        "{}",
        w[0]
    );
    let (planned, w) = warned(Some(pf(true, true, true)));
    assert!(planned);
    assert!(w.is_empty(), "{w:?}");

    // On a kernel with pf as it should be: converged, an edit repaired,
    // teardown removes the anchor last.
    let mut k = MemoryKernel::new(Platform::FreeBsd);
    k.set_packet_filter(Some(pf(true, true, true)));
    let p = plan::plan(&d, &k.observe().unwrap(), Scope::All).unwrap();
    k.apply(&p.changes).unwrap();
    let converged = k.observe().unwrap();
    assert!(
        plan::plan(&d, &converged, Scope::All)
            .unwrap()
            .changes
            .is_empty()
    );
    k.alter_firewall("vpc_vpc1").unwrap();
    let p = plan::plan(&d, &k.observe().unwrap(), Scope::All).unwrap();
    assert_eq!(p.changes, std::slice::from_ref(&set));
    k.apply(&p.changes).unwrap();
    assert_eq!(k.observe().unwrap(), converged);
    let t = plan::teardown(&d, &converged, Scope::All);
    assert_eq!(
        t.changes.last(),
        Some(&Change::RemoveFirewall {
            table: "vpc_vpc1".into()
        })
    );
    k.apply(&t.changes).unwrap();
    assert!(k.observe().unwrap().firewalls.is_empty());

    // The memory kernel refuses a rule set without pf, as pfctl would.
    let mut k = MemoryKernel::new(Platform::FreeBsd);
    k.set_packet_filter(Some(pf(false, false, false)));
    assert!(k.apply(&[set]).is_err());
}

/// pf cannot tell VPCs apart by VNI: on FreeBSD a second VXLAN user of
/// the port is refused unless it has the same members and neither is
/// encrypted; on Linux the rules judge their own VNIs and anything goes.
#[test]
fn freebsd_refuses_a_shared_port_with_other_peers() {
    let abc = [("n1", 1), ("n2", 2), ("n3", 3)];
    let a = vpc_of("vpca", &abc, &[]);
    let vni_b = ("vni_base", "4096");
    // The same members on the same port: both guard it with one table.
    let same = vpc_of("vpcb", &abc, &[vni_b]);
    // Another member (n4) on the same port: A's anchor would drop n4.
    let more = vpc_of("vpcb", &[("n1", 1), ("n2", 2), ("n4", 4)], &[vni_b]);
    // Encrypted on the same port: its rules drop all VXLAN outside its
    // WireGuard interface.
    let mut enc = vpc_of("vpcb", &abc, &[vni_b, ("encrypt", "wireguard")]);
    for m in enc.members.iter_mut().flatten() {
        m.wg_key = Some(vpc_core::model::wgkey::PrivateKey::generate().public());
    }
    // Another port: no business of A's.
    let apart = vpc_of("vpcb", &[("n1", 1), ("n4", 4)], &[vni_b, ("port", "4790")]);

    for platform in [Platform::FreeBsd, Platform::Linux] {
        let mut k = MemoryKernel::new(platform);
        k.set_packet_filter(
            (platform == Platform::FreeBsd).then_some(plan::PacketFilter {
                loaded: true,
                enabled: true,
                evaluates_anchors: true,
            }),
        );
        converge(&mut k, &a, "n1");
        let with_a = k.snapshot();
        let try_b = |spec: &Spec| {
            let d = plan::desired(spec, &NodeName::new("n1").unwrap(), platform).unwrap();
            plan::plan(&d, &with_a, Scope::All)
        };
        assert!(try_b(&same).is_ok(), "{platform:?}");
        assert!(try_b(&apart).is_ok(), "{platform:?}");
        for (label, b) in [("another member", &more), ("encrypted", &enc)] {
            let got = try_b(b);
            if platform == Platform::Linux {
                assert!(got.is_ok(), "{label}: {got:?}");
                continue;
            }
            let e = got.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Conflict, "{label}: {e}");
            assert!(
                e.message()
                    .starts_with("VPC vpcb cannot have members-only rules on UDP port 4789 here"),
                "{label}: {e}"
            );
            assert!(e.message().contains("port="), "{label}: {e}");
        }
        // B applied first (no anchor of A yet): A sees B's tunnel to n4.
        let mut k = MemoryKernel::new(platform);
        converge(&mut k, &more, "n1");
        let d = plan::desired(&a, &NodeName::new("n1").unwrap(), platform).unwrap();
        let got = plan::plan(&d, &k.snapshot(), Scope::All);
        if platform == Platform::Linux {
            assert!(got.is_ok(), "{got:?}");
        } else {
            let e = got.unwrap_err();
            assert!(
                e.message()
                    .contains("(VNI 4098, remote 198.18.0.4), which is not this VPC's"),
                "{e}"
            );
        }
    }
}
