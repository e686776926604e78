//! A spec as `mode=receive` reads it from a peer: JSON text. A hostile spec
//! must give errors, not panics, and must not make a member allocate or
//! compute without bound. What a member does with a spec it accepted (the
//! peer map, the MTU, a dry run for a member, membership changes) must not
//! panic either.
//!
//! Input: the JSON text (UTF-8, as `receive` reads stdin).

#![no_main]

use libfuzzer_sys::fuzz_target;
use vpc_core::backend::dryrun::DryRun;
use vpc_core::model::spec::Spec;
use vpc_core::ops::{self, Preview};
use vpc_core::plan::{self, Observed, Scope};
use vpc_core::model::platform::Platform;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = Spec::from_json(text) else {
        return;
    };
    // A spec that passed its checks has an MTU and a peer map.
    spec.mtu().expect("a checked spec has an MTU");
    let map = spec.peer_map().expect("a checked spec has a peer map");
    // `departed` holds nodes removed and not back: never a member, never
    // twice (`deploy` runs `leave` on each of them).
    for (i, gone) in spec.departed.iter().enumerate() {
        assert!(spec.slot_of(gone).is_none(), "departed {gone} is a member");
        assert!(
            !spec.departed[..i].contains(gone),
            "departed lists {gone} twice"
        );
    }
    // What it writes is what it read.
    assert_eq!(Spec::from_json(&spec.to_json()).ok().as_ref(), Some(&spec));

    let Some(first) = spec.members().next() else {
        unreachable!("a checked spec has an initiator");
    };
    let name = &first.node.name;
    for platform in [Platform::Linux, Platform::FreeBsd] {
        let desired = plan::desired(&spec, name, platform).expect("a member has a desired state");
        let mine = map.iter().filter(|l| l.side(0).is_some()).count();
        assert_eq!(
            desired.tunnels.len(),
            mine,
            "the member's links, as in the map"
        );
        let _ = plan::plan(&desired, &Observed::default(), Scope::All);
        for preview in [Preview::Converge(Scope::All), Preview::Teardown(Scope::All)] {
            let mut backend = DryRun::new(platform, Observed::default());
            let _ = ops::dry_run(&spec, name, &mut backend, preview);
        }
    }

    // Membership changes on a received spec: errors, never panics.
    if let Some(last) = spec.members().last().filter(|m| &m.node.name != name) {
        let mut changed = spec.clone();
        if changed.remove_member(&last.node.name).is_ok() {
            assert!(changed.generation > spec.generation);
            let mut back = changed.clone();
            if back.add_member(last.node.clone()).is_ok() {
                assert!(back.generation > changed.generation);
            }
        }
    }
    let mut changed = spec.clone();
    let _ = changed.set_bridge_addrs(name, Vec::new());
});
