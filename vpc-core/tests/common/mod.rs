//! What the operation tests share: a real store in a temporary directory
//! of its own, with this host `self` (198.18.0.1) and some known nodes.

#![allow(dead_code, reason = "each test file uses the parts it needs")]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::ops;
use vpc_core::store::{NodeRecord, Store};

/// A store in a directory of its own, removed on drop.
pub(crate) struct Fixture {
    pub dir: PathBuf,
    pub store: Store,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl Fixture {
    /// A store named after `suite` and `label`, holding this host `self`
    /// and the offline nodes `others` (name, last byte of 198.18.0.x).
    pub(crate) fn new(suite: &str, label: &str, others: &[(&str, u8)]) -> Fixture {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "vpc-core-{suite}-{label}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let store = Store::open(dir.join("state"));
        let f = Fixture { dir, store };
        ops::node_init(&f.store, node("self", 1)).unwrap();
        for (name, last) in others {
            ops::node_add_offline(&f.store, NodeRecord::new(node(name, *last))).unwrap();
        }
        f
    }
}

/// Node `name` at 198.18.0.`last`.
pub(crate) fn node(name: &str, last: u8) -> Node {
    Node::new(
        NodeName::new(name).unwrap(),
        Some([198, 18, 0, last].into()),
        None,
    )
    .unwrap()
}

/// The VPC the tests define, `v1`.
pub(crate) fn vpc() -> VpcName {
    VpcName::new("v1").unwrap()
}
