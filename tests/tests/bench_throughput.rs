//! Guest-to-guest TCP throughput over a plain VPC and an encrypted one
//! between two hosts in network namespaces, with the underlay between the
//! hosts as the baseline: a benchmark, not a test (`#[ignore]`): figures
//! for BENCHMARKS.md. Here the encrypted figure is the userspace
//! WireGuard's (`wireguard-go`: this kernel has no WireGuard module).
//!
//!     cargo build --release -p vpc-cli
//!     VPC_BIN=$PWD/target/release/vpc cargo test --release -p vpc-e2e --test bench_throughput -- --ignored --nocapture

#![allow(
    clippy::disallowed_macros,
    reason = "tests and benchmarks report to the terminal themselves"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark fails by panicking"
)]

use std::process::{Command, Stdio};
use std::time::Duration;

use vpc_e2e::Lab;
use vpc_e2e::cluster::{Underlay, deploy, identify, introduce, sync};

/// Mbit/s received by an iperf3 client run in `client_ns` against a
/// server it starts in `server_ns` on `addr`, over `seconds`.
fn iperf(server_ns: &str, client_ns: &str, addr: &str, seconds: u32) -> f64 {
    let mut server = Command::new("ip")
        .args(["netns", "exec", server_ns, "iperf3", "-s", "-1", "-B", addr])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let out = Command::new("ip")
        .args(["netns", "exec", client_ns, "iperf3", "-J", "-c", addr, "-t"])
        .arg(seconds.to_string())
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "iperf3 said no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["end"]["sum_received"]["bits_per_second"]
        .as_f64()
        .unwrap_or_else(|| panic!("no throughput in {v}"))
        / 1e6
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn throughput_plain_and_encrypted() {
    let Some(lab) = Lab::new("benchtp", 2) else {
        return;
    };
    deploy(&lab, &[0, 1], Underlay::V4, "plain", "10.100.0.0/24", "");
    identify(&lab, &[0, 1], Underlay::V4);
    introduce(&lab, 0, &[1], Underlay::V4);
    lab.host(0)
        .ok("mode=init vpc_name=enc node_member=h1 peer_network=10.101.0.0/24 encrypt=wireguard");
    let key = lab.host(1).ok("mode=wg_key vpc_name=enc").stdout;
    lab.host(0).ok(&format!(
        "mode=set_member vpc_name=enc node=h1 wg_key={}",
        key.trim()
    ));
    sync(&lab, 0, &[1], "enc");
    for i in 0..2 {
        lab.host(i).ok("mode=apply vpc_name=enc");
    }
    let mut guests = Vec::new();
    for (vpc, net, mtu) in [("plain", "10.10.11", 1450), ("enc", "10.10.12", 1370)] {
        for i in 0..2 {
            let g = lab.guest(i, &format!("{vpc}{i}"));
            g.addr(&format!("{net}.{}/24", i + 1)).set_mtu(mtu);
            lab.host(i)
                .ok(&format!("mode=attach vpc_name={vpc} iface={}", g.host_if()));
            assert!(g.wait_up());
            guests.push(g);
        }
    }
    assert!(guests[0].ping("10.10.11.2", 3, &[]));
    assert!(guests[2].ping("10.10.12.2", 3, &[]));
    let underlay = iperf(
        lab.host(1).netns(),
        lab.host(0).netns(),
        &lab.host(1).ip4().to_string(),
        5,
    );
    let plain = iperf(guests[1].netns(), guests[0].netns(), "10.10.11.2", 5);
    let enc = iperf(guests[3].netns(), guests[2].netns(), "10.10.12.2", 5);
    println!("| path | TCP Mbit/s (iperf3, 5 s) | of the underlay |");
    println!("|---|---:|---:|");
    println!("| underlay, host to host (veth and a bridge) | {underlay:.0} | 100% |");
    println!(
        "| plain VPC, guest to guest (VXLAN) | {plain:.0} | {:.0}% |",
        100.0 * plain / underlay
    );
    println!(
        "| encrypted VPC, guest to guest (VXLAN in wireguard-go) | {enc:.0} | {:.0}% |",
        100.0 * enc / underlay
    );
}
