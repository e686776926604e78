//! Local operations: each reads the store, applies a pure model function
//! and commits the result under the store's lock. The CLI, the C ABI and
//! the Python module all call these, so they answer alike.
//!
//! - [`state`]: operations on the state directory alone.
//! - [`kernel`]: operations that read or change this host's kernel.
//! - [`run`]: requests in, reports out, for the doors.

pub mod kernel;
pub mod run;
pub mod state;

pub use kernel::{Preview, attach, converge, detach, dry_run, leave, remove, status, teardown};
pub use state::{
    add_member, define_vpc, init_rc, node_add_offline, node_add_or_replace, node_init, node_remove,
    receive, remove_member, set_bridge_addrs, set_member, vpc_init, vpc_remove,
};
