//! The cluster over SSH: real sshd servers on the simulated hosts, nodes
//! added with a password and then reached with keys only, deploy and
//! destroy from one host, host keys pinned.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::needless_range_loop,
    reason = "a test fails by panicking; hosts are indexed alongside their records"
)]

use vpc_e2e::cluster::{Underlay, guest, identify, indexes, vxlans};
use vpc_e2e::{Lab, Sshd};

/// `node mode=add` from host 0 for host `i`, with the password.
fn add(lab: &Lab, s: &Sshd, i: usize, extra: &str) -> vpc_e2e::Run {
    let h = lab.host(i);
    lab.host(0).vpc_env(
        &format!(
            "node mode=add node={} user={} command={} {extra}",
            h.ip4(),
            s.user(),
            s.command().display()
        ),
        &[("VPC_SSH_PASSWORD", s.password())],
    )
}

fn set_password(s: &Sshd, password: &str) {
    use std::io::Write;
    let mut c = std::process::Command::new("chpasswd")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(format!("{}:{password}\n", s.user()).as_bytes())
        .unwrap();
    assert!(c.wait().unwrap().success());
}

#[test]
fn netns_deploy_and_destroy_over_ssh() {
    let Some(lab) = Lab::new("ssh", 3) else {
        return;
    };
    let servers: Vec<Sshd> = (1..3).map(|i| Sshd::start(lab.host(i))).collect();
    identify(&lab, &[0, 1, 2], Underlay::V4);
    let h0 = lab.host(0);

    // First contact: the fingerprint is recorded and printed; the key is
    // installed.
    for (n, s) in servers.iter().enumerate() {
        let r = add(&lab, s, n + 1, "");
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stdout
                .contains(&format!("host key fingerprint: {}", s.fingerprint())),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains("this host's key was installed"),
            "{}",
            r.stdout
        );
    }
    let nodes = h0.ok("node mode=list --json").json();
    let recorded: Vec<(String, String)> = nodes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_owned(),
                n["host_key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        recorded,
        vec![
            ("h1".to_owned(), servers[0].fingerprint()),
            ("h2".to_owned(), servers[1].fingerprint())
        ]
    );
    let key = std::fs::metadata(h0.state_dir().join("ssh/id_ed25519")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key.permissions()) & 0o777,
        0o600
    );

    // From now on keys only: the passwords no longer work, adding again
    // needs none.
    for s in &servers {
        set_password(s, "changed-and-unknown");
    }
    for (n, s) in servers.iter().enumerate() {
        let h = lab.host(n + 1);
        let r = h0.vpc_env(
            &format!(
                "node mode=add node={} user={} command={}",
                h.ip4(),
                s.user(),
                s.command().display()
            ),
            &[],
        );
        assert_eq!(r.code, 0, "key-only add: {r:?}");
        assert!(r.stdout.contains("unchanged"), "{}", r.stdout);
        assert!(!r.stdout.contains("installed"), "{}", r.stdout);
    }

    // Deploy from host 0 over all three, init_rc everywhere, guests.
    h0.ok("mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24");
    let r = h0.run("mode=deploy vpc_name=vpc1");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("sync") && l.contains(" ok "))
            .count(),
        2,
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("apply") && l.contains(" ok "))
            .count(),
        3,
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.ends_with("deploy vpc1: 5 ok, 0 failed\n"),
        "{}",
        r.stdout
    );
    let guests: Vec<_> = (0..3)
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1450))
        .collect();
    for g in &guests {
        for n in 1..=3 {
            if n != g.host() + 1 {
                assert!(
                    g.ping(&format!("10.10.11.{n}"), 2, &[]),
                    "guest {} -> {n}",
                    g.host()
                );
            }
        }
    }
    for h in lab.hosts() {
        let st = h.run("mode=status vpc_name=vpc1");
        assert_eq!(st.code, 0, "{}: {}", h.name(), st.stdout);
        h.ok("mode=init_rc vpc_name=vpc1");
        assert!(h.state_dir().join("rc/vpc-vpc1.service").exists());
    }
    // A second deploy changes nothing anywhere.
    let before: Vec<_> = lab.hosts().iter().map(indexes).collect();
    let r = h0.ok("mode=deploy vpc_name=vpc1");
    assert_eq!(
        r.stdout.matches("nothing to change").count(),
        3,
        "{}",
        r.stdout
    );
    let after: Vec<_> = lab.hosts().iter().map(indexes).collect();
    assert_eq!(before, after);

    // Destroy: no interface, spec or boot file left on any host.
    let r = h0.run("mode=destroy vpc_name=vpc1 --json");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["failed"], 0);
    for h in lab.hosts() {
        assert!(vxlans(h).is_empty(), "{}", h.name());
        assert!(h.link("vpc1").is_none(), "{}", h.name());
        assert_eq!(
            h.ok("mode=list --json").json()["vpcs"],
            serde_json::json!([]),
            "{}",
            h.name()
        );
        let rc: Vec<_> = std::fs::read_dir(h.state_dir().join("rc"))
            .unwrap()
            .collect();
        assert!(rc.is_empty(), "{}: boot files left", h.name());
    }
}

