//! Encrypted VPCs (`encrypt=wireguard`) on real Linux kernels: network
//! namespaces, the userspace WireGuard (`wireguard-go`, since this kernel
//! has no WireGuard module), real packets. Guests talk through VXLAN inside
//! WireGuard; a capture of the underlay shows no guest payload; frames
//! forged with a member's own underlay address are dropped; DF pings at
//! exactly the VPC MTU pass and one byte more does not; teardown leaves no
//! interface, rule set, socket or process; an encrypted VPC and a plain one
//! share hosts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::time::Duration;

use serde_json::Value;
use vpc_e2e::cluster::{Underlay, guest, identify, introduce, sync};
use vpc_e2e::{Guest, Host, Lab};

/// Sends `count` VXLAN packets for VNI `vni` from this namespace to
/// `to`:4789 over IPv6 (so from this host's own underlay address; the
/// tunnels of an encrypted VPC run between IPv6 inner addresses, so their
/// VXLAN socket takes IPv6), each carrying an Ethernet frame for `mac`.
const FORGE: &str = r#"
import socket, sys
to, mac, vni, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
vxlan = bytes([0x08, 0, 0, 0]) + vni.to_bytes(3, "big") + bytes([0])
frame = mac + bytes.fromhex("020000000099") + bytes.fromhex("88b5") + bytes(46)
for _ in range(count):
    s.sendto(vxlan + frame, (to, 4789))
"#;

/// Whether the file at argv[1] holds the bytes of hex argv[2].
const CONTAINS: &str = r#"
import sys
data = open(sys.argv[1], "rb").read()
print("found" if bytes.fromhex(sys.argv[2]) in data else "absent", len(data))
"#;

/// What guests put in their pings: easy to find in a capture.
const PATTERN: &str = "c0ffee00deadbeefc0ffee00deadbeef";

/// The identities, records and spec of an encrypted `vpc` over `hosts`,
/// the members' keys set on the initiator by hand (`wg_key` on each
/// member, `set_member wg_key=` on the initiator: what `deploy` does over
/// SSH), the spec handed out and applied everywhere.
fn encrypted(lab: &Lab, hosts: &[usize], vpc: &str, peer_network: &str, extra: &str) -> Value {
    identify(lab, hosts, Underlay::V4);
    introduce(lab, hosts[0], &hosts[1..], Underlay::V4);
    let members: Vec<&str> = hosts[1..].iter().map(|&i| lab.host(i).name()).collect();
    let h0 = lab.host(hosts[0]);
    h0.ok(&format!(
        "mode=init vpc_name={vpc} node_member={} peer_network={peer_network} encrypt=wireguard {extra}",
        members.join(",")
    ));
    set_keys(lab, hosts, vpc);
    sync(lab, hosts[0], &hosts[1..], vpc);
    for &i in hosts {
        lab.host(i).ok(&format!("mode=apply vpc_name={vpc}"));
    }
    h0.ok(&format!("mode=init_peers vpc_name={vpc} --json"))
        .json()
}

/// Each member's public key, asked of it and set on the initiator.
fn set_keys(lab: &Lab, hosts: &[usize], vpc: &str) {
    let h0 = lab.host(hosts[0]);
    for &i in &hosts[1..] {
        let h = lab.host(i);
        let key = h.ok(&format!("mode=wg_key vpc_name={vpc} next=1")).stdout;
        let key = key.trim();
        assert_eq!(key.len(), 44, "{}: {key}", h.name());
        h0.ok(&format!(
            "mode=set_member vpc_name={vpc} node={} wg_key={key}",
            h.name()
        ));
    }
}

