//! The mesh on real Linux kernels: hosts and guests in network namespaces,
//! tunnels made by `vpc mode=apply` over rtnetlink, proven by traffic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeSet;
use std::time::Duration;

use vpc_e2e::Lab;
use vpc_e2e::cluster::{Underlay, deploy, guest, indexes, peer_map, vxlans};

/// Three hosts, one VPC, one guest each: the planned tunnels, MTU and link
/// addresses are on every host, every link address answers from the far
/// end, and every guest reaches every other over IPv4 and IPv6.
fn three_hosts(family: Underlay, mtu: u64) {
    let Some(lab) = Lab::new("mesh", 3) else {
        return;
    };
    let hosts = [0, 1, 2];
    deploy(&lab, &hosts, family, "vpc1", "10.100.0.0/24", "");
    let map = peer_map(lab.host(0), "vpc1");
    assert_eq!(map["mtu"], mtu);
    let links = map["links"].as_array().unwrap();
    assert_eq!(links.len(), 3);
    for &i in &hosts {
        let h = lab.host(i);
        // The planned tunnels of this host, from the map.
        let mut want = BTreeSet::new();
        for l in links {
            for (me, far) in [(0, 1), (1, 0)] {
                if l["ends"][me]["node"] == h.name() {
                    want.insert(l["vni"].as_u64().unwrap());
                    let far_addr = l["ends"][far]["link_addr"].as_str().unwrap();
                    // Whether it answers is status's probe, below: the
                    // kernel's ping cannot resolve the far end of an
                    // enslaved vxlan without a pinned MAC.
                    let far_ip = far_addr.split('/').next().unwrap();
                    assert!(!far_ip.is_empty());
                    let mine = l["ends"][me]["link_addr"].as_str().unwrap();
                    let iface = format!("vxlan{}", l["vni"]);
                    let addrs = h.sh_ok(&["ip", "-o", "addr", "show", "dev", &iface]);
                    assert!(
                        addrs.contains(mine),
                        "{}: {iface} lacks {mine}: {addrs}",
                        h.name()
                    );
                }
            }
        }
        let have = vxlans(h);
        assert_eq!(have.len(), 2, "{}: N-1 tunnels: {have:?}", h.name());
        let vnis: BTreeSet<u64> = have
            .iter()
            .map(|(name, vni, mtu_, _)| {
                assert_eq!(name, &format!("vxlan{vni}"));
                assert_eq!(*mtu_, mtu, "{}: {name} MTU", h.name());
                *vni
            })
            .collect();
        assert_eq!(vnis, want, "{}: tunnels", h.name());
        let bridge = h.link("vpc1").expect("bridge vpc1");
        assert_eq!(bridge["mtu"], mtu);
        assert_eq!(bridge["ifalias"], "vpc-vpc1");
        for (name, ..) in &have {
            let l = h.link(name).unwrap();
            assert_eq!(l["master"], "vpc1", "{}: {name}", h.name());
            assert_eq!(
                l["linkinfo"]["info_slave_data"]["isolated"],
                true,
                "{}: {name}",
                h.name()
            );
        }
    }
    let guests: Vec<_> = hosts
        .iter()
        .map(|&i| guest(&lab, i, "vpc1", i + 1, mtu as u32))
        .collect();
    for g in &guests {
        for n in 1..=3 {
            if n == g.host() + 1 {
                continue;
            }
            assert!(
                g.ping(&format!("10.10.11.{n}"), 2, &[]),
                "guest {} -> 10.10.11.{n}",
                g.host()
            );
            assert!(
                g.ping(&format!("2001:db8:11::{n}"), 2, &[]),
                "guest {} -> 2001:db8:11::{n}",
                g.host()
            );
        }
    }
    for &i in &hosts {
        let r = lab.host(i).run("mode=status vpc_name=vpc1 --json");
        assert_eq!(r.code, 0, "{}: {}", lab.host(i).name(), r.stdout);
        let doc = r.json();
        assert_eq!(doc["healthy"], true);
        assert!(
            doc["tunnels"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["rtt_ms"].is_number())
        );
    }
}

#[test]
fn netns_three_hosts_over_ipv4() {
    three_hosts(Underlay::V4, 1450);
}

#[test]
fn netns_three_hosts_over_ipv6() {
    three_hosts(Underlay::V6, 1430);
}

/// A don't-fragment ping of exactly the VPC MTU crosses; one byte more is
/// refused by the sending guest itself.
#[test]
fn netns_mtu_is_exact() {
    let Some(lab) = Lab::new("mtu", 2) else {
        return;
    };
    deploy(&lab, &[0, 1], Underlay::V4, "vpc1", "10.100.0.0/24", "");
    let a = guest(&lab, 0, "vpc1", 1, 1450);
    let _b = guest(&lab, 1, "vpc1", 2, 1450);
    // IPv4 header 20 + ICMP header 8 + payload = packet size.
    assert!(
        a.ping("10.10.11.2", 2, &["-M", "do", "-s", "1422"]),
        "1450-byte packet"
    );
    let too_big = a.sh(&[
        "ping",
        "-n",
        "-c",
        "1",
        "-W",
        "1",
        "-M",
        "do",
        "-s",
        "1423",
        "10.10.11.2",
    ]);
    assert!(!too_big.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&too_big.stdout),
        String::from_utf8_lossy(&too_big.stderr)
    );
    assert!(said.contains("too long") && said.contains("1450"), "{said}");
    // IPv6: header 40 + ICMPv6 8.
    assert!(
        a.ping("2001:db8:11::2", 2, &["-M", "do", "-s", "1402"]),
        "1450-byte IPv6 packet"
    );
    assert!(!a.ping("2001:db8:11::2", 1, &["-M", "do", "-s", "1403"]));
}

