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

//! The Linux backend's WireGuard on real kernels (network namespaces,
//! root): two hosts each create, address, raise and configure a WireGuard
//! interface through `vpc_core::backend::linux::LinuxKernel` — the
//! kernel's where it has WireGuard, else wireguard-go's —, observe exactly
//! the configuration they set, ping each other across it, and destroy it,
//! leaving no link, socket or process behind.
//!
//! The backend acts on the namespace of the process it runs in, so each
//! host's side runs inside that host's namespace: this test binary runs
//! itself there (`ip netns exec`), as the ignored test `wireguard_side`,
//! told what to do through the environment.
//!
//! Tests named `netns_*` need root and `ip netns`, and the kernel's
//! WireGuard or `wireguard-go` (Debian: apt-get install wireguard-go);
//! without them they print why and pass (fail with
//! `VPC_E2E_NETNS=require`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vpc_core::backend::Backend;
use vpc_core::backend::linux::LinuxKernel;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::name::VpcName;
use vpc_core::model::wgkey::PrivateKey;
use vpc_core::plan::{Change, IfaceKind, Observed, WgDevice, WgPeer};
use vpc_e2e::{Host, Lab};

/// The side's step: `apply`, `observe` or `destroy`.
const STEP: &str = "VPC_WG_STEP";
/// The side's job file (JSON, see [`job`]); what it observed goes to the
/// same path with `.out` appended.
const JOB: &str = "VPC_WG_JOB";

/// Not wireguard-go's own 1420, so that setting it shows.
const MTU: u32 = 1380;
const DESCRIPTION: &str = "vpc-wgtest-wireguard";

/// wireguard-go's sockets are one directory for the whole host, not per
/// namespace: the two sides' interfaces have different names, and names
/// carry this process's id so that parallel runs never meet.
fn wg_name(side: usize) -> String {
    format!("vpcwg{:05}{side}", std::process::id() % 100_000)
}

fn socket_of(name: &str) -> PathBuf {
    Path::new("/var/run/wireguard").join(format!("{name}.sock"))
}

/// Removes the sockets a killed wireguard-go leaves (the lab ends its
/// processes with SIGKILL when a test fails). Made before the lab, so
/// dropped after it.
struct Sockets(Vec<String>);

impl Drop for Sockets {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = std::fs::remove_file(socket_of(n));
        }
    }
}

/// Whether a process runs `wireguard-go NAME` (zombies do not count).
fn wireguard_go_runs(name: &str) -> bool {
    let want = format!("wireguard-go\0{name}\0");
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let dir = e.path();
        let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
        let argv0_is = cmdline.ends_with(want.as_bytes())
            && (cmdline.len() == want.len()
                || cmdline[..cmdline.len() - want.len()].ends_with(b"/"));
        let zombie = std::fs::read_to_string(dir.join("stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        argv0_is && !zombie
    })
}

/// Why WireGuard cannot be tested here, if it cannot: neither the kernel
/// (a `wireguard` link in `h`'s namespace) nor wireguard-go.
fn no_wireguard(h: &Host) -> Option<String> {
    let kernel = h.sh(&["ip", "link", "add", "wgprobe0", "type", "wireguard"]);
    if kernel.status.success() {
        h.sh_ok(&["ip", "link", "del", "wgprobe0"]);
        return None;
    }
    match Command::new("wireguard-go").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        _ => Some(
            "the kernel has no WireGuard and wireguard-go is not on PATH (apt-get install \
             wireguard-go)"
                .to_owned(),
        ),
    }
}

/// One side's job: its interface, inner address and configuration, with
/// the private key apart (a `WgDevice` never serializes it).
fn job(device: &WgDevice, addr: &str, key: &PrivateKey) -> Value {
    json!({
        "addr": addr,
        "key": key.to_file_text(),
        "device": device,
    })
}