fn rx_packets(g: &Guest) -> u64 {
    let out = g.sh_ok(&["ip", "-s", "-j", "link", "show", "eth0"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    v[0]["stats64"]["rx"]["packets"].as_u64().unwrap()
}

/// What guest `g` received of `count` frames forged by `from` (from its
/// own underlay address) to `to`'s VXLAN port for VNI `vni`.
fn forged_received(from: &Host, to: &Host, g: &Guest, vni: u64, count: u32) -> u64 {
    let before = rx_packets(g);
    let r = from.sh(&[
        "python3",
        "-c",
        FORGE,
        &to.ip6().to_string(),
        &g.mac(),
        &vni.to_string(),
        &count.to_string(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    std::thread::sleep(Duration::from_millis(300));
    rx_packets(g) - before
}

/// The WireGuard interfaces of a host, by name.
fn wireguard_links(h: &Host) -> Vec<String> {
    h.links()
        .iter()
        .filter_map(|l| l["ifname"].as_str())
        .filter(|n| n.starts_with("vpcwg"))
        .map(str::to_owned)
        .collect()
}

/// The wireguard-go processes in a host's namespace.
fn wireguard_go(h: &Host) -> usize {
    let pids = std::process::Command::new("ip")
        .args(["netns", "pids", h.netns()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&pids.stdout)
        .split_whitespace()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .is_ok_and(|c| c.trim().starts_with("wireguard-go"))
        })
        .count()
}

/// Pings every other guest from each, over IPv4 and IPv6.
fn all_talk(guests: &[Guest]) {
    for g in guests {
        for o in guests.iter().filter(|o| o.name() != g.name()) {
            let n = o.host() + 1;
            assert!(
                g.ping(&format!("10.10.11.{n}"), 3, &[]),
                "guest {} -> 10.10.11.{n}",
                g.host()
            );
            assert!(
                g.ping(&format!("2001:db8:11::{n}"), 3, &[]),
                "guest {} -> 2001:db8:11::{n}",
                g.host()
            );
        }
    }
}

#[test]
fn netns_encrypted_vpc_carries_guests_and_nothing_else() {
    let Some(lab) = Lab::new("wg", 3) else {
        return;
    };
    let map = encrypted(&lab, &[0, 1, 2], "vpc1", "10.100.0.0/24", "");
    // IPv4 underlay, IPv6 inner network: 1500 - 60 - 70.
    assert_eq!(map["mtu"], 1370, "{map}");
    let enc = &map["encryption"];
    assert_eq!(
        enc["mtu_budget"],
        "underlay_mtu 1500 - 60 WireGuard over IPv4 - 70 VXLAN over IPv6 = 1370"
    );
    let wg = enc["interface"].as_str().unwrap().to_owned();
    let text = lab.host(0).ok("mode=init_peers vpc_name=vpc1").stdout;
    assert!(
        text.contains("mtu: underlay_mtu 1500 - 60 WireGuard over IPv4"),
        "{text}"
    );

    let guests: Vec<Guest> = (0..3)
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1370))
        .collect();
    all_talk(&guests);

    // Every member's WireGuard holds its two peers, and vpc sees exactly
    // what it set: status is healthy, and says why the MTU is what it is.
    for i in 0..3 {
        let h = lab.host(i);
        assert_eq!(wireguard_links(h), vec![wg.clone()], "{}", h.name());
        let peers = h.host_sh(&["wg", "show", &wg, "peers"]);
        let peers = String::from_utf8_lossy(&peers.stdout).into_owned();
        assert_eq!(peers.lines().count(), 2, "{}: {peers}", h.name());
        let st = h.run("mode=status vpc_name=vpc1 --json");
        assert_eq!(st.code, 0, "{}: {}{}", h.name(), st.stdout, st.stderr);
        assert_eq!(st.json()["encryption"]["interface"], wg.as_str());
        let st = h.run("mode=status vpc_name=vpc1");
        assert!(
            st.stdout.contains("encrypt: wireguard on "),
            "{}",
            st.stdout
        );
        let again = h.ok("mode=apply vpc_name=vpc1 --json").json();
        assert_eq!(again["changes"].as_array().unwrap().len(), 0, "{again}");
    }

    // DF pings: exactly the VPC MTU passes, one byte more does not.
    let (g0, g1) = (&guests[0], &guests[1]);
    assert!(
        g0.ping("10.10.11.2", 2, &["-M", "do", "-s", "1342"]),
        "1370-byte DF ping"
    );
    assert!(
        !g0.ping("10.10.11.2", 2, &["-M", "do", "-s", "1343"]),
        "1371-byte DF ping passed"
    );

    // A capture of host 0's underlay while guests talk: WireGuard's UDP,
    // and not one byte of what the guests said.
    let h0 = lab.host(0);
    let pcap = h0.state_dir().join("underlay.pcap");
    let pcap_s = pcap.to_str().unwrap().to_owned();
    let mut dump = h0
        .command("tcpdump")
        .args([
            "-i",
            "eth0",
            "--immediate-mode",
            "-U",
            "-n",
            "-s",
            "0",
            "-w",
            &pcap_s,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(g0.ping("10.10.11.2", 5, &["-p", PATTERN, "-s", "200"]));
    assert!(g1.ping("10.10.11.1", 5, &["-p", PATTERN, "-s", "200"]));
    std::thread::sleep(Duration::from_millis(300));
    // `timeout` passes SIGTERM on to tcpdump, which then writes out what it
    // holds; a SIGKILL would end `timeout` alone.
    let _ = std::process::Command::new("kill")
        .arg(dump.id().to_string())
        .status();
    let _ = dump.wait();
    let found = h0.sh_ok(&["python3", "-c", CONTAINS, &pcap_s, PATTERN]);
    let size: usize = found.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(
        size > 20 * 200,
        "the capture holds the encrypted traffic ({size} bytes)"
    );
    assert!(
        found.starts_with("absent"),
        "guest payload in the clear on the underlay"
    );
    let port = h0.sh_ok(&["tcpdump", "-r", &pcap_s, "-n", "udp port 51820"]);
    assert!(port.lines().count() >= 20, "WireGuard's packets: {port}");

    // Host 1, a member, forges VXLAN from its own underlay address for a
    // VNI of host 0's: the rule set drops it, as it arrives outside
    // WireGuard. Without the rule set, the same frames get in.
    let vni = map["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ends"][0]["node"] == "h0" && l["ends"][1]["node"] == "h1")
        .map(|l| l["vni"].as_u64().unwrap())
        .unwrap();
    let h1 = lab.host(1);
    let got = forged_received(h1, h0, g0, vni, 50);
    assert!(
        got < 10,
        "the guest received {got} of 50 frames forged by a member"
    );
    let table = h0.sh_ok(&["nft", "list", "table", "inet", "vpc_vpc1"]);
    assert!(table.contains(&format!("iifname != \"{wg}\"")), "{table}");
    h0.sh_ok(&["nft", "delete", "table", "inet", "vpc_vpc1"]);
    let got = forged_received(h1, h0, g0, vni, 50);
    assert!(
        got >= 40,
        "unguarded, the guest received {got} of 50: the forgery is real"
    );
    h0.ok("mode=apply vpc_name=vpc1");
    let got = forged_received(h1, h0, g0, vni, 50);
    assert!(got < 10, "repaired, the guest received {got} of 50");

    // Teardown: no WireGuard interface, process, socket or rule set left.
    for i in 0..3 {
        let h = lab.host(i);
        h.ok("mode=teardown vpc_name=vpc1");
        assert!(wireguard_links(h).is_empty(), "{}", h.name());
        assert!(
            !h.sh(&["nft", "list", "table", "inet", "vpc_vpc1"])
                .status
                .success()
        );
        let mut gone = false;
        for _ in 0..50 {
            if wireguard_go(h) == 0 {
                gone = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(gone, "{}: wireguard-go still runs", h.name());
        let sock = h.state_dir().join("wireguard").join(format!("{wg}.sock"));
        assert!(!sock.exists(), "{}: {} left", h.name(), sock.display());
    }
    // And apply brings it all back from the store.
    lab.host(0).ok("mode=apply vpc_name=vpc1");
    lab.host(1).ok("mode=apply vpc_name=vpc1");
    for (h, g) in [(0, 1), (1, 2)] {
        lab.host(h).ok(&format!(
            "mode=attach vpc_name=vpc1 iface={}",
            guests[g - 1].host_if()
        ));
    }
    assert!(
        guests[0].ping("10.10.11.2", 5, &[]),
        "after teardown and apply"
    );
}

/// Keys rotated on the initiator, set again, pushed and applied: the
/// interfaces hold the new keys, and the guests talk on.
#[test]
fn netns_rotated_keys_take_over() {
    let Some(lab) = Lab::new("wgrot", 2) else {
        return;
    };
    encrypted(&lab, &[0, 1], "vpc1", "10.100.0.0/24", "");
    let guests: Vec<Guest> = (0..2)
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1370))
        .collect();
    all_talk(&guests);
    let wg = lab
        .host(0)
        .ok("mode=init_peers vpc_name=vpc1 --json")
        .json()["encryption"]["interface"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = lab.host(0).host_sh(&["wg", "show", &wg, "public-key"]);
    let before1 = lab.host(1).host_sh(&["wg", "show", &wg, "public-key"]);
    let r = lab
        .host(0)
        .ok("mode=rotate_keys vpc_name=vpc1 --json")
        .json();
    assert_eq!(r["pending"], 1);
    // A member cannot rotate: only the initiator changes the spec.
    let refused = lab.host(1).run("mode=rotate_keys vpc_name=vpc1");
    assert_ne!(refused.code, 0);
    set_keys(&lab, &[0, 1], "vpc1");
    sync(&lab, 0, &[1], "vpc1");
    for i in 0..2 {
        lab.host(i).ok("mode=apply vpc_name=vpc1");
    }
    let after = lab.host(0).host_sh(&["wg", "show", &wg, "public-key"]);
    assert_ne!(before.stdout, after.stdout, "host 0's key changed");
    let after1 = lab.host(1).host_sh(&["wg", "show", &wg, "public-key"]);
    assert_ne!(before1.stdout, after1.stdout, "host 1's key changed");
    assert_eq!(
        String::from_utf8_lossy(&after.stdout).trim(),
        r["public_key"].as_str().unwrap()
    );
    all_talk(&guests);
    for i in 0..2 {
        let st = lab.host(i).run("mode=status vpc_name=vpc1");
        assert_eq!(st.code, 0, "{}", st.stdout);
    }
    for i in 0..2 {
        lab.host(i).ok("mode=leave vpc_name=vpc1");
        assert!(wireguard_links(lab.host(i)).is_empty());
        let keys = lab.host(i).state_dir().join("keys");
        let left: Vec<_> = std::fs::read_dir(&keys)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "leave forgets the keys: {left:?}");
    }
}

/// An encrypted VPC and a plain one on the same two hosts, on the same
/// VXLAN port: both carry their guests, each rule set lets only its own in.
#[test]
fn netns_encrypted_and_plain_vpcs_share_hosts() {
    let Some(lab) = Lab::new("wgmix", 2) else {
        return;
    };
    encrypted(&lab, &[0, 1], "red", "10.100.0.0/24", "");
    vpc_e2e::cluster::deploy(&lab, &[0, 1], Underlay::V4, "blue", "10.101.0.0/24", "");
    let red: Vec<Guest> = (0..2).map(|i| guest(&lab, i, "red", i + 1, 1370)).collect();
    let blue: Vec<Guest> = (0..2)
        .map(|i| {
            let g = lab.guest(i, &format!("b{}", i + 1));
            g.addr(&format!("10.20.0.{}/24", i + 1)).set_mtu(1450);
            lab.host(i)
                .ok(&format!("mode=attach vpc_name=blue iface={}", g.host_if()));
            assert!(g.wait_up());
            g
        })
        .collect();
    all_talk(&red);
    assert!(
        blue[0].ping("10.20.0.2", 3, &[]),
        "plain VPC beside an encrypted one"
    );
    assert!(blue[1].ping("10.20.0.1", 3, &[]));
    // The two segments stay apart.
    assert!(!red[0].ping("10.20.0.2", 1, &[]));
    for i in 0..2 {
        for vpc in ["red", "blue"] {
            let st = lab.host(i).run(&format!("mode=status vpc_name={vpc}"));
            assert_eq!(st.code, 0, "h{i} {vpc}: {}", st.stdout);
        }
    }
    for i in 0..2 {
        lab.host(i).ok("mode=teardown vpc_name=red");
        lab.host(i).ok("mode=teardown vpc_name=blue");
        assert_eq!(lab.host(i).sh_ok(&["nft", "list", "ruleset"]).trim(), "");
    }
}
