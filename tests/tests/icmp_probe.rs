#![allow(
    clippy::disallowed_macros,
    reason = "tests and benchmarks report to the terminal themselves"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

//! The ICMP probes of FreeBSD's `status` (`vpc_core::backend::probe::
//! ping_all`: raw sockets, one per family), run on Linux inside a lab
//! host's namespace: they end as soon as every target answered, and
//! targets of both families that do not answer cost one deadline, not one
//! per family.
//!
//! The probes act in the namespace of the process that sends them, so
//! this test binary runs itself in the host's namespace (`ip netns exec`)
//! as the ignored test `ping_side`, told the targets through the
//! environment; it writes what it measured to a file.
//!
//! Tests named `netns_*` need root and `ip netns`; without them they print
//! why and pass (fail with `VPC_E2E_NETNS=require`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vpc_e2e::{Host, Lab};

/// The side's targets, comma-separated.
const TARGETS: &str = "VPC_PING_TARGETS";
/// The side's timeout in milliseconds.
const TIMEOUT: &str = "VPC_PING_TIMEOUT_MS";
/// Where the side writes its answer (JSON: `rtts`, `took_ms`).
const OUT: &str = "VPC_PING_OUT";

/// Probes `targets` from `h` with `timeout_ms`: each round-trip time
/// (`None`: no answer) and how long the probing took, as timed inside
/// the namespace around the call alone.
fn ping(h: &Host, targets: &[IpAddr], timeout_ms: u64) -> (Vec<Option<f64>>, Duration) {
    let out: PathBuf = h.state_dir().join("ping.json");
    let _ = std::fs::remove_file(&out);
    let list: Vec<String> = targets.iter().map(ToString::to_string).collect();
    let exe = std::env::current_exe().unwrap();
    let env = [
        format!("{TARGETS}={}", list.join(",")),
        format!("{TIMEOUT}={timeout_ms}"),
        format!("{OUT}={}", out.display()),
    ];
    let mut cmd = vec!["env"];
    cmd.extend(env.iter().map(String::as_str));
    cmd.extend_from_slice(&[
        exe.to_str().unwrap(),
        "--exact",
        "ping_side",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    let run = h.sh(&cmd);
    assert!(
        run.status.success(),
        "ping_side in {} failed:\n{}{}",
        h.netns(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let rtts = doc["rtts"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_f64)
        .collect();
    let took = Duration::from_secs_f64(doc["took_ms"].as_f64().unwrap() / 1000.0);
    (rtts, took)
}

/// Run inside a host's namespace by [`ping`].
#[test]
#[ignore = "run by netns_icmp_probes_end_when_every_target_answered only"]
fn ping_side() {
    let (Ok(targets), Ok(timeout), Ok(out)) = (
        std::env::var(TARGETS),
        std::env::var(TIMEOUT),
        std::env::var(OUT),
    ) else {
        eprintln!("ping_side: run by netns_icmp_probes_end_when_every_target_answered only");
        return;
    };
    let targets: Vec<IpAddr> = targets.split(',').map(|t| t.parse().unwrap()).collect();
    let timeout = Duration::from_millis(timeout.parse().unwrap());
    let started = Instant::now();
    let rtts = vpc_core::backend::probe::ping_all(&targets, timeout).unwrap();
    let took = started.elapsed();
    let rtts: Vec<Option<f64>> = rtts
        .iter()
        .map(|r| r.map(|d| d.as_secs_f64() * 1000.0))
        .collect();
    let doc = json!({ "rtts": rtts, "took_ms": took.as_secs_f64() * 1000.0 });
    std::fs::write(out, doc.to_string()).unwrap();
}

#[test]
fn netns_icmp_probes_end_when_every_target_answered() {
    const LONG_MS: u64 = 5000;
    const SHORT_MS: u64 = 1000;
    let Some(lab) = Lab::new("icmp", 2) else {
        return;
    };
    let (h0, h1) = (lab.host(0), lab.host(1));
    let (v4, v6) = (IpAddr::V4(h1.ip4()), IpAddr::V6(h1.ip6()));

    // Both families answer: back long before the deadline.
    let (rtts, took) = ping(h0, &[v4, v6], LONG_MS);
    eprintln!("two answering targets, timeout {LONG_MS} ms: {took:?}");
    assert!(rtts.iter().all(Option::is_some), "{rtts:?}");
    assert!(
        took < Duration::from_millis(LONG_MS / 2),
        "every target answered, yet probing took {took:?} of its {LONG_MS} ms"
    );

    // Nobody holds .99 on the lab's underlay: a silent target of each
    // family, beside the answering ones. The deadline is waited out once
    // for both families (the bound leaves room for start-up, not for a
    // second timeout).
    let silent4: IpAddr = "198.18.0.99".parse().unwrap();
    let silent6: IpAddr = "2001:db8::99".parse().unwrap();
    let (rtts, took) = ping(h0, &[v4, silent4, v6, silent6], SHORT_MS);
    eprintln!("two answering and two silent targets, timeout {SHORT_MS} ms: {took:?}");
    assert!(rtts[0].is_some() && rtts[2].is_some(), "{rtts:?}");
    assert_eq!((rtts[1], rtts[3]), (None, None), "{rtts:?}");
    assert!(
        took >= Duration::from_millis(SHORT_MS),
        "a silent target is waited for until the deadline: {took:?}"
    );
    assert!(
        took < Duration::from_millis(SHORT_MS * 9 / 5),
        "both families share one deadline: {took:?} for a timeout of {SHORT_MS} ms"
    );
}