/// Runs step `step` of `job` inside `h`'s namespace with `env` (`KEY=VALUE`
/// words) added; its output, and the path of what it observed.
fn run_side(h: &Host, step: &str, job: &Value, env: &[&str]) -> (Output, PathBuf) {
    let path = h.state_dir().join("wg-job.json");
    std::fs::write(&path, job.to_string()).unwrap();
    let out = PathBuf::from(format!("{}.out", path.display()));
    let _ = std::fs::remove_file(&out);
    let exe = std::env::current_exe().unwrap();
    let step = format!("{STEP}={step}");
    let job = format!("{JOB}={}", path.display());
    let mut cmd = vec!["env", &step, &job];
    cmd.extend_from_slice(env);
    cmd.extend_from_slice(&[
        exe.to_str().unwrap(),
        "--exact",
        "wireguard_side",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    (h.sh(&cmd), out)
}

/// Runs step `step` of `job` inside `h`'s namespace, which must succeed;
/// what it observed, for `observe`.
#[track_caller]
fn side(h: &Host, step: &str, job: &Value) -> Option<Observed> {
    let (run, out) = run_side(h, step, job, &[]);
    assert!(
        run.status.success(),
        "{step} in {} failed:\n{}{}",
        h.netns(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

/// The step a side was given, run in this process's namespace.
#[test]
#[ignore = "one host's side of netns_wireguard_two_hosts, which runs it inside a namespace"]
fn wireguard_side() {
    let (Ok(step), Ok(path)) = (std::env::var(STEP), std::env::var(JOB)) else {
        eprintln!("wireguard_side: run by netns_wireguard_two_hosts only");
        return;
    };
    let job: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut device: WgDevice = serde_json::from_value(job["device"].clone()).unwrap();
    device.private_key = Some(PrivateKey::parse(job["key"].as_str().unwrap()).unwrap());
    let name = device.name.clone();
    let addr = IfAddr::parse(job["addr"].as_str().unwrap(), "addr").unwrap();
    let mut kernel = LinuxKernel::open().unwrap();
    match step.as_str() {
        "apply" => kernel
            .apply(&[
                Change::CreateWireguard {
                    name: name.clone(),
                    mtu: MTU,
                    description: DESCRIPTION.to_owned(),
                },
                Change::AddAddr {
                    name: name.clone(),
                    addr,
                },
                Change::Up { name: name.clone() },
                Change::SetWireguard {
                    vpc: VpcName::new("wgtest").unwrap(),
                    device,
                },
            ])
            .unwrap(),
        "observe" => {
            let observed = kernel.observe().unwrap();
            std::fs::write(
                format!("{path}.out"),
                serde_json::to_string(&observed).unwrap(),
            )
            .unwrap();
        }
        "destroy" => kernel.apply(&[Change::Destroy { name }]).unwrap(),
        other => panic!("unknown step {other}"),
    }
}

/// Pings `addr` from `h` until an answer comes (the first packets wait
/// for the handshake), at most 10 s.
fn reaches(h: &Host, addr: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if h.ping(addr, 1, &[]) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
    }
}

/// Checks what `observed` says of side `device`'s interface: a WireGuard
/// interface with the MTU, description, address and state asked for, and
/// exactly that configuration — and no other WireGuard device read.
#[track_caller]
fn check_observed(observed: &Observed, device: &WgDevice, addr: &str) {
    let i = observed
        .ifaces
        .iter()
        .find(|i| i.name == device.name)
        .unwrap_or_else(|| panic!("{} not observed: {observed:?}", device.name));
    assert_eq!(i.kind, IfaceKind::Wireguard, "{i:?}");
    assert_eq!(i.mtu, MTU, "{i:?}");
    assert_eq!(i.description.as_deref(), Some(DESCRIPTION), "{i:?}");
    assert!(i.up, "{i:?}");
    assert!(
        i.addrs.contains(&IfAddr::parse(addr, "addr").unwrap()),
        "{i:?}"
    );
    assert_eq!(observed.wireguard.len(), 1, "{:?}", observed.wireguard);
    let seen = &observed.wireguard[0];
    assert!(
        device.same(seen),
        "observed {} differs: {}",
        device.name,
        differences(device, seen)
    );
}

/// What differs between two configurations, briefly.
fn differences(want: &WgDevice, have: &WgDevice) -> String {
    let mut out = Vec::new();
    if (want.listen_port, want.public_key) != (have.listen_port, have.public_key) {
        out.push(format!(
            "port and key {:?} {:?}, not {:?} {:?}",
            have.listen_port, have.public_key, want.listen_port, want.public_key
        ));
    }
    if want.peers.len() != have.peers.len() {
        out.push(format!(
            "{} peers, not {}",
            have.peers.len(),
            want.peers.len()
        ));
    }
    for w in &want.peers {
        match have.peers.iter().find(|h| h.public_key == w.public_key) {
            None => out.push(format!("no peer {}", w.public_key)),
            Some(h) if h != w => out.push(format!("peer {h:?}, not {w:?}")),
            Some(_) => {}
        }
    }
    out.join("; ")
}

/// `n` peers that never answer (no endpoint), beside the real one: a
/// configuration of some size, set and read back whole.
fn filler(n: u16) -> Vec<WgPeer> {
    (1..=n)
        .map(|i| WgPeer {
            public_key: PrivateKey::generate().public(),
            endpoint: None,
            allowed_ips: vec![IfAddr::parse(&format!("fd00:78::{i:x}/128"), "ip").unwrap()],
            keepalive: if i % 3 == 0 { 25 } else { 0 },
        })
        .collect()
}

#[test]
fn netns_wireguard_two_hosts() {
    let names = [wg_name(1), wg_name(2)];
    let _sockets = Sockets(names.to_vec());
    let Some(lab) = Lab::new("wg", 2) else {
        return;
    };
    let (a, b) = (lab.host(0), lab.host(1));
    if let Some(why) = no_wireguard(a) {
        if std::env::var("VPC_E2E_NETNS").is_ok_and(|v| v == "require") {
            panic!("VPC_E2E_NETNS=require, but: {why}");
        }
        eprintln!("skipping: {why}");
        return;
    }
    let (key_a, key_b) = (PrivateKey::generate(), PrivateKey::generate());
    let (addr_a, addr_b) = ("fd00:77::1/64", "fd00:77::2/64");
    let mut peers_a = filler(300);
    peers_a.push(WgPeer {
        public_key: key_b.public(),
        endpoint: Some(format!("{}:51821", b.ip4()).parse().unwrap()),
        allowed_ips: vec![IfAddr::parse("fd00:77::2/128", "ip").unwrap()],
        keepalive: 0,
    });
    peers_a.sort_by_key(|p| p.public_key);
    let dev_a = WgDevice {
        name: names[0].clone(),
        listen_port: 51820,
        private_key: None,
        public_key: Some(key_a.public()),
        peers: peers_a,
    };
    let dev_b = WgDevice {
        name: names[1].clone(),
        listen_port: 51821,
        private_key: None,
        public_key: Some(key_b.public()),
        peers: vec![WgPeer {
            public_key: key_a.public(),
            endpoint: Some(format!("[{}]:51820", a.ip6()).parse().unwrap()),
            allowed_ips: vec![IfAddr::parse("fd00:77::1/128", "ip").unwrap()],
            keepalive: 25,
        }],
    };
    let job_a = job(&dev_a, addr_a, &key_a);
    let job_b = job(&dev_b, addr_b, &key_b);

    // Each side is observed before traffic can move the other's endpoints.
    side(a, "apply", &job_a);
    check_observed(&side(a, "observe", &job_a).unwrap(), &dev_a, addr_a);
    // b keeps the way open (keepalive): it reaches a at once.
    side(b, "apply", &job_b);
    check_observed(&side(b, "observe", &job_b).unwrap(), &dev_b, addr_b);
    let userspace = a
        .link(&names[0])
        .is_some_and(|l| l["linkinfo"]["info_kind"] == "tun");
    eprintln!(
        "WireGuard here: {}",
        if userspace {
            "wireguard-go"
        } else {
            "the kernel's"
        }
    );

    assert!(
        reaches(a, "fd00:77::2"),
        "a does not reach b across WireGuard"
    );
    assert!(
        reaches(b, "fd00:77::1"),
        "b does not reach a across WireGuard"
    );
    // a answered b from where b sent to: b's view is unchanged. a's peer b
    // now shows where b sent from, its IPv6 address, not the IPv4
    // endpoint set (WireGuard follows a peer that roams): the endpoint
    // observed is the one in use, learned or set.
    check_observed(&side(b, "observe", &job_b).unwrap(), &dev_b, addr_b);
    let mut roamed = dev_a.clone();
    for p in &mut roamed.peers {
        if p.public_key == key_b.public() {
            p.endpoint = Some(format!("[{}]:51821", b.ip6()).parse().unwrap());
        }
    }
    check_observed(&side(a, "observe", &job_a).unwrap(), &roamed, addr_a);

    side(a, "destroy", &job_a);
    side(b, "destroy", &job_b);
    for (h, name, job) in [(a, &names[0], &job_a), (b, &names[1], &job_b)] {
        assert!(h.link(name).is_none(), "{name} is still there");
        assert!(!socket_of(name).exists(), "{name}'s socket is still there");
        let deadline = Instant::now() + Duration::from_secs(5);
        while wireguard_go_runs(name) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!wireguard_go_runs(name), "wireguard-go {name} still runs");
        let seen = side(h, "observe", job).unwrap();
        assert!(seen.wireguard.is_empty(), "{:?}", seen.wireguard);
    }
}

#[test]
fn netns_wireguard_without_either_way_says_which() {
    let name = wg_name(3);
    let _sockets = Sockets(vec![name.clone()]);
    let Some(lab) = Lab::new("wgnone", 1) else {
        return;
    };
    let h = lab.host(0);
    let probe = h.sh(&["ip", "link", "add", "wgprobe0", "type", "wireguard"]);
    if probe.status.success() {
        eprintln!("skipping: this kernel has WireGuard, so wireguard-go is never needed");
        return;
    }
    let key = PrivateKey::generate();
    let dev = WgDevice {
        name: name.clone(),
        listen_port: 51820,
        private_key: None,
        public_key: Some(key.public()),
        peers: Vec::new(),
    };
    // A PATH without wireguard-go.
    let (run, _) = run_side(
        h,
        "apply",
        &job(&dev, "fd00:77::1/64", &key),
        &["PATH=/nonexistent"],
    );
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!(
            "change 1 of 4 (create wireguard {name} mtu {MTU} description {DESCRIPTION}) failed: \
             no WireGuard for {name} either way: the kernel refused link kind wireguard"
        )) && err.contains("no WireGuard module")
            && err.contains("wireguard-go is not on PATH"),
        "{err}"
    );
    assert!(h.link(&name).is_none(), "{name} was made");
}

#[test]
fn netns_wireguard_go_of_another_namespace_is_not_ours() {
    let name = wg_name(4);
    let _sockets = Sockets(vec![name.clone()]);
    let Some(lab) = Lab::new("wgother", 2) else {
        return;
    };
    let (a, b) = (lab.host(0), lab.host(1));
    let probe = a.sh(&["ip", "link", "add", "wgprobe0", "type", "wireguard"]);
    if probe.status.success() {
        eprintln!("skipping: this kernel has WireGuard, so wireguard-go is never needed");
        return;
    }
    if let Some(why) = no_wireguard(a) {
        if std::env::var("VPC_E2E_NETNS").is_ok_and(|v| v == "require") {
            panic!("VPC_E2E_NETNS=require, but: {why}");
        }
        eprintln!("skipping: {why}");
        return;
    }
    let key = PrivateKey::generate();
    let dev = WgDevice {
        name: name.clone(),
        listen_port: 51820,
        private_key: None,
        public_key: Some(key.public()),
        peers: Vec::new(),
    };
    let job = job(&dev, "fd00:77::1/64", &key);
    side(a, "apply", &job);
    // b's own TUN link of that name is not the WireGuard of a's socket.
    b.sh_ok(&["ip", "tuntap", "add", "dev", &name, "mode", "tun"]);
    let seen = side(b, "observe", &job).unwrap();
    let tun = seen.ifaces.iter().find(|i| i.name == name).unwrap();
    assert_eq!(tun.kind, IfaceKind::Other("tun".into()), "{tun:?}");
    assert!(seen.wireguard.is_empty(), "{:?}", seen.wireguard);
    b.sh_ok(&["ip", "tuntap", "del", "dev", &name, "mode", "tun"]);
    // Nor can b make one of that name: said, and nothing made.
    let (run, _) = run_side(b, "apply", &job, &[]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("a wireguard-go of another network namespace serves that name"),
        "{err}"
    );
    assert!(b.link(&name).is_none());
    // a's is untouched.
    check_observed(&side(a, "observe", &job).unwrap(), &dev, "fd00:77::1/64");
    side(a, "destroy", &job);
    assert!(!socket_of(&name).exists());
}
