//! Desired state, observed state, and the pure planner between them.
//!
//! `desired(spec, node)` says which interfaces one node must have;
//! `plan(desired, observed)` lists the ordered changes that get it there.
//! Both are computed before anything is touched. A converged node plans
//! nothing, and only interfaces vpc can prove it made for the VPC
//! ([`Desired::made`]) ever appear in a change: an interface that merely
//! has one of the VPC's names is refused, never adopted.
//!
//! - [`state`]: the desired and observed state types, and [`desired`].
//! - [`diff`]: the ordered changes between them ([`plan`], [`teardown`]).
//! - [`guest`]: attaching and detaching guest ports, and re-attaching
//!   the recorded ones ([`reattach`]).
//! - [`health`](mod@health): `status`'s findings, derived from the plan.

pub mod diff;
pub mod guest;
pub mod health;
pub mod state;

pub use diff::{Change, Plan, Scope, check_addresses, check_underlay, owned_after, plan, teardown};
pub use guest::{attach, attach_undo, detach, reattach};
pub use health::{Health, TunnelHealth, health};
pub use state::{
    Desired, FIREWALL_PREFIX, Firewall, FirewallTable, Iface, IfaceKind, Observed, OwnedIface,
    OwnedKind, PacketFilter, Record, Tunnel, VxlanConf, WgDevice, WgPeer, Wireguard, desired,
};