#[test]
fn netns_host_keys_are_pinned() {
    let Some(lab) = Lab::new("hostkey", 3) else {
        return;
    };
    let mut s1 = Sshd::start(lab.host(1));
    let s2 = Sshd::start(lab.host(2));
    identify(&lab, &[0, 1, 2], Underlay::V4);
    let h0 = lab.host(0);
    // A wrong fingerprint= at add time is refused; nothing is stored.
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = add(&lab, &s2, 2, &format!("fingerprint={wrong}"));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(wrong) && r.stderr.contains(&s2.fingerprint()),
        "{}",
        r.stderr
    );
    assert!(
        h0.ok("node mode=list --json").json()["nodes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The right one is accepted.
    let r = add(&lab, &s2, 2, &format!("fingerprint={}", s2.fingerprint()));
    assert_eq!(r.code, 0, "{r:?}");

    assert_eq!(add(&lab, &s1, 1, "").code, 0);
    h0.ok("mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24");
    let old = s1.fingerprint();
    s1.regenerate_host_key();
    let new = s1.fingerprint();
    assert_ne!(old, new);
    let before = std::fs::read_to_string(h0.state_dir().join("nodes/h1.json")).unwrap();
    // The next contact fails with both fingerprints and changes nothing.
    let r = h0.run("mode=sync vpc_name=vpc1");
    assert_eq!(r.code, 1, "{r:?}");
    let h1_line = r
        .stdout
        .lines()
        .find(|l| l.contains(" h1 "))
        .unwrap_or_default()
        .to_owned();
    assert!(
        h1_line.contains("FAILED") && h1_line.contains(&old) && h1_line.contains(&new),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains(" h2 ") && l.contains(" ok ")),
        "h2 still synced: {}",
        r.stdout
    );
    let r = add(&lab, &s1, 1, "");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(&old) && r.stderr.contains(&new),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(h0.state_dir().join("nodes/h1.json")).unwrap(),
        before
    );
    assert!(
        lab.host(1).ok("mode=list --json").json()["vpcs"]
            .as_array()
            .unwrap()
            .is_empty(),
        "h1 got no spec"
    );
}

