//! The members-only underlay on real Linux kernels (network namespaces,
//! root): a host that is not a member sends forged VXLAN packets to a
//! member and nothing reaches the guest, while the members' guests still
//! reach each other; a rule set deleted by hand is a difference in
//! `status` and `apply` puts it back; teardown removes it; the admin's own
//! table is byte for byte the same throughout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use vpc_e2e::cluster::{Underlay, deploy, guest};
use vpc_e2e::{Guest, Host, Lab};

const ADMIN: &str = "table inet admin {\n\tchain input {\n\t\ttype filter hook input priority 0; \
                     tcp dport 22 accept\n\t}\n}\n";

/// Sends `count` VXLAN packets per VNI in `1..=vnis` from this namespace to
/// `to`:4789, each carrying an Ethernet frame for `mac`.
const FORGE: &str = r#"
import socket, sys
to, mac, vnis, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for vni in range(1, vnis + 1):
    vxlan = bytes([0x08, 0, 0, 0]) + vni.to_bytes(3, "big") + bytes([0])
    frame = mac + bytes.fromhex("020000000099") + bytes.fromhex("88b5") + bytes(46)
    for _ in range(count):
        s.sendto(vxlan + frame, (to, 4789))
"#;

/// `nft list ruleset` on `h` without vpc's table `vpc_vpc1`.
fn ruleset_but_ours(h: &Host) -> String {
    let all = h.sh_ok(&["nft", "list", "ruleset"]);
    let mut out = String::new();
    let mut ours = false;
    for line in all.lines() {
        if line.starts_with("table inet vpc_vpc1 ") {
            ours = true;
        }
        if !ours {
            out.push_str(line);
            out.push('\n');
        }
        if ours && line == "}" {
            ours = false;
        }
    }
    out.trim().to_owned()
}

