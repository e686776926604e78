//! `deploy` over real sshd to 1, 4 and 8 members besides the initiator:
//! a benchmark, not a test (`#[ignore]`): figures for BENCHMARKS.md.
//!
//!     cargo build --release -p vpc-cli
//!     VPC_BIN=target/release/vpc cargo test --release -p vpc-e2e --test bench_deploy -- --ignored --nocapture

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

use std::time::Instant;

use vpc_e2e::cluster::{Underlay, identify};
use vpc_e2e::{Lab, Sshd};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn deploy_to_1_4_8_members() {
    println!(
        "| members besides the initiator | deploy (bring-up) ms | deploy (converged) ms | destroy ms |"
    );
    println!("|---:|---:|---:|---:|");
    for remotes in [1usize, 4, 8] {
        let Some(lab) = Lab::new("benchdep", remotes + 1) else {
            return;
        };
        let servers: Vec<Sshd> = (1..=remotes).map(|i| Sshd::start(lab.host(i))).collect();
        let all: Vec<usize> = (0..=remotes).collect();
        identify(&lab, &all, Underlay::V4);
        let h0 = lab.host(0);
        for (n, s) in servers.iter().enumerate() {
            let h = lab.host(n + 1);
            let r = h0.vpc_env(
                &format!(
                    "node mode=add node={} user={} command={}",
                    h.ip4(),
                    s.user(),
                    s.command().display()
                ),
                &[("VPC_SSH_PASSWORD", s.password())],
            );
            assert_eq!(r.code, 0, "{r:?}");
        }
        let (mut up, mut again, mut down) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3 {
            h0.ok("mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24");
            let t = Instant::now();
            h0.ok("mode=deploy vpc_name=vpc1");
            up.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            h0.ok("mode=deploy vpc_name=vpc1");
            again.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            h0.ok("mode=destroy vpc_name=vpc1");
            down.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "| {remotes} | {:.0} | {:.0} | {:.0} |",
            median(up),
            median(again),
            median(down)
        );
    }
}