#[test]
fn netns_membership_and_a_failed_node_over_ssh() {
    let Some(lab) = Lab::new("members", 4) else {
        return;
    };
    let servers: Vec<Sshd> = (1..4).map(|i| Sshd::start(lab.host(i))).collect();
    identify(&lab, &[0, 1, 2, 3], Underlay::V4);
    for (n, s) in servers.iter().enumerate() {
        assert_eq!(add(&lab, s, n + 1, "").code, 0);
    }
    let h0 = lab.host(0);
    h0.ok("mode=init vpc_name=vpc1 node_member=h1,h2 peer_network=10.100.0.0/24");
    h0.ok("mode=deploy vpc_name=vpc1");
    let before: Vec<_> = (0..3).map(|i| vxlans(lab.host(i))).collect();
    // A fourth member: only its tunnels are new.
    h0.ok("mode=add_member vpc_name=vpc1 node=h3");
    let r = h0.ok("mode=deploy vpc_name=vpc1");
    assert!(
        r.stdout.contains("deploy vpc1: 7 ok, 0 failed"),
        "{}",
        r.stdout
    );
    for i in 0..3 {
        let now = vxlans(lab.host(i));
        assert_eq!(now.len(), 3);
        for t in &before[i] {
            assert!(now.contains(t), "{}: {t:?} changed", lab.host(i).name());
        }
    }
    assert_eq!(vxlans(lab.host(3)).len(), 3);
    // It leaves again: deploy takes its side down, the others lose only
    // their tunnel to it.
    h0.ok("mode=remove_member vpc_name=vpc1 node=h3");
    let r = h0.ok("mode=deploy vpc_name=vpc1");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("leave") && l.contains(" h3 ") && l.contains(" ok ")),
        "{}",
        r.stdout
    );
    assert!(vxlans(lab.host(3)).is_empty());
    assert!(lab.host(3).link("vpc1").is_none());
    for i in 0..3 {
        assert_eq!(vxlans(lab.host(i)), before[i], "{}", lab.host(i).name());
    }
    // A node down: the others carry on, the command fails, and a re-run
    // once it is back converges it without touching the rest.
    lab.host(2).sh_ok(&["ip", "link", "set", "eth0", "down"]);
    h0.ok("mode=add_member vpc_name=vpc1 node=h3");
    let r = h0.vpc_env("mode=deploy vpc_name=vpc1 connect_timeout=2", &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains(" h2 ") && l.contains("FAILED")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("apply") && l.contains(" h3 ") && l.contains(" ok ")),
        "{}",
        r.stdout
    );
    lab.host(2).sh_ok(&["ip", "link", "set", "eth0", "up"]);
    let settled: Vec<_> = [0, 1, 3].iter().map(|&i| indexes(lab.host(i))).collect();
    let r = h0.ok("mode=deploy vpc_name=vpc1");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("apply") && l.contains(" h2 ") && l.contains("changes made")),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.matches("nothing to change").count(),
        3,
        "{}",
        r.stdout
    );
    let now: Vec<_> = [0, 1, 3].iter().map(|&i| indexes(lab.host(i))).collect();
    assert_eq!(settled, now);
}

/// `node mode=add` from host 0 for host `i` with `command=` (key only: the
/// node was added once with the password).
fn readd(lab: &Lab, s: &Sshd, i: usize, command: &std::path::Path) -> vpc_e2e::Run {
    lab.host(0).vpc_env(
        &format!(
            "node mode=add node={} user={} command={}",
            lab.host(i).ip4(),
            s.user(),
            command.display()
        ),
        &[],
    )
}

/// The result of `step` for node `node` in a cluster report.
fn result<'r>(report: &'r serde_json::Value, step: &str, node: &str) -> &'r serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["step"] == step && r["node"] == node)
        .unwrap_or_else(|| panic!("no {step} result for {node}: {report:#}"))
}

