//! A VPC's life on real Linux kernels (network namespaces, root): `remove`
//! refuses a live VPC and `force=1` leaves nothing; a restart through the
//! generated boot files — the systemd unit's `ExecStop=` then `ExecStart=`,
//! the rc.d script's `stop` then `start` — keeps guests attached and
//! pinging; a guest port deleted while stopped is warned of at start.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::Path;

use vpc_e2e::cluster::{Underlay, deploy, guest, indexes, vxlans};
use vpc_e2e::{Guest, Host, Lab, vpc_bin};

/// Two hosts with `vpc1` applied, guest 1 on host 0 and guest 2 on host 1,
/// reaching each other.
fn two_hosts_with_guests(lab: &Lab) -> (Guest<'_>, Guest<'_>) {
    deploy(lab, &[0, 1], Underlay::V4, "vpc1", "10.100.0.0/24", "");
    let g1 = guest(lab, 0, "vpc1", 1, 1450);
    let g2 = guest(lab, 1, "vpc1", 2, 1450);
    assert!(g1.ping("10.10.11.2", 3, &[]), "guest 1 -> guest 2 at first");
    (g1, g2)
}

/// `status` on `h` says healthy (exit 0 and `"healthy": true`).
#[track_caller]
fn assert_healthy(h: &Host) {
    let r = h.run("mode=status vpc_name=vpc1 --json");
    assert_eq!(r.code, 0, "{}: {}{}", h.name(), r.stdout, r.stderr);
    assert_eq!(r.json()["healthy"], true, "{}", r.stdout);
}

/// The bridge `port` is a port of, on `h`.
fn master(h: &Host, port: &str) -> Option<String> {
    h.link(port)
        .and_then(|l| l["master"].as_str().map(str::to_owned))
}

/// Runs `line` with `sh -c` in `h`'s namespace, with `env` and without the
/// harness's own `VPC_*` variables (a boot file must bring what it needs).
#[track_caller]
fn boot_sh(h: &Host, env: &[String], line: &str) -> vpc_e2e::Run {
    let mut cmd: Vec<&str> = vec!["env", "-u", "VPC_STATE_DIR", "-u", "VPC_RC_DIR"];
    cmd.extend(env.iter().map(String::as_str));
    cmd.extend(["sh", "-c", line]);
    h.sh(&cmd).into()
}

/// The generated unit's `Environment=` assignments and its `ExecStart=`
/// and `ExecStop=` command lines, as written.
fn unit_lines(unit: &str) -> (Vec<String>, String, String) {
    let value = |key: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(key))
            .map(str::to_owned)
            .collect()
    };
    let one = |key: &str| -> String {
        let v = value(key);
        assert_eq!(v.len(), 1, "{key} in {unit}");
        v[0].clone()
    };
    (value("Environment="), one("ExecStart="), one("ExecStop="))
}

/// What systemd does on `systemctl restart` of the unit, with its command
/// lines run by `sh -c`: `ExecStop=`, then `ExecStart=`.
fn restart_unit(h: &Host, unit: &Path) -> (vpc_e2e::Run, vpc_e2e::Run) {
    let text = std::fs::read_to_string(unit).unwrap();
    let (env, start, stop) = unit_lines(&text);
    let stopped = boot_sh(h, &env, &stop);
    assert_eq!(stopped.code, 0, "ExecStop={stop}: {}", stopped.stderr);
    let started = boot_sh(h, &env, &start);
    (stopped, started)
}

