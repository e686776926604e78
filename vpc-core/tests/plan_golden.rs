//! Planner golden cases: each directory under `tests/plan/` holds a spec, an
//! observed node, the expected plan (`expected.txt`) and the health
//! `status` derives from them before probing (`health.txt`).
//! `UPDATE_GOLDEN=1` rewrites the expected files; review the diff before
//! committing it.
//!
//! Every case that plans is also carried out on the memory kernel, which
//! must then converge (a second plan is empty) without changing any
//! interface the VPC does not own; a converged whole VPC has no
//! difference left and every tunnel present, matching and up.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use vpc_core::backend::Backend;
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::model::name::NodeName;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::Spec;
use vpc_core::plan::{self, Observed, Plan, Scope};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[allow(
        dead_code,
        reason = "documentation for the reader of the case directory"
    )]
    about: String,
    node: String,
    platform: Platform,
    scope: String,
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

fn render(result: &Result<Plan, vpc_core::Error>) -> String {
    match result {
        Ok(p) => {
            let mut s = String::new();
            for c in &p.changes {
                s.push_str(&format!("{c}\n"));
            }
            for w in &p.warnings {
                s.push_str(&format!("warning: {w}\n"));
            }
            if s.is_empty() {
                "(no changes)\n".to_owned()
            } else {
                s
            }
        }
        Err(e) => format!("error ({}): {}\n", e.kind(), e.message()),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The differences one per line, then one line per tunnel.
fn render_health(result: &Result<plan::Health, vpc_core::Error>) -> String {
    let h = match result {
        Ok(h) => h,
        Err(e) => return format!("error ({}): {}\n", e.kind(), e.message()),
    };
    let mut s = String::new();
    for d in &h.differences {
        s.push_str(&format!("difference: {d}\n"));
    }
    if h.differences.is_empty() {
        s.push_str("(no differences)\n");
    }
    for t in &h.tunnels {
        s.push_str(&format!(
            "tunnel {} to {} (VNI {}, far end {}): present {}, matching {}, up {}, running {}\n",
            t.interface,
            t.peer,
            t.vni,
            t.peer_addr,
            yes(t.present),
            yes(t.matching),
            yes(t.up),
            yes(t.running)
        ));
    }
    if !h.probed {
        s.push_str("far ends not probed: no link addresses\n");
    }
    s
}

/// Compares `got` with `dir/file`, first rewriting the file under
/// `UPDATE_GOLDEN`.
fn golden(dir: &Path, file: &str, got: &str) {
    let path = dir.join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, got).unwrap();
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(got, expected, "{}: differs from {file}", dir.display());
}

fn run_case(dir: &Path) {
    let case: Case = serde_json::from_str(&read(dir, "case.json")).unwrap();
    let spec = Spec::from_json(&read(dir, "spec.json")).unwrap();
    let observed: Observed = serde_json::from_str(&read(dir, "observed.json")).unwrap();
    let node = NodeName::new(&case.node).unwrap();
    let desired = plan::desired(&spec, &node, case.platform).unwrap();
    let scope = match case.scope.as_str() {
        "all" => Some(Scope::All),
        "tunnels" => Some(Scope::Tunnels),
        "bridge" => Some(Scope::Bridge),
        "teardown" => None,
        other => panic!("{}: scope {other}", dir.display()),
    };
    let result = match scope {
        Some(scope) => plan::plan(&desired, &observed, scope),
        None => Ok(plan::teardown(&desired, &observed, Scope::All)),
    };
    let got = render(&result);
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&expected_path, &got).unwrap();
    }
    let expected = fs::read_to_string(&expected_path).unwrap_or_default();
    assert_eq!(
        got,
        expected,
        "{}: plan differs from expected.txt",
        dir.display()
    );
    golden(
        dir,
        "health.txt",
        &render_health(&plan::health(&desired, &observed)),
    );

    // Carry the plan out and check what it did.
    let Ok(p) = result else { return };
    let mut kernel = MemoryKernel::with(case.platform, observed.clone());
    kernel
        .apply(&p.changes)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let after = kernel.snapshot();
    // The VPC's own interfaces: its name and range, the right kind, and
    // vpc's mark (a bridge or vxlan merely named like the VPC's is foreign).
    let owned = |i: &plan::Iface| {
        spec.owns(&i.name)
            && matches!(
                (&i.kind, i.name == spec.name.as_str()),
                (plan::IfaceKind::Bridge, true) | (plan::IfaceKind::Vxlan(_), false)
            )
            && desired.made(i)
    };
    let bridge_gone = after.get(spec.name.as_str()).is_none();
    for before in observed.ifaces.iter().filter(|i| !owned(i)) {
        let now = after.get(&before.name);
        if scope.is_none() && bridge_gone && before.master.as_deref() == Some(spec.name.as_str()) {
            // A guest port stays, released by the destroyed bridge.
            let now = now.unwrap_or_else(|| panic!("{}: {} vanished", dir.display(), before.name));
            assert_eq!(now.master, None, "{}: {}", dir.display(), before.name);
            continue;
        }
        assert_eq!(
            now,
            Some(before),
            "{}: foreign {} was changed",
            dir.display(),
            before.name
        );
    }
    match scope {
        Some(scope) => {
            let again = plan::plan(&desired, &after, scope).unwrap();
            assert!(
                again.changes.is_empty(),
                "{}: not converged: {:?}",
                dir.display(),
                again.changes
            );
            if scope == Scope::All {
                let h = plan::health(&desired, &after).unwrap();
                assert_eq!(
                    h.differences,
                    Vec::<String>::new(),
                    "{}: differences left after apply",
                    dir.display()
                );
                // Not `running`: that is the kernel's to report, and the
                // memory kernel keeps what the case's observed node says.
                assert!(
                    h.tunnels.iter().all(|t| t.present && t.matching && t.up),
                    "{}: tunnels after apply: {:?}",
                    dir.display(),
                    h.tunnels
                );
            }
        }
        None => {
            let left: Vec<&str> = after
                .ifaces
                .iter()
                .filter(|i| owned(i))
                .map(|i| i.name.as_str())
                .collect();
            assert!(
                left.is_empty(),
                "{}: {left:?} survived teardown",
                dir.display()
            );
        }
    }
}

#[test]
fn golden_plans() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/plan");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 9,
        "golden cases are missing from {}",
        root.display()
    );
    for dir in dirs {
        run_case(&dir);
    }
}