#[test]
fn netns_remote_commands_have_a_deadline_and_their_errors_are_heard() {
    let Some(lab) = Lab::new("deadline", 6) else {
        return;
    };
    let servers: Vec<Sshd> = (1..6).map(|i| Sshd::start(lab.host(i))).collect();
    identify(&lab, &[0, 1, 2, 3, 4, 5], Underlay::V4);
    for (n, s) in servers.iter().enumerate() {
        assert_eq!(add(&lab, s, n + 1, "").code, 0);
    }
    // h1 trickles output for longer than the deadline, h2 hangs (both
    // bounded, so that nothing outlives the test for long), h3 writes 4 MiB
    // to stderr (twice the channel's window) and fails, h4 exits 3; h5 is
    // the real vpc.
    let scripts = [
        "i=0; while [ $i -lt 200 ]; do echo trickle $i; i=$((i+1)); sleep 0.1; done",
        "sleep 20",
        "head -c 4194304 /dev/zero | tr '\\0' e >&2; echo >&2; echo the end of the flood >&2; exit 1",
        "echo 'vpc: something went wrong on purpose' >&2; exit 3",
    ];
    for (n, body) in scripts.iter().enumerate() {
        let s = &servers[n];
        let r = readd(&lab, s, n + 1, &s.script("odd", body));
        assert_eq!(r.code, 0, "{r:?}");
    }
    let h0 = lab.host(0);
    h0.ok("mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24");
    let started = std::time::Instant::now();
    let r = h0.run("mode=sync vpc_name=vpc1 command_timeout=3 --json");
    let took = started.elapsed().as_secs_f64();
    assert_eq!(r.code, 1, "{r:?}");
    let report = r.json();
    // Cut off at the deadline, whether it talks or not.
    for node in ["h1", "h2"] {
        let n = result(&report, "sync", node);
        assert_eq!(n["ok"], false, "{n}");
        let message = n["message"].as_str().unwrap();
        assert!(message.contains("given up after 3 s"), "{message}");
        let seconds = n["seconds"].as_f64().unwrap();
        assert!((2.9..8.0).contains(&seconds), "{node}: {seconds} s");
    }
    // The flood neither stalls nor is lost: its end is in the message.
    let flood = result(&report, "sync", "h3");
    let message = flood["message"].as_str().unwrap();
    assert_eq!(flood["ok"], false);
    assert!(
        message.contains("exited with status 1") && message.contains("the end of the flood"),
        "{message}"
    );
    assert!(
        message.len() < 4096,
        "a bounded tail: {} bytes",
        message.len()
    );
    assert!(flood["seconds"].as_f64().unwrap() < 2.9, "{flood}");
    let three = result(&report, "sync", "h4");
    assert_eq!(three["ok"], false);
    let message = three["message"].as_str().unwrap();
    assert!(
        message.contains("exited with status 3")
            && message.contains("something went wrong on purpose"),
        "{message}"
    );
    assert_eq!(result(&report, "sync", "h5")["ok"], true, "{report:#}");
    assert_eq!(report["failed"], 4);
    // In parallel: the whole took about one deadline.
    assert!(took < 10.0, "sync took {took} s");

    // Every sync failing (h5's server gone too): this host does not
    // apply a spec no other member has.
    drop(servers);
    let r = h0.run("mode=deploy vpc_name=vpc1 command_timeout=2 connect_timeout=2 --json");
    assert_eq!(r.code, 1, "{r:?}");
    let report = r.json();
    for node in ["h1", "h2", "h3", "h4", "h5"] {
        assert_eq!(result(&report, "sync", node)["ok"], false, "{node}");
    }
    let local = result(&report, "apply", "h0");
    assert_eq!(local["ok"], false, "{local}");
    assert!(
        local["message"].as_str().unwrap().contains("not applied"),
        "{local}"
    );
    assert!(h0.link("vpc1").is_none());
    assert!(vxlans(h0).is_empty());
}