fn rx_packets(g: &Guest) -> u64 {
    let out = g.sh_ok(&["ip", "-s", "-j", "link", "show", "eth0"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0]["stats64"]["rx"]["packets"].as_u64().unwrap()
}

/// What the guest received of 4 × 25 forged frames sent by `from` to
/// `to`'s underlay.
fn forged_received(from: &Host, to: &Host, g: &Guest) -> u64 {
    let before = rx_packets(g);
    let to = to.ip4().to_string();
    let mac = g.mac();
    let r = from.sh(&["python3", "-c", FORGE, &to, &mac, "4", "25"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    std::thread::sleep(std::time::Duration::from_millis(300));
    rx_packets(g) - before
}

fn ping_both_ways(g1: &Guest, g2: &Guest) {
    assert!(g1.ping("10.10.11.2", 3, &[]), "guest 1 -> guest 2 (IPv4)");
    assert!(g2.ping("10.10.11.1", 3, &[]), "guest 2 -> guest 1 (IPv4)");
    assert!(
        g1.ping("2001:db8:11::2", 3, &[]),
        "guest 1 -> guest 2 (IPv6)"
    );
    assert!(
        g2.ping("2001:db8:11::1", 3, &[]),
        "guest 2 -> guest 1 (IPv6)"
    );
}

#[test]
fn netns_a_stranger_cannot_send_into_the_vpc_and_the_admins_table_stays() {
    let Some(lab) = Lab::new("fw", 3) else {
        return;
    };
    let (h0, stranger) = (lab.host(0), lab.host(2));
    let admin_file = h0.state_dir().join("admin.nft");
    std::fs::write(&admin_file, ADMIN).unwrap();
    h0.sh_ok(&["nft", "-f", admin_file.to_str().unwrap()]);
    let admin = ruleset_but_ours(h0);
    assert!(admin.contains("tcp dport 22 accept"), "{admin}");

    deploy(&lab, &[0, 1], Underlay::V4, "vpc1", "10.100.0.0/24", "");
    let g1 = guest(&lab, 0, "vpc1", 1, 1450);
    let g2 = guest(&lab, 1, "vpc1", 2, 1450);
    ping_both_ways(&g1, &g2);
    let table = h0.sh_ok(&["nft", "list", "table", "inet", "vpc_vpc1"]);
    assert!(
        table.contains("udp dport 4789 @th,96,24 ") && table.contains(" ip saddr != @allow4 "),
        "{table}"
    );
    assert!(table.contains(&h0.ip4().to_string()), "{table}");
    assert!(table.contains(&lab.host(1).ip4().to_string()), "{table}");
    assert!(!table.contains(&stranger.ip4().to_string()), "{table}");
    assert_eq!(ruleset_but_ours(h0), admin, "the admin's table after apply");

    // Nothing forged reaches the guest (some unrelated frame may).
    let got = forged_received(stranger, h0, &g1);
    assert!(got < 10, "the guest received {got} of 100 forged frames");
    let counted = h0.sh_ok(&["nft", "-j", "list", "table", "inet", "vpc_vpc1"]);
    let v: serde_json::Value = serde_json::from_str(&counted).unwrap();
    let dropped: u64 = v["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["rule"]["expr"].as_array())
        .flatten()
        .filter_map(|e| e["counter"]["packets"].as_u64())
        .sum();
    // Only the VPC's own VNIs (here VNI 1) are its rule set's business:
    // frames for the others find no tunnel anyway.
    assert!(dropped >= 25, "the rule counted {dropped} drops\n{counted}");

    // Without the rule set the same frames get through: the forgery is real.
    h0.sh_ok(&["nft", "delete", "table", "inet", "vpc_vpc1"]);
    let status = h0.run("mode=status vpc_name=vpc1 --json");
    assert_ne!(status.code, 0, "{}", status.stdout);
    assert!(
        status
            .stdout
            .contains("firewall vpc_vpc1 is missing: anyone may send to udp port 4789"),
        "{}",
        status.stdout
    );
    // Host 0's one tunnel takes one VNI of the four: its 25 frames arrive.
    let got = forged_received(stranger, h0, &g1);
    assert!(got >= 25, "unguarded, the guest received {got} of 25");

    // apply repairs it; status is healthy again; strangers are out again.
    h0.ok("mode=apply vpc_name=vpc1");
    let status = h0.run("mode=status vpc_name=vpc1 --json");
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);
    let got = forged_received(stranger, h0, &g1);
    assert!(got < 10, "repaired, the guest received {got} of 100");
    ping_both_ways(&g1, &g2);
    assert_eq!(
        ruleset_but_ours(h0),
        admin,
        "the admin's table after repair"
    );

    // Teardown removes vpc's table and only it.
    for i in [0, 1] {
        lab.host(i).ok("mode=teardown vpc_name=vpc1");
        let r = lab
            .host(i)
            .sh(&["nft", "list", "table", "inet", "vpc_vpc1"]);
        assert!(!r.status.success(), "host {i} still has vpc's table");
    }
    assert_eq!(
        h0.sh_ok(&["nft", "list", "ruleset"]).trim(),
        admin,
        "the admin's table after teardown"
    );
}

/// Two VPCs on one port with different members, host 0 in both: each
/// rule set judges only its own VNIs, so red's does not drop blue's member
/// host 2, and blue's does not drop red's member host 1.
#[test]
fn netns_vpcs_sharing_a_port_with_other_members_both_work() {
    let Some(lab) = Lab::new("fwtwo", 3) else {
        return;
    };
    deploy(&lab, &[0, 1], Underlay::V4, "red", "10.100.0.0/24", "");
    deploy(&lab, &[0, 2], Underlay::V4, "blue", "10.101.0.0/24", "");
    let h0 = lab.host(0);
    for table in ["vpc_red", "vpc_blue"] {
        h0.sh_ok(&["nft", "list", "table", "inet", table]);
    }
    let r1 = guest(&lab, 0, "red", 1, 1450);
    let r2 = guest(&lab, 1, "red", 2, 1450);
    let b1 = guest(&lab, 0, "blue", 1, 1450);
    let b2 = guest(&lab, 2, "blue", 2, 1450);
    ping_both_ways(&r1, &r2);
    ping_both_ways(&b1, &b2);
    for (i, vpc) in [(0, "red"), (1, "red"), (0, "blue"), (2, "blue")] {
        let st = lab
            .host(i)
            .run(&format!("mode=status vpc_name={vpc} --json"));
        assert_eq!(st.code, 0, "h{i} {vpc}: {}{}", st.stdout, st.stderr);
    }
    for (i, vpc) in [(0, "red"), (1, "red"), (0, "blue"), (2, "blue")] {
        lab.host(i).ok(&format!("mode=teardown vpc_name={vpc}"));
    }
    assert_eq!(h0.sh_ok(&["nft", "list", "ruleset"]).trim(), "");
}

/// Over an IPv6 underlay too: a stranger forging VXLAN for every VNI of
/// the VPC, to each member in turn, gets nothing to any guest, while the
/// members' guests talk over IPv4 and IPv6.
#[test]
fn netns_a_stranger_cannot_send_over_an_ipv6_underlay() {
    let Some(lab) = Lab::new("fw6", 3) else {
        return;
    };
    let stranger = lab.host(2);
    deploy(&lab, &[0, 1], Underlay::V6, "vpc1", "10.100.0.0/24", "");
    let g1 = guest(&lab, 0, "vpc1", 1, 1430);
    let g2 = guest(&lab, 1, "vpc1", 2, 1430);
    ping_both_ways(&g1, &g2);
    const FORGE6: &str = r#"
import socket, sys
to, mac, vnis, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for vni in range(1, vnis + 1):
    vxlan = bytes([0x08, 0, 0, 0]) + vni.to_bytes(3, "big") + bytes([0])
    frame = mac + bytes.fromhex("020000000099") + bytes.fromhex("88b5") + bytes(46)
    for _ in range(count):
        s.sendto(vxlan + frame, (to, 4789))
"#;
    for (to, g) in [(lab.host(0), &g1), (lab.host(1), &g2)] {
        let before = rx_packets(g);
        let r = stranger.sh(&[
            "python3",
            "-c",
            FORGE6,
            &to.ip6().to_string(),
            &g.mac(),
            "4",
            "25",
        ]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let got = rx_packets(g) - before;
        assert!(
            got < 10,
            "{}'s guest received {got} of 100 forged frames",
            to.name()
        );
    }
    ping_both_ways(&g1, &g2);
    // The forgery is real: without the rule set it gets in.
    let h0 = lab.host(0);
    h0.sh_ok(&["nft", "delete", "table", "inet", "vpc_vpc1"]);
    let before = rx_packets(&g1);
    let r = stranger.sh(&[
        "python3",
        "-c",
        FORGE6,
        &h0.ip6().to_string(),
        &g1.mac(),
        "4",
        "25",
    ]);
    assert!(r.status.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let got = rx_packets(&g1) - before;
    assert!(got >= 25, "unguarded, the guest received {got} of 25");
    for i in [0, 1] {
        lab.host(i).ok("mode=teardown vpc_name=vpc1");
    }
}