#[test]
fn netns_a_restart_through_the_boot_files_keeps_guests_attached() {
    let Some(lab) = Lab::new("restart", 2) else {
        return;
    };
    let (g1, _g2) = two_hosts_with_guests(&lab);
    let h = lab.host(0);
    let rc = h.state_dir().join("boot");
    std::fs::create_dir_all(&rc).unwrap();
    let program = vpc_bin().display().to_string();

    // The systemd unit, as `vpc mode=init_rc os=linux` writes it.
    h.ok(&format!(
        "mode=init_rc vpc_name=vpc1 os=linux rc_dir={} program={program}",
        rc.display()
    ));
    let unit = rc.join("vpc-vpc1.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    let (env, _, stop) = unit_lines(&text);
    // Stopped: the guest is out (the bridge is gone), the record kept.
    assert_eq!(boot_sh(h, &env, &stop).code, 0);
    assert!(h.link("vpc1").is_none());
    assert_eq!(master(h, g1.host_if()), None);
    assert_ne!(h.run("mode=status vpc_name=vpc1").code, 0);
    let (_, started) = restart_unit(h, &unit);
    assert_eq!(started.code, 0, "ExecStart=: {}", started.stderr);
    assert!(!started.stderr.contains("warning"), "{}", started.stderr);
    assert_eq!(master(h, g1.host_if()).as_deref(), Some("vpc1"));
    assert_eq!(h.link(g1.host_if()).unwrap()["mtu"], 1450);
    assert!(g1.ping("10.10.11.2", 5, &[]), "after the unit's restart");
    assert_healthy(h);

    // The rc.d script, under a stand-in rc.subr that dispatches like the
    // real one (`run_rc_command stop` runs `$stop_cmd`, …): FreeBSD's own
    // is not here. The script is otherwise run as written.
    h.ok(&format!(
        "mode=init_rc vpc_name=vpc1 os=freebsd rc_dir={} program={program}",
        rc.display()
    ));
    let script = std::fs::read_to_string(rc.join("vpc_vpc1")).unwrap();
    assert!(script.contains(". /etc/rc.subr\n"));
    let subr = rc.join("rc.subr");
    std::fs::write(
        &subr,
        "load_rc_config() { :; }\n\
         run_rc_command() {\n\
         \tcase \"$1\" in\n\
         \tstart) eval \"$start_cmd\" ;;\n\
         \tstop) eval \"$stop_cmd\" ;;\n\
         \t*) echo \"unknown command $1\" >&2; return 1 ;;\n\
         \tesac\n\
         }\n",
    )
    .unwrap();
    let local = rc.join("vpc_vpc1.local");
    std::fs::write(
        &local,
        script.replace("/etc/rc.subr", subr.to_str().unwrap()),
    )
    .unwrap();
    let run = |verb: &str| boot_sh(h, &[], &format!("sh {} {verb}", local.display()));
    let stopped = run("stop");
    assert_eq!(stopped.code, 0, "rc.d stop: {}", stopped.stderr);
    assert!(h.link("vpc1").is_none());
    assert_eq!(master(h, g1.host_if()), None);
    let started = run("start");
    assert_eq!(started.code, 0, "rc.d start: {}", started.stderr);
    assert_eq!(master(h, g1.host_if()).as_deref(), Some("vpc1"));
    assert!(g1.ping("10.10.11.2", 5, &[]), "after the script's restart");
    assert_healthy(h);
}

#[test]
fn netns_a_guest_port_deleted_while_stopped_is_warned_of_at_start() {
    let Some(lab) = Lab::new("gone", 2) else {
        return;
    };
    let (g1, _g2) = two_hosts_with_guests(&lab);
    let g3 = guest(&lab, 0, "vpc1", 3, 1450);
    let h = lab.host(0);
    let rc = h.state_dir().join("boot");
    std::fs::create_dir_all(&rc).unwrap();
    h.ok(&format!(
        "mode=init_rc vpc_name=vpc1 os=linux rc_dir={} program={}",
        rc.display(),
        vpc_bin().display()
    ));
    let unit = std::fs::read_to_string(rc.join("vpc-vpc1.service")).unwrap();
    let (env, start, stop) = unit_lines(&unit);
    assert_eq!(boot_sh(h, &env, &stop).code, 0);
    // Guest 3 goes away while the VPC is stopped: its veth with it.
    let gone = g3.host_if().to_owned();
    h.sh_ok(&["ip", "link", "del", &gone]);
    let started = boot_sh(h, &env, &start);
    // Not fatal: the VPC and the other guest come up, the missing port is
    // named in a warning.
    assert_eq!(started.code, 0, "{}", started.stderr);
    assert!(
        started.stderr.contains(&format!(
            "vpc: warning: guest port {gone} (recorded in guests/vpc1.json) does not exist"
        )),
        "{}",
        started.stderr
    );
    assert_eq!(master(h, g1.host_if()).as_deref(), Some("vpc1"));
    assert!(g1.ping("10.10.11.2", 5, &[]));
    // A stopped or deleted guest is its own business: the VPC is healthy.
    assert_healthy(h);
}

#[test]
fn netns_remove_refuses_a_live_vpc_and_force_leaves_nothing() {
    let Some(lab) = Lab::new("remove", 2) else {
        return;
    };
    let (g1, _g2) = two_hosts_with_guests(&lab);
    let h = lab.host(0);
    let before = indexes(h);
    let r = h.run("mode=remove vpc_name=vpc1");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let tunnel = &vxlans(h)[0].0;
    for needle in [
        "VPC vpc1 is in use on this host",
        &format!("interfaces vpc1, {tunnel} (made by vpc for it)"),
        &format!(
            "guest ports {} (recorded in guests/vpc1.json)",
            g1.host_if()
        ),
        "force=1",
    ] {
        assert!(r.stderr.contains(needle), "{needle:?} not in {}", r.stderr);
    }
    assert_eq!(indexes(h), before, "a refusal changes nothing");
    assert!(h.run("mode=list vpc_name=vpc1").success());
    assert!(g1.ping("10.10.11.2", 2, &[]), "still live");

    let r = h.ok("mode=remove vpc_name=vpc1 force=1 --json");
    assert_eq!(r.json()["removed"], 2);
    assert!(h.link("vpc1").is_none());
    assert!(vxlans(h).is_empty());
    // The guest's port stays (it is the guest's), out of any bridge.
    assert_eq!(master(h, g1.host_if()), None);
    assert_eq!(
        h.ok("mode=list --json").json()["vpcs"],
        serde_json::json!([])
    );
    for file in ["vpcs/vpc1.json", "guests/vpc1.json", "owned/vpc1.json"] {
        assert!(!h.state_dir().join(file).exists(), "{file} is left");
    }
    // Nothing is left that teardown could find either.
    let r = h.run("mode=teardown vpc_name=vpc1");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("VPC vpc1 does not exist"), "{}", r.stderr);
}