#[test]
fn netns_deploy_uses_one_connection_per_node_and_dry_runs_change_nothing() {
    use std::os::unix::fs::MetadataExt;
    let Some(lab) = Lab::new("oneconn", 3) else {
        return;
    };
    let servers: Vec<Sshd> = (1..3).map(|i| Sshd::start(lab.host(i))).collect();
    identify(&lab, &[0, 1, 2], Underlay::V4);
    let h0 = lab.host(0);

    // h1 already has authorized_keys: another key and a comment, no final
    // newline, mode 0640, group 4321.
    let ssh_dir = servers[0].home().join(".ssh");
    std::fs::create_dir_all(&ssh_dir).unwrap();
    std::fs::set_permissions(
        &ssh_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let keys = ssh_dir.join("authorized_keys");
    let theirs = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDkqWXwT4cMOJuzcAUuzVTJvtBQuImiCtzAbn2kazEKw admin@elsewhere\n# keep me";
    std::fs::write(&keys, theirs).unwrap();
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    std::os::unix::fs::chown(&keys, Some(0), Some(4321)).unwrap();
    for (n, s) in servers.iter().enumerate() {
        let r = add(&lab, s, n + 1, "");
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stdout.contains("this host's key was installed"),
            "{}",
            r.stdout
        );
    }
    let ours = std::fs::read_to_string(h0.state_dir().join("ssh/id_ed25519.pub")).unwrap();
    let now = std::fs::read_to_string(&keys).unwrap();
    assert_eq!(
        now,
        format!("{theirs}\n{}\n", ours.trim_end()),
        "lines kept, ours added"
    );
    let meta = std::fs::metadata(&keys).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o640);
    assert_eq!((meta.uid(), meta.gid()), (0, 4321));
    for s in &servers {
        let left: Vec<_> = std::fs::read_dir(s.home().join(".ssh"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "authorized_keys")
            .collect();
        assert!(left.is_empty(), "files left: {left:?}");
    }
    let made = std::fs::metadata(servers[1].home().join(".ssh/authorized_keys")).unwrap();
    assert_eq!(made.mode() & 0o777, 0o600);
    // Adding again finds the key there and leaves the file alone.
    assert_eq!(readd(&lab, &servers[0], 1, &servers[0].command()).code, 0);
    assert_eq!(std::fs::read_to_string(&keys).unwrap(), now);

    h0.ok("mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24");
    let logins = |servers: &[Sshd]| servers.iter().map(Sshd::accepted).collect::<Vec<_>>();
    let commands = |servers: &[Sshd]| servers.iter().map(Sshd::commands).collect::<Vec<_>>();
    let since = |now: Vec<usize>, then: &[usize]| {
        now.iter().zip(then).map(|(a, b)| a - b).collect::<Vec<_>>()
    };

    // A dry run: every member's plan, one connection each, nothing changed.
    let before: Vec<_> = lab.hosts().iter().map(indexes).collect();
    let seen = logins(&servers);
    let ran = commands(&servers);
    let r = h0.run("mode=deploy vpc_name=vpc1 dryrun=1");
    assert_eq!(r.code, 0, "{r:?}");
    for node in ["h0", "h1", "h2"] {
        let lines: Vec<&str> = r.stdout.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("plan") && l.contains(&format!(" {node} ")))
            .unwrap_or_else(|| panic!("no plan of {node}: {}", r.stdout));
        assert!(
            lines[at].contains(" ok ") && lines[at].contains("changes planned"),
            "{}",
            lines[at]
        );
        assert!(
            lines[at + 1].starts_with("    nft -f - <<'EOF'"),
            "{node}'s commands follow: {}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("vxlan"), "{}", r.stdout);
    let after: Vec<_> = lab.hosts().iter().map(indexes).collect();
    assert_eq!(before, after, "a dry run changed an interface");
    for i in 1..3 {
        assert_eq!(
            lab.host(i).ok("mode=list --json").json()["vpcs"],
            serde_json::json!([]),
            "a dry run stored the spec on h{i}"
        );
    }
    let json = h0.ok("mode=deploy vpc_name=vpc1 dryrun=1 --json").json();
    assert_eq!(json["failed"], 0);
    assert!(
        result(&json, "plan", "h1")["plan"]["commands"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(
        since(logins(&servers), &seen),
        vec![2, 2],
        "one connection per node per dry run"
    );
    assert_eq!(
        since(commands(&servers), &ran),
        vec![2, 2],
        "one command per node per dry run"
    );

    // A member that refuses the spec is not applied: h1 holds a newer
    // generation (as if from another initiator), so it refuses h0's; h2
    // takes it, and so h2 and h0 apply.
    let spec = h0.ok("mode=export vpc_name=vpc1").stdout;
    let newer = spec.replace("\"generation\": 1", "\"generation\": 9");
    assert!(
        lab.host(1)
            .vpc_stdin("mode=receive", &newer)
            .status
            .success()
    );
    let (seen, ran) = (logins(&servers), commands(&servers));
    let r = h0.run("mode=deploy vpc_name=vpc1");
    assert_eq!(r.code, 1, "{r:?}");
    let line = |step: &str, node: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(step) && l.contains(&format!(" {node} ")))
            .map(str::to_owned)
    };
    let refused = line("sync", "h1").unwrap_or_else(|| panic!("no sync of h1: {}", r.stdout));
    assert!(
        refused.contains("FAILED") && refused.contains("not newer than the held generation 9"),
        "{refused}"
    );
    assert_eq!(line("apply", "h1"), None, "h1 refused: {}", r.stdout);
    for node in ["h0", "h2"] {
        let applied = line("apply", node).unwrap_or_else(|| panic!("{node}: {}", r.stdout));
        assert!(
            applied.contains(" ok ") && applied.contains("changes made"),
            "{applied}"
        );
    }
    assert!(
        r.stdout.ends_with("deploy vpc1: 3 ok, 1 failed\n"),
        "{}",
        r.stdout
    );
    assert!(vxlans(lab.host(1)).is_empty(), "h1 applied a refused spec");
    assert!(lab.host(1).link("vpc1").is_none());
    assert_eq!(
        lab.host(1).ok("mode=export vpc_name=vpc1").json()["generation"],
        9
    );
    assert_eq!(since(logins(&servers), &seen), vec![1, 1]);
    assert_eq!(since(commands(&servers), &ran), vec![1, 1]);
    lab.host(1).ok("mode=leave vpc_name=vpc1");

    // The deploy itself: receive and apply in one command over one
    // connection per node.
    let (seen, ran) = (logins(&servers), commands(&servers));
    let r = h0.run("mode=deploy vpc_name=vpc1");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.ends_with("deploy vpc1: 5 ok, 0 failed\n"),
        "{}",
        r.stdout
    );
    assert_eq!(
        since(logins(&servers), &seen),
        vec![1, 1],
        "connections per node in one deploy"
    );
    assert_eq!(
        since(commands(&servers), &ran),
        vec![1, 1],
        "remote commands per node in one deploy"
    );
    for h in lab.hosts() {
        assert_eq!(vxlans(h).len(), 2, "{}", h.name());
    }
    // Converged: the dry run plans nothing anywhere.
    let r = h0.ok("mode=deploy vpc_name=vpc1 dryrun=1");
    assert_eq!(
        r.stdout.matches("nothing to change").count(),
        3,
        "{}",
        r.stdout
    );

    // A member whose vpc is older than `apply=` gets receive, then apply,
    // over its one connection.
    let old = servers[1].script(
        "old-vpc",
        &format!(
            "for a in \"$@\"; do if [ \"$a\" = apply=1 ]; then \
             echo 'vpc: unknown key apply= for mode=receive: expected one of dryrun' >&2; \
             exit 2; fi; done\nexec {} \"$@\"",
            servers[1].command().display()
        ),
    );
    assert_eq!(readd(&lab, &servers[1], 2, &old).code, 0);
    let (seen, ran) = (logins(&servers), commands(&servers));
    let r = h0.run("mode=deploy vpc_name=vpc1");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.lines().any(|l| l.starts_with("apply")
            && l.contains(" h2 ")
            && l.contains("nothing to change")),
        "{}",
        r.stdout
    );
    assert_eq!(since(logins(&servers), &seen), vec![1, 1]);
    assert_eq!(
        since(commands(&servers), &ran),
        vec![1, 3],
        "h2: receive apply=1 refused, then receive and apply"
    );

    // Destroy: one command per node too.
    let (seen, ran) = (logins(&servers), commands(&servers));
    h0.ok("mode=destroy vpc_name=vpc1");
    assert_eq!(since(logins(&servers), &seen), vec![1, 1]);
    assert_eq!(since(commands(&servers), &ran), vec![1, 1]);
    for h in lab.hosts() {
        assert!(vxlans(h).is_empty(), "{}", h.name());
    }
}

