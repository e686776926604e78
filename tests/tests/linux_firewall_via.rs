//! An encrypted VPC's rule set on a real Linux kernel (network namespaces,
//! root): with [`Firewall::via`], VXLAN for the VPC's VNIs is accepted only
//! when it arrives on that interface, even from an allowed address.
//!
//! The rule set is made by the Linux backend itself
//! (`LinuxKernel::apply` of `Change::SetFirewall`, then `observe`), run
//! inside host 0's namespace: this test binary runs itself there
//! ([`backend_in_a_namespace`]), since a process's sockets belong to the
//! namespace it runs in. Host 0 has a vxlan interface per family for VNI 1
//! (their receive counters say what got through the rule set) and a guest
//! whose host end is the `via` interface; host 1 sends over the underlay.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::Write;

use vpc_core::backend::Backend;
use vpc_core::backend::linux::LinuxKernel;
use vpc_core::plan::{Change, Firewall, FirewallTable};
use vpc_e2e::{Host, Lab};

/// The rule set's table.
const TABLE: &str = "vpc_fwvia";
/// The VXLAN port.
const PORT: u16 = 4789;
/// Packets sent per family and round.
const COUNT: u64 = 20;
/// The environment variable that makes [`backend_in_a_namespace`] act:
/// the rule set to apply (JSON), or `observe` to only observe.
const CHILD: &str = "VPC_E2E_FIREWALL_VIA_CHILD";
/// What the child prints before the observed rule sets (JSON).
const MARK: &str = "observed firewalls: ";

/// Sends `count` VXLAN packets for VNI `vni` to `to`:4789, each carrying
/// an Ethernet frame from 02:00:00:00:00:99.
const SEND: &str = r#"
import socket, sys
to, vni, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ":" in to else socket.AF_INET, socket.SOCK_DGRAM)
vxlan = bytes([0x08, 0, 0, 0]) + vni.to_bytes(3, "big") + bytes([0])
frame = bytes.fromhex("020000000001") + bytes.fromhex("020000000099") + bytes.fromhex("88b5") + bytes(46)
for _ in range(count):
    s.sendto(vxlan + frame, (to, 4789))
"#;

/// Run by the other test inside a namespace (with [`CHILD`] set): applies
/// the rule set given, if any, through the Linux backend, then prints
/// what `observe` reads of vpc's rule sets. Without [`CHILD`], nothing.
#[test]
#[ignore = "run by netns_vxlan_for_an_encrypted_vpc_comes_only_out_of_its_interface inside a namespace"]
fn backend_in_a_namespace() {
    let Ok(what) = std::env::var(CHILD) else {
        return;
    };
    let mut kernel = LinuxKernel::open().unwrap();
    if what != "observe" {
        let rules: Firewall = serde_json::from_str(&what).unwrap();
        kernel.apply(&[Change::SetFirewall { rules }]).unwrap();
    }
    let observed = kernel.observe().unwrap();
    let json = serde_json::to_string(&observed.firewalls).unwrap();
    // On a line of its own: libtest has begun one with the test's name.
    writeln!(std::io::stdout(), "\n{MARK}{json}").unwrap();
}

