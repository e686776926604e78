//! `deploy` over real sshd to 1, 4 and 8 members besides the initiator,
//! against a floor: OpenSSH's own client doing the same work with one
//! connection per node, all nodes in parallel. A benchmark, not a test
//! (`#[ignore]`): figures for BENCHMARKS.md.
//!
//!     cargo build --release -p vpc-cli
//!     VPC_BIN=$PWD/target/release/vpc cargo test --release -p vpc-e2e --test bench_deploy -- --ignored --nocapture

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

use std::path::Path;
use std::time::Instant;

use vpc_e2e::cluster::{Underlay, identify};
use vpc_e2e::{Host, Lab, Sshd, vpc_bin};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Milliseconds `f` took.
fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1000.0
}

/// The floor's script, run by `sh` on the initiator: `ssh` to every
/// member in parallel (the initiator's own key, so the same logins as
/// vpc's), each running its command with the input file on stdin; with
/// `first=1` this host's `vpc LOCAL` runs alongside them, else after all
/// of them succeeded (as `destroy` does). Arguments: key, input, local,
/// first, vpc, then `user@address command` pairs.
const FLOOR: &str = r#"
key=$1 input=$2 local=$3 first=$4 vpc=$5; shift 5
pids=""
while [ $# -gt 0 ]; do
    ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -i "$key" "$1" "$2" < "$input" > /dev/null &
    pids="$pids $!"
    shift 2
done
if [ "$first" = 1 ]; then "$vpc" $local > /dev/null & pids="$pids $!"; fi
failed=0
for p in $pids; do wait "$p" || failed=1; done
if [ "$first" = 0 ] && [ "$failed" = 0 ]; then "$vpc" $local > /dev/null || failed=1; fi
exit $failed
"#;

/// Runs [`FLOOR`] on `h0` against `servers` (member `i` is host `i + 1`):
/// `remote` on each, `%c` standing for its `vpc` command.
fn floor(lab: &Lab, servers: &[Sshd], input: &Path, remote: &str, local: &str, local_first: bool) {
    let h0: &Host = lab.host(0);
    let key = h0.state_dir().join("ssh/id_ed25519");
    let mut c = h0.command("sh");
    c.arg("-c")
        .arg(FLOOR)
        .arg("floor")
        .arg(&key)
        .arg(input)
        .arg(local)
        .arg(if local_first { "1" } else { "0" })
        .arg(vpc_bin())
        .env("VPC_STATE_DIR", h0.state_dir())
        .env("VPC_RC_DIR", h0.state_dir().join("rc"));
    for (n, s) in servers.iter().enumerate() {
        c.arg(format!("{}@{}", s.user(), lab.host(n + 1).ip4()))
            .arg(remote.replace("%c", &s.command().display().to_string()));
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "the OpenSSH floor failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn deploy_to_1_4_8_members() {
    println!(
        "| members besides the initiator | deploy (bring-up) ms | OpenSSH floor ms | vpc / floor \
         | deploy (converged) ms | OpenSSH floor ms | vpc / floor \
         | destroy ms | OpenSSH floor ms | vpc / floor |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
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
        let init = "mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24";
        let spec = h0.state_dir().join("bench-spec.json");
        let none = h0.state_dir().join("bench-empty");
        std::fs::write(&none, "").unwrap();
        let converge = "%c mode=receive && %c mode=apply vpc_name=vpc1";
        let mut vpc = [Vec::new(), Vec::new(), Vec::new()];
        let mut ssh = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..5 {
            h0.ok(init);
            vpc[0].push(timed(|| drop(h0.ok("mode=deploy vpc_name=vpc1"))));
            vpc[1].push(timed(|| drop(h0.ok("mode=deploy vpc_name=vpc1"))));
            vpc[2].push(timed(|| drop(h0.ok("mode=destroy vpc_name=vpc1"))));

            // The same work by hand: receive and apply everywhere (this
            // host's apply alongside), twice, then leave everywhere (this
            // host last).
            h0.ok(init);
            std::fs::write(&spec, h0.ok("mode=export vpc_name=vpc1").stdout).unwrap();
            let apply = "mode=apply vpc_name=vpc1";
            for round in &mut ssh[..2] {
                round.push(timed(|| {
                    floor(&lab, &servers, &spec, converge, apply, true)
                }));
            }
            let leave = "mode=leave vpc_name=vpc1";
            ssh[2].push(timed(|| {
                floor(
                    &lab,
                    &servers,
                    &none,
                    "%c mode=leave vpc_name=vpc1",
                    leave,
                    false,
                );
            }));
            assert_eq!(
                h0.ok("mode=list --json").json()["vpcs"],
                serde_json::json!([])
            );
        }
        let mut row = format!("| {remotes} |");
        for (v, s) in vpc.into_iter().zip(ssh) {
            let (v, s) = (median(v), median(s));
            row.push_str(&format!(" {v:.0} | {s:.0} | {:.2} |", v / s));
        }
        println!("{row}");
    }
}
