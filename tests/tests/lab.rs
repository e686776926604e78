//! The namespace harness itself: hosts reach each other over the
//! underlay and nothing else, guests hang off their hosts, the real `vpc`
//! runs inside a host, names never collide, and everything is gone after
//! the lab — also after a panic, and after a killed run.
//!
//! Tests named `netns_*` need root and `ip netns`; without them they print
//! why and pass.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeSet;
use std::process::Output;
use std::sync::{Arc, Barrier, Mutex};

use serde_json::Value;
use vpc_e2e::{Lab, netns_list};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The interface names of the caller's own namespace.
fn root_links() -> BTreeSet<String> {
    let out = std::process::Command::new("ip")
        .args(["-j", "link", "show"])
        .output()
        .unwrap();
    let links: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    links
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_owned())
        .collect()
}

/// The lab's namespaces that `ip netns list` still shows.
fn still_listed(names: &[String]) -> Vec<String> {
    netns_list()
        .into_iter()
        .filter(|n| names.contains(n))
        .collect()
}

#[test]
fn netns_three_hosts_ping_each_other_over_ipv4_and_ipv6() {
    let Some(lab) = Lab::new("ping", 3) else {
        return;
    };
    for a in lab.hosts() {
        let addrs = a.sh_ok(&["ip", "-o", "addr", "show", "dev", "eth0"]);
        assert!(addrs.contains(&format!("{}/24", a.ip4())), "{addrs}");
        assert!(addrs.contains(&format!("{}/64", a.ip6())), "{addrs}");
        for b in lab.hosts() {
            if a.index() == b.index() {
                continue;
            }
            for addr in [b.ip4().to_string(), b.ip6().to_string()] {
                let out = a.sh(&["ping", "-n", "-c", "1", "-W", "1", &addr]);
                assert!(
                    out.status.success(),
                    "{} cannot ping {} ({addr}): {}{}",
                    a.name(),
                    b.name(),
                    stdout(&out),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    assert_eq!(lab.host(0).ip4().to_string(), "198.18.0.1");
    assert_eq!(lab.host(2).ip6().to_string(), "2001:db8::3");
    assert!(lab.host(1).ping(&lab.host(0).ip6().to_string(), 2, &[]));
}

#[test]
fn netns_no_default_route_nothing_routes_outside_the_lab() {
    let Some(lab) = Lab::new("routes", 2) else {
        return;
    };
    let g = lab.guest(1, "g");
    g.addr("10.10.11.1/24").addr6("2001:db8:11::1/64");
    let mut spaces: Vec<String> = lab.hosts().iter().map(|h| h.netns().to_owned()).collect();
    spaces.push(lab.wan().to_owned());
    spaces.push(g.netns().to_owned());
    for ns in &spaces {
        for family in ["-4", "-6"] {
            let out = std::process::Command::new("ip")
                .args(["-n", ns, family, "route", "show", "default"])
                .output()
                .unwrap();
            assert!(out.status.success());
            assert_eq!(stdout(&out), "", "{ns} has a default route");
        }
        // A route lookup only: nothing is sent.
        for outside in ["192.0.2.1", "2001:db9::1"] {
            let out = std::process::Command::new("ip")
                .args(["-n", ns, "route", "get", outside])
                .output()
                .unwrap();
            assert!(
                !out.status.success(),
                "{ns} routes to {outside}: {}",
                stdout(&out)
            );
        }
    }
    // The wan is a switch: no address of its own, not even link-local.
    let wan_addrs = lab.wan_sh(&["ip", "-o", "addr", "show"]);
    assert!(
        stdout(&wan_addrs).lines().all(|l| l.contains(" lo ")),
        "{}",
        stdout(&wan_addrs)
    );
}

#[test]
fn netns_guest_host_end_is_in_its_host_down_and_unattached() {
    let Some(lab) = Lab::new("guest", 2) else {
        return;
    };
    let g = lab.guest(1, "web");
    g.addr("10.10.11.1/24").addr6("2001:db8:11::1/64");
    assert!(g.host_if().len() <= 15);
    assert!(g.host_if_exists());
    let end = lab.host(1).link(g.host_if()).expect("host end in host 1");
    assert_eq!(end["linkinfo"]["info_kind"], "veth", "{end}");
    assert!(
        !end["flags"].as_array().unwrap().contains(&"UP".into()),
        "{end}"
    );
    assert!(end.get("master").is_none(), "{end}");
    let addrs = lab
        .host(1)
        .sh_ok(&["ip", "-o", "addr", "show", "dev", g.host_if()]);
    assert!(!addrs.contains("inet"), "{addrs}");
    // Only there: not in the other host, not in the caller's namespace.
    assert!(lab.host(0).link(g.host_if()).is_none());
    assert!(!root_links().contains(g.host_if()));
    // The guest side.
    let eth0 = g.sh_ok(&["ip", "-o", "addr", "show", "dev", "eth0"]);
    assert!(eth0.contains("10.10.11.1/24"), "{eth0}");
    assert!(eth0.contains("2001:db8:11::1/64"), "{eth0}");
    assert_eq!(g.mac().len(), 17);
    // A second guest gets another name.
    let g2 = lab.guest(1, "db");
    assert_ne!(g.host_if(), g2.host_if());
    assert_ne!(g.netns(), g2.netns());
}

/// What `vpc mode=attach` will do by hand: two guests on one host's
/// bridge reach each other, over IPv4 and IPv6, as soon as their host
/// ends are up.
#[test]
fn netns_guests_on_a_bridge_in_their_host_ping_each_other() {
    let Some(lab) = Lab::new("bridge", 1) else {
        return;
    };
    let h = lab.host(0);
    let a = lab.guest(0, "a");
    let b = lab.guest(0, "b");
    a.addr("10.10.11.1/24").addr6("2001:db8:11::1/64");
    b.addr("10.10.11.2/24").addr6("2001:db8:11::2/64");
    h.sh_ok(&["ip", "link", "add", "vpc1", "type", "bridge"]);
    h.sh_ok(&["ip", "link", "set", "vpc1", "up"]);
    for g in [&a, &b] {
        h.sh_ok(&["ip", "link", "set", g.host_if(), "master", "vpc1"]);
        h.sh_ok(&["ip", "link", "set", g.host_if(), "up"]);
    }
    assert!(a.wait_up() && b.wait_up());
    assert!(a.ping("10.10.11.2", 1, &[]));
    assert!(b.ping("2001:db8:11::1", 1, &[]));
    // The guests are not on the underlay.
    assert!(!a.ping(&h.ip4().to_string(), 1, &[]));
}

#[test]
fn netns_vpc_runs_inside_the_host_with_its_own_state_dir() {
    let Some(lab) = Lab::new("vpc", 2) else {
        return;
    };
    for h in lab.hosts() {
        h.ok(&format!(
            "node mode=init name={} ip4={} ip6={}",
            h.name(),
            h.ip4(),
            h.ip6()
        ));
        assert!(h.state_dir().join("node.json").is_file());
        let doc = h.ok("node mode=list --json").json();
        assert!(doc.to_string().contains(h.name()), "{doc}");
    }
    let (h0, h1) = (lab.host(0), lab.host(1));
    assert_ne!(h0.state_dir(), h1.state_dir());
    // A usage error is reported, not hidden.
    let r = h0.run("mode=no_such_mode");
    assert_eq!(r.code, 2, "{r:?}");
    // stdin reaches vpc (a spec that is not JSON is refused).
    let refused: vpc_e2e::Run = h1.vpc_stdin("mode=receive", "not json").into();
    assert_eq!(refused.code, 1, "{refused:?}");
    // Commands run in the host's namespace, not the caller's.
    let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
    let theirs = h0.sh_ok(&["readlink", "/proc/self/ns/net"]);
    assert_ne!(theirs.trim(), mine.to_str().unwrap());
}

#[test]
fn netns_underlay_mtu_is_the_labs() {
    let Some(lab) = Lab::with_mtu("mtu", 2, 1400) else {
        return;
    };
    assert_eq!(lab.mtu(), 1400);
    let (h0, h1) = (lab.host(0), lab.host(1));
    assert_eq!(h0.link("eth0").unwrap()["mtu"], 1400);
    let wan_port = lab.wan_sh(&["ip", "-j", "link", "show", "dev", "h1"]);
    let wan_port: Value = serde_json::from_slice(&wan_port.stdout).unwrap();
    assert_eq!(wan_port[0]["mtu"], 1400);
    // 1372 + 28 = 1400 fits unfragmented; one byte more does not.
    let peer = h1.ip4().to_string();
    assert!(h0.ping(&peer, 1, &["-M", "do", "-s", "1372"]));
    assert!(!h0.ping(&peer, 1, &["-M", "do", "-s", "1373"]));
    // IPv6: 1352 + 48 = 1400.
    let peer6 = h1.ip6().to_string();
    assert!(h0.ping(&peer6, 1, &["-M", "do", "-s", "1352"]));
    assert!(!h0.ping(&peer6, 1, &["-M", "do", "-s", "1353"]));
}

#[test]
fn netns_drop_removes_every_namespace_and_directory() {
    let before = root_links();
    let Some(lab) = Lab::new("drop", 2) else {
        return;
    };
    let g = lab.guest(0, "g");
    let names = lab.namespaces();
    assert_eq!(names.len(), 4, "{names:?}"); // wan, 2 hosts, a guest
    assert!(names.iter().all(|n| n.starts_with(lab.prefix())));
    assert_eq!(still_listed(&names).len(), 4);
    let dirs: Vec<_> = lab
        .hosts()
        .iter()
        .map(|h| h.state_dir().to_owned())
        .collect();
    assert!(dirs.iter().all(|d| d.is_dir()));
    assert_eq!(
        root_links(),
        before,
        "the lab made an interface outside its namespaces"
    );
    drop(g);
    drop(lab);
    assert_eq!(still_listed(&names), Vec::<String>::new());
    assert!(dirs.iter().all(|d| !d.exists()));
    assert_eq!(root_links(), before);
}

#[test]
fn netns_drop_ends_processes_left_in_the_lab() {
    let Some(lab) = Lab::new("procs", 1) else {
        return;
    };
    let ns = lab.host(0).netns().to_owned();
    // A background process that would outlive the test and keep the
    // namespace (and its interfaces) alive.
    let mut child = std::process::Command::new("ip")
        .args(["netns", "exec", &ns, "sleep", "600"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    drop(lab);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("dropping the lab did not end the process left in it");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(!status.success(), "{status}");
    assert!(!netns_list().contains(&ns));
}

#[test]
fn netns_a_panicking_test_still_cleans_up() {
    // Probe first, so that a skipped run skips here too.
    if Lab::new("probe", 0).is_none() {
        return;
    }
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen2 = Arc::clone(&seen);
    let result = std::panic::catch_unwind(move || {
        let lab = Lab::new("panic", 2).unwrap();
        let _g = lab.guest(1, "g");
        *seen2.lock().unwrap() = lab.namespaces();
        assert!(still_listed(&seen2.lock().unwrap()).len() == 4);
        panic!("the test body fails here");
    });
    assert!(result.is_err());
    let names = seen.lock().unwrap().clone();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(still_listed(&names), Vec::<String>::new());
}

#[test]
fn netns_parallel_labs_never_collide() {
    if Lab::new("probe", 0).is_none() {
        return;
    }
    let threads = 6;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                // Same tag everywhere: the names must differ anyway.
                let lab = Lab::new("par", 2).unwrap();
                let g = lab.guest(0, "g");
                g.addr("10.10.11.1/24");
                assert!(lab.host(0).ping(&lab.host(1).ip4().to_string(), 1, &[]));
                let names = lab.namespaces();
                barrier.wait(); // every lab exists at once
                names
            })
        })
        .collect();
    let mut all = BTreeSet::new();
    let pid = std::process::id();
    for h in handles {
        for n in h.join().unwrap() {
            assert!(n.starts_with(&format!("vpct{pid}-")), "{n}");
            assert!(all.insert(n.clone()), "{n} made twice");
        }
    }
    assert_eq!(all.len(), threads * 4);
    let all: Vec<String> = all.into_iter().collect();
    assert_eq!(still_listed(&all), Vec::<String>::new());
}

/// Names left by a killed run (a pid that cannot exist, or this process's
/// pid with a lab it never made) are removed; live labs are not touched.
#[test]
fn netns_cleanup_stale_removes_only_dead_runs() {
    let Some(lab) = Lab::new("live", 1) else {
        return;
    };
    let pid_max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let me = std::process::id();
    let stale = [
        format!("vpct{}-0-stale-h0", pid_max + 1),
        format!("vpct{me}-999999-stale-h0"),
    ];
    /// Removes the test's own namespaces whatever happens.
    struct Remove<'a>(&'a [String]);
    impl Drop for Remove<'_> {
        fn drop(&mut self) {
            for n in self.0 {
                let _ = std::process::Command::new("ip")
                    .args(["netns", "delete", n])
                    .output();
            }
        }
    }
    let _remove = Remove(&stale);
    let dir = std::env::temp_dir().join(format!("vpct{}-0-stale", pid_max + 1));
    std::fs::create_dir_all(dir.join("h0")).unwrap();
    for n in &stale {
        let out = std::process::Command::new("ip")
            .args(["netns", "add", n])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    assert!(Lab::cleanup_stale() >= 3);
    assert_eq!(still_listed(&stale), Vec::<String>::new());
    assert!(!dir.exists());
    let mut live = lab.namespaces();
    let mut listed = still_listed(&live);
    live.sort();
    listed.sort();
    assert_eq!(listed, live);
    assert!(lab.host(0).state_dir().is_dir());
}