/// Runs [`backend_in_a_namespace`] in `h`'s namespace (applying `fw`
/// first, if given); the rule sets it observed.
fn backend(h: &Host, fw: Option<&Firewall>) -> Vec<FirewallTable> {
    let exe = std::env::current_exe().unwrap();
    let what = fw.map_or_else(
        || "observe".to_owned(),
        |f| serde_json::to_string(f).unwrap(),
    );
    let out = h.sh(&[
        "env",
        &format!("{CHILD}={what}"),
        exe.to_str().unwrap(),
        "--ignored",
        "--exact",
        "backend_in_a_namespace",
        "--nocapture",
        "--test-threads=1",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the backend in {}: {}\n{stdout}{}",
        h.netns(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix(MARK))
        .unwrap_or_else(|| panic!("the backend printed no rule sets:\n{stdout}"));
    serde_json::from_str(json).unwrap()
}

/// What `observe` read of [`TABLE`]: `Some(None)` for a table that is not
/// exactly a rule set vpc writes.
fn observed(tables: &[FirewallTable]) -> Option<Option<Firewall>> {
    tables
        .iter()
        .find(|t| t.table == TABLE)
        .map(|t| t.rules.clone())
}

/// Received packets of interface `name` in `h`.
fn rx_packets(h: &Host, name: &str) -> u64 {
    let out = h.sh_ok(&["ip", "-s", "-j", "link", "show", name]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0]["stats64"]["rx"]["packets"].as_u64().unwrap()
}

/// The packets each rule of [`TABLE`] counted, in order, and whether it
/// is the `iifname` rule.
fn rule_counters(h: &Host) -> Vec<(bool, u64)> {
    let out = h.sh_ok(&["nft", "-j", "list", "table", "inet", TABLE]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["rule"]["expr"].as_array())
        .map(|exprs| {
            let via = exprs
                .iter()
                .any(|e| e["match"]["left"]["meta"]["key"] == "iifname");
            let packets = exprs
                .iter()
                .filter_map(|e| e["counter"]["packets"].as_u64())
                .sum();
            (via, packets)
        })
        .collect()
}

/// Packets dropped by the `iifname` rule, and by the others.
fn drops(h: &Host) -> (u64, u64) {
    rule_counters(h).into_iter().fold(
        (0, 0),
        |(v, o), (via, n)| if via { (v + n, o) } else { (v, o + n) },
    )
}

/// How many of [`COUNT`] VXLAN packets per family, sent by `send` (a
/// command run with the destination address appended) to `to4` and
/// `to6`, the vxlan interfaces of host 0 received.
fn received(h0: &Host, send: &dyn Fn(&[&str]) -> String, to4: &str, to6: &str) -> (u64, u64) {
    let before = (rx_packets(h0, "vx4"), rx_packets(h0, "vx6"));
    let count = COUNT.to_string();
    for to in [to4, to6] {
        send(&["python3", "-c", SEND, to, "1", &count]);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    (
        rx_packets(h0, "vx4") - before.0,
        rx_packets(h0, "vx6") - before.1,
    )
}

/// The `handle` of the `iifname` rule of [`TABLE`] (`nft -a`).
fn via_rule_handle(h: &Host) -> String {
    let chain = h.sh_ok(&["nft", "-a", "list", "chain", "inet", TABLE, "input"]);
    let line = chain
        .lines()
        .find(|l| l.contains("iifname"))
        .unwrap_or_else(|| panic!("no iifname rule:\n{chain}"));
    line.rsplit_once("# handle ")
        .map(|(_, h)| h.trim().to_owned())
        .unwrap_or_else(|| panic!("no handle: {line}"))
}

#[test]
fn netns_vxlan_for_an_encrypted_vpc_comes_only_out_of_its_interface() {
    let Some(lab) = Lab::new("fwvia", 2) else {
        return;
    };
    let (h0, h1) = (lab.host(0), lab.host(1));
    // The via interface: a guest's veth, host end in host 0.
    let g = lab.guest(0, "wg");
    g.addr("198.18.1.2/24").addr6("2001:db8:1::2/64");
    let via = g.host_if().to_owned();
    h0.sh_ok(&["ip", "addr", "add", "198.18.1.1/24", "dev", &via]);
    h0.sh_ok(&[
        "ip",
        "addr",
        "add",
        "2001:db8:1::1/64",
        "dev",
        &via,
        "nodad",
    ]);
    h0.sh_ok(&["ip", "link", "set", &via, "up"]);
    assert!(h0.wait_up(&via) && g.wait_up(), "{via} is not up");
    // VNI 1's receivers on host 0, one per family.
    for (name, local) in [("vx4", "198.18.0.1"), ("vx6", "2001:db8::1")] {
        h0.sh_ok(&[
            "ip",
            "link",
            "add",
            name,
            "type",
            "vxlan",
            "id",
            "1",
            "dstport",
            "4789",
            "local",
            local,
            "nolearning",
        ]);
        h0.sh_ok(&["ip", "link", "set", name, "up"]);
    }

    // Host 1 (over the underlay) and the guest (over `via`) are both
    // allowed by address.
    let plain = Firewall::new(
        TABLE.to_owned(),
        PORT,
        [1, 3],
        vec![h1.ip4(), "198.18.1.2".parse().unwrap()],
        vec![h1.ip6(), "2001:db8:1::2".parse().unwrap()],
    );
    let mut encrypted = plain.clone();
    encrypted.via = Some(via.clone());
    let from_h1 = |cmd: &[&str]| h1.sh_ok(cmd);
    let from_guest = |cmd: &[&str]| g.sh_ok(cmd);
    let (h0_4, h0_6) = (h0.ip4().to_string(), h0.ip6().to_string());

    // Without `via`, host 1's packets get through: they are real VXLAN,
    // from allowed addresses.
    let seen = backend(h0, Some(&plain));
    assert_eq!(observed(&seen), Some(Some(plain.clone())), "{seen:?}");
    assert_eq!(
        received(h0, &from_h1, &h0_4, &h0_6),
        (COUNT, COUNT),
        "without via, host 1's VXLAN (IPv4, IPv6) reaches the vxlan interfaces"
    );
    assert_eq!(drops(h0), (0, 0));

    // With it, the same packets are dropped by the `iifname` rule…
    let seen = backend(h0, Some(&encrypted));
    assert_eq!(observed(&seen), Some(Some(encrypted.clone())), "{seen:?}");
    let listed = h0.sh_ok(&["nft", "list", "table", "inet", TABLE]);
    assert!(
        listed.contains(&format!(
            "udp dport 4789 @th,96,24 0x1-0x3 iifname != \"{via}\" counter"
        )),
        "{listed}"
    );
    assert_eq!(
        received(h0, &from_h1, &h0_4, &h0_6),
        (0, 0),
        "with via, host 1's VXLAN arriving on eth0 is dropped"
    );
    assert_eq!(drops(h0), (2 * COUNT, 0), "{:?}", rule_counters(h0));
    // …while what arrives on `via` gets through.
    assert_eq!(
        received(h0, &from_guest, "198.18.1.1", "2001:db8:1::1"),
        (COUNT, COUNT),
        "VXLAN arriving on {via} reaches the vxlan interfaces"
    );
    assert_eq!(drops(h0), (2 * COUNT, 0));

    // The `iifname` rule deleted by hand: observe reads another rule set
    // (a plain VPC's), which `plan` replaces.
    let handle = via_rule_handle(h0);
    h0.sh_ok(&[
        "nft", "delete", "rule", "inet", TABLE, "input", "handle", &handle,
    ]);
    let seen = observe_only(h0);
    let now = observed(&seen);
    assert_ne!(now, Some(Some(encrypted.clone())), "{seen:?}");
    assert_eq!(now, Some(Some(plain.clone())), "{seen:?}");
    // Any other edit: not vpc's rule set at all.
    h0.sh_ok(&[
        "nft", "insert", "rule", "inet", TABLE, "input", "iifname", "!=", "lo", "counter",
    ]);
    assert_eq!(observed(&observe_only(h0)), Some(None));

    // Applied again, it is whole again.
    let seen = backend(h0, Some(&encrypted));
    assert_eq!(observed(&seen), Some(Some(encrypted.clone())), "{seen:?}");
    assert_eq!(
        received(h0, &from_h1, &h0_4, &h0_6),
        (0, 0),
        "repaired, host 1's VXLAN arriving on eth0 is dropped again"
    );
    assert_eq!(drops(h0), (2 * COUNT, 0));
}

/// [`backend`] without applying anything.
fn observe_only(h: &Host) -> Vec<FirewallTable> {
    backend(h, None)
}
