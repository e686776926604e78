//! `vpc mode=init_rc`: the rc.d script and the systemd unit, as files, as
//! shell, and run under a stand-in rc.subr.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    reason = "a test fails by panicking; helpers are pub for this test crate only"
)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::article_host;

/// The boot file with the test's own state directory replaced by a marker,
/// so that it compares with the reviewed file in `tests/golden/`.
fn normalised(h: &common::Host, text: &str) -> String {
    text.replace(h.dir.to_str().unwrap(), "@STATE_DIR@")
}

fn golden(name: &str, got: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&file, got).unwrap();
    }
    assert_eq!(
        got,
        std::fs::read_to_string(&file).unwrap_or_default(),
        "{}",
        file.display()
    );
}

#[test]
fn rc_script_for_the_article_vpc() {
    let h = article_host();
    let rc = h.dir.join("rc");
    let r = h
        .ok("mode=init_rc vpc_name=vpc1 os=freebsd program=/usr/local/bin/vpc --json")
        .json();
    assert_eq!(r["outcome"], "created");
    let path = rc.join("vpc_vpc1");
    assert_eq!(r["path"], path.to_str().unwrap());
    let text = std::fs::read_to_string(&path).unwrap();
    golden("rc.d-vpc_vpc1", &normalised(&h, &text));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o755
    );
    for needle in [
        "# PROVIDE: vpc_vpc1\n",
        "# REQUIRE: NETWORKING\n",
        "# BEFORE: cbsdd\n",
        "rcvar=\"vpc_vpc1_enable\"",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    let check = Command::new("sh").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "sh -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Again: nothing to write.
    let again = h
        .ok("mode=init_rc vpc_name=vpc1 os=freebsd program=/usr/local/bin/vpc --json")
        .json();
    assert_eq!(again["outcome"], "unchanged");
}

#[test]
fn systemd_unit_for_the_article_vpc() {
    let h = article_host();
    h.ok("mode=init_rc vpc_name=vpc1 os=linux program=/usr/local/bin/vpc");
    let path = h.dir.join("rc/vpc-vpc1.service");
    let text = std::fs::read_to_string(&path).unwrap();
    golden("vpc-vpc1.service", &normalised(&h, &text));
    assert!(text.contains("ExecStart=/usr/local/bin/vpc mode=apply vpc_name=vpc1\n"));
    assert!(text.contains("ExecStop=/usr/local/bin/vpc mode=teardown vpc_name=vpc1\n"));
    assert!(text.contains(&format!("Environment=VPC_STATE_DIR={}\n", h.dir.display())));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // mode=remove takes the boot file with the spec.
    h.ok("mode=remove vpc_name=vpc1");
    assert!(!path.exists());
}

/// The script's start and stop, run by sh under a stand-in rc.subr that
/// dispatches like the real one, call vpc with the right arguments and the
/// store the script was made for.
#[test]
fn rc_script_start_and_stop_call_vpc() {
    let h = article_host();
    let work = h.dir.join("standin");
    std::fs::create_dir_all(&work).unwrap();
    let log = work.join("calls");
    let fake = work.join("vpc");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$VPC_STATE_DIR $*\" >> {}\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let subr = work.join("rc.subr");
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
    h.ok(&format!(
        "mode=init_rc vpc_name=vpc1 os=freebsd program={}",
        fake.display()
    ));
    let script = std::fs::read_to_string(h.dir.join("rc/vpc_vpc1")).unwrap();
    assert!(script.contains(". /etc/rc.subr\n"));
    let local = work.join("vpc_vpc1");
    std::fs::write(
        &local,
        script.replace("/etc/rc.subr", subr.to_str().unwrap()),
    )
    .unwrap();
    for verb in ["start", "stop"] {
        let out = Command::new("sh")
            .arg(&local)
            .arg(verb)
            .env_remove("VPC_STATE_DIR")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let calls = std::fs::read_to_string(&log).unwrap();
    let state = h.dir.display();
    assert_eq!(
        calls,
        format!("{state} mode=apply vpc_name=vpc1\n{state} mode=teardown vpc_name=vpc1\n")
    );
}

#[test]
fn unsafe_paths_are_refused() {
    let h = article_host();
    let r = h.run("mode=init_rc vpc_name=vpc1 os=freebsd program=relative/vpc");
    // A value that breaks a rule is a usage error.
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("program \"relative/vpc\" cannot go into a boot file"),
        "{}",
        r.stderr
    );
    assert!(!h.dir.join("rc/vpc_vpc1").exists());
    let r = h.run("mode=init_rc vpc_name=nope");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("VPC nope does not exist"), "{}", r.stderr);
    let r = h.run("mode=init_rc vpc_name=vpc1 rc_dir=/nonexistent/rc.d");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("boot directory /nonexistent/rc.d does not exist"),
        "{}",
        r.stderr
    );
}