/// An encrypted VPC deployed over SSH: `deploy` asks each member for its
/// WireGuard key over the connection it already uses, writes them in one
/// generation and pushes the spec; the guests talk; no private key ever
/// reaches the initiator; `rotate_keys` then `deploy` gives every member a
/// new key; `destroy` leaves no WireGuard interface, rule set or key.
#[test]
fn netns_encrypted_deploy_fetches_keys_and_destroy_removes_them() {
    let Some(lab) = Lab::new("sshwg", 3) else {
        return;
    };
    let servers: Vec<Sshd> = (1..3).map(|i| Sshd::start(lab.host(i))).collect();
    identify(&lab, &[0, 1, 2], Underlay::V4);
    for (n, s) in servers.iter().enumerate() {
        let r = add(&lab, s, n + 1, "");
        assert_eq!(r.code, 0, "{r:?}");
    }
    let h0 = lab.host(0);
    h0.ok("mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24 encrypt=wireguard");
    let before = h0.ok("mode=export vpc_name=vpc1").json();
    let r = h0.run("mode=deploy vpc_name=vpc1 --json");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report = r.json();
    for node in ["h1", "h2"] {
        let key = result(&report, "key", node);
        assert_eq!(key["ok"], true, "{key}");
    }
    let spec = h0.ok("mode=export vpc_name=vpc1").json();
    assert_eq!(
        spec["generation"].as_u64().unwrap(),
        before["generation"].as_u64().unwrap() + 1,
        "all keys in one generation"
    );
    let keys: Vec<&str> = spec["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["wg_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 3);
    // Each member's key is its own, and its private half stayed there.
    for i in 1..3 {
        let h = lab.host(i);
        let mine = h.ok("mode=wg_key vpc_name=vpc1").stdout;
        assert!(keys.contains(&mine.trim()), "{}: {mine}", h.name());
        let private = std::fs::read_to_string(h.state_dir().join("keys/vpc1.key")).unwrap();
        for j in 0..3 {
            for f in walk(lab.host(j).state_dir()) {
                if j != i
                    && std::fs::read(&f).is_ok_and(|b| contains(&b, private.trim().as_bytes()))
                {
                    panic!("{}'s private key is in {}", h.name(), f.display());
                }
            }
        }
    }
    let guests: Vec<_> = (0..3)
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1370))
        .collect();
    // The members applied in parallel: a first handshake sent before its
    // peer's WireGuard was up is retried by WireGuard after 5 s, so a pair
    // may take that long to talk.
    for g in &guests {
        for n in 1..=3 {
            if n != g.host() + 1 {
                let addr = format!("10.10.11.{n}");
                assert!(
                    (0..4).any(|_| g.ping(&addr, 3, &[])),
                    "guest {} -> {n}",
                    g.host()
                );
            }
        }
    }

    // New keys everywhere, fetched and pushed by the next deploy.
    h0.ok("mode=rotate_keys vpc_name=vpc1");
    let r = h0.run("mode=deploy vpc_name=vpc1 --json");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rotated = h0.ok("mode=export vpc_name=vpc1").json();
    for (old, m) in keys.iter().zip(rotated["members"].as_array().unwrap()) {
        assert_ne!(m["wg_key"].as_str().unwrap(), *old, "{m}");
    }
    assert!(
        (0..4).any(|_| guests[0].ping("10.10.11.2", 3, &[])),
        "after rotation"
    );

    let r = h0.run("mode=destroy vpc_name=vpc1");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for i in 0..3 {
        let h = lab.host(i);
        assert!(
            !h.links()
                .iter()
                .any(|l| l["ifname"].as_str().is_some_and(|n| n.starts_with("vpcwg"))),
            "{}",
            h.name()
        );
        assert!(
            !h.sh(&["nft", "list", "table", "inet", "vpc_vpc1"])
                .status
                .success()
        );
        assert!(
            !h.state_dir().join("keys/vpc1.key").exists(),
            "{}",
            h.name()
        );
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