fn icmp_in_echos(g: &vpc_e2e::Guest<'_>) -> u64 {
    let snmp = g.sh_ok(&["cat", "/proc/net/snmp"]);
    let mut lines = snmp.lines().filter(|l| l.starts_with("Icmp:"));
    let (names, values) = (lines.next().unwrap(), lines.next().unwrap());
    let at = names
        .split_whitespace()
        .position(|n| n == "InEchos")
        .unwrap();
    values.split_whitespace().nth(at).unwrap().parse().unwrap()
}

fn vxlan_packets(h: &vpc_e2e::Host) -> u64 {
    let out = h.sh_ok(&["ip", "-s", "-j", "link", "show", "type", "vxlan"]);
    let links: serde_json::Value = serde_json::from_str(&out).unwrap();
    links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["stats64"]["rx"]["packets"].as_u64().unwrap()
                + l["stats64"]["tx"]["packets"].as_u64().unwrap()
        })
        .sum()
}

/// Four hosts bridge all their tunnels, yet a broadcast from one guest
/// reaches each other guest exactly once, and the tunnels stay quiet
/// afterwards: split horizon, no storm.
#[test]
fn netns_broadcast_reaches_each_guest_once() {
    let Some(lab) = Lab::new("loop", 4) else {
        return;
    };
    deploy(
        &lab,
        &[0, 1, 2, 3],
        Underlay::V4,
        "vpc1",
        "10.100.0.0/24",
        "",
    );
    let guests: Vec<_> = (0..4)
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1450))
        .collect();
    for g in &guests {
        g.sh_ok(&[
            "sysctl",
            "-q",
            "-w",
            "net.ipv4.icmp_echo_ignore_broadcasts=0",
        ]);
    }
    // Let neighbour discovery and the bridges settle.
    assert!(guests[0].ping("10.10.11.4", 1, &[]));
    let before: Vec<u64> = guests.iter().map(icmp_in_echos).collect();
    let out = guests[0].sh(&["ping", "-n", "-b", "-c", "1", "-W", "2", "10.10.11.255"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    let after: Vec<u64> = guests.iter().map(icmp_in_echos).collect();
    for i in 1..4 {
        assert_eq!(
            after[i] - before[i],
            1,
            "guest {i} saw the broadcast {} times\n{text}",
            after[i] - before[i]
        );
    }
    let quiet_from: Vec<u64> = lab.hosts().iter().map(vxlan_packets).collect();
    std::thread::sleep(Duration::from_secs(3));
    for (h, start) in lab.hosts().iter().zip(quiet_from) {
        let grown = vxlan_packets(h) - start;
        // Background chatter (neighbour discovery, MLD) is a few packets a
        // second; a forwarding loop multiplies one broadcast without end,
        // tens of thousands a second.
        assert!(
            grown < 1000,
            "{}: {grown} packets on the tunnels in 3 s of silence",
            h.name()
        );
    }
}

/// A second apply plans nothing and changes nothing.
#[test]
fn netns_second_apply_changes_nothing() {
    let Some(lab) = Lab::new("idem", 3) else {
        return;
    };
    deploy(&lab, &[0, 1, 2], Underlay::V6, "vpc1", "10.100.0.0/24", "");
    let _g = guest(&lab, 0, "vpc1", 1, 1430);
    for h in lab.hosts() {
        let before = indexes(h);
        let r = h.ok("mode=apply vpc_name=vpc1 --json").json();
        assert_eq!(r["changes"], serde_json::json!([]), "{}", h.name());
        let text = h.ok("mode=apply vpc_name=vpc1").stdout;
        assert_eq!(
            text,
            format!("VPC vpc1 on {}: nothing to change\n", h.name())
        );
        assert_eq!(
            indexes(h),
            before,
            "{}: interfaces were recreated",
            h.name()
        );
        let dry = h.ok("mode=apply vpc_name=vpc1 dryrun=1").stdout;
        assert!(dry.contains("nothing to change"), "{dry}");
    }
    // The guest port stays attached through re-applies.
    let port = lab.host(0).link(_g.host_if()).unwrap();
    assert_eq!(port["master"], "vpc1");
    assert_eq!(port["mtu"], 1430);
}

/// An underlay whose MTU cannot carry the VPC MTU is refused before
/// anything changes.
#[test]
fn netns_apply_checks_the_underlay_first() {
    let Some(lab) = Lab::with_mtu("under", 2, 1400) else {
        return;
    };
    vpc_e2e::cluster::identify(&lab, &[0, 1], Underlay::V4);
    vpc_e2e::cluster::introduce(&lab, 0, &[1], Underlay::V4);
    let h = lab.host(0);
    h.ok("mode=init vpc_name=vpc1 node_member=h1 peer_network=10.100.0.0/24");
    let before = indexes(h);
    let r = h.run("mode=apply vpc_name=vpc1");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("eth0") && r.stderr.contains("MTU 1400") && r.stderr.contains("1500"),
        "{}",
        r.stderr
    );
    assert_eq!(indexes(h), before, "nothing may change");
    // A VPC MTU that fits is accepted.
    h.ok("mode=remove vpc_name=vpc1");
    h.ok("mode=init vpc_name=vpc1 node_member=h1 peer_network=10.100.0.0/24 underlay_mtu=1400");
    h.ok("mode=apply vpc_name=vpc1");
    assert_eq!(vxlans(h)[0].2, 1350);
    // An identity whose address is on no interface is refused too.
    h.ok("mode=teardown vpc_name=vpc1");
    h.sh_ok(&["ip", "addr", "del", "198.18.0.1/24", "dev", "eth0"]);
    let r = h.run("mode=apply vpc_name=vpc1");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("underlay address 198.18.0.1 of this node is on no interface"),
        "{}",
        r.stderr
    );
    assert!(vxlans(h).is_empty());
}

/// Attach admits a guest only within the VPC's quota, sets the port's MTU
/// first, and detach takes it out again.
#[test]
fn netns_attach_obeys_the_quota_and_detach_releases() {
    let Some(lab) = Lab::new("quota", 2) else {
        return;
    };
    deploy(
        &lab,
        &[0, 1],
        Underlay::V4,
        "vpc1",
        "10.100.0.0/24",
        "max_guests=2 max_mem=4g",
    );
    let h = lab.host(0);
    let a = lab.guest(0, "a");
    let b = lab.guest(0, "b");
    let c = lab.guest(0, "c");
    let r = h
        .ok(&format!(
            "mode=attach vpc_name=vpc1 iface={} mem=3g --json",
            a.host_if()
        ))
        .json();
    assert_eq!(r["outcome"], "created");
    let port = h.link(a.host_if()).unwrap();
    assert_eq!(
        (port["master"].as_str(), port["mtu"].as_u64()),
        (Some("vpc1"), Some(1450))
    );
    assert_eq!(
        port["linkinfo"]["info_slave_data"]["isolated"], false,
        "guest ports are normal ports"
    );
    // Memory: 3g in use, 2g more would pass 4g.
    let r = h.run(&format!(
        "mode=attach vpc_name=vpc1 iface={} mem=2g",
        b.host_if()
    ));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("max_mem 4 GiB would be exceeded: 3 GiB in use, 2 GiB requested"),
        "{}",
        r.stderr
    );
    assert!(
        h.link(b.host_if()).unwrap()["master"].is_null(),
        "a refused guest is not attached"
    );
    h.ok(&format!(
        "mode=attach vpc_name=vpc1 iface={} mem=1g",
        b.host_if()
    ));
    let r = h.run(&format!("mode=attach vpc_name=vpc1 iface={}", c.host_if()));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("max_guests 2 would be exceeded: 2 in use, 1 requested"),
        "{}",
        r.stderr
    );
    // Attaching again is a no-op; detaching frees a place.
    let again = h
        .ok(&format!(
            "mode=attach vpc_name=vpc1 iface={} mem=3g",
            a.host_if()
        ))
        .stdout;
    assert!(again.contains("unchanged"), "{again}");
    h.ok(&format!("mode=detach vpc_name=vpc1 iface={}", a.host_if()));
    assert!(h.link(a.host_if()).unwrap()["master"].is_null());
    h.ok(&format!("mode=attach vpc_name=vpc1 iface={}", c.host_if()));
    // Not a guest port: a tunnel of the VPC.
    let r = h.run("mode=attach vpc_name=vpc1 iface=vxlan1");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not a guest port"), "{}", r.stderr);
}

/// An IPv6 peer network: /126 link blocks, and the far end answers over
/// the tunnel to status's probes (they solicit the far end's MAC
/// themselves: no neighbour entry is pinned, and a bridge port cannot
/// resolve one through the kernel).
#[test]
fn netns_ipv6_link_addresses_answer() {
    let Some(lab) = Lab::new("v6links", 2) else {
        return;
    };
    deploy(&lab, &[0, 1], Underlay::V4, "vpc1", "2001:db8:100::/64", "");
    let map = peer_map(lab.host(0), "vpc1");
    assert_eq!(
        map["links"][0]["ends"][0]["link_addr"],
        "2001:db8:100::1/126"
    );
    assert_eq!(
        map["links"][0]["ends"][1]["link_addr"],
        "2001:db8:100::2/126"
    );
    for i in [0, 1] {
        let r = lab.host(i).run("mode=status vpc_name=vpc1");
        assert_eq!(r.code, 0, "{}", r.stdout);
    }
}
