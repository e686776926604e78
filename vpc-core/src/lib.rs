//! `vpc-core`: stretched layer-2 VPCs over VXLAN.
//!
//! Layers, from pure to effectful:
//!
//! - [`model`]: names, addresses, member slots, pair numbering, VNIs,
//!   link addresses, MTU and quotas. Pure functions of a [`Spec`].
//! - [`plan`]: a node's desired state, its observed state, and the ordered
//!   changes between them. Pure.
//! - [`backend`]: carries changes out against a kernel (memory and dry-run
//!   here; Linux and FreeBSD behind the same trait).
//! - [`store`]: the state directory, with atomic writes and a lock.
//! - [`boot`]: the rc.d script and systemd unit that bring a VPC back.
//! - [`backend::probe`]: ICMP echoes to the far ends of tunnels, for `status`.
//! - `cluster` (feature `ssh`): node exchange, sync, deploy and destroy
//!   over SSH.
//! - [`request`] and [`report`]: what each operation is asked, read once
//!   from `key=value` pairs, and the versioned document it answers with.
//! - [`ops`]: the operations, tying the store to the model and the
//!   kernel; [`ops::run`] takes requests and gives reports, and is what
//!   the three doors (CLI, C, Python) call, so they answer alike.
//!
//! Vocabulary: a *node* is a host; a *slot* is a member's fixed position
//! in a VPC (slot 0 is the initiator); a *pair* or *link* is one tunnel
//! between two members; the *peer network* is the CIDR link addresses are
//! cut from; the *VPC bridge* holds a node's tunnels and guest ports.
//!
//! [`Spec`]: model::spec::Spec

pub mod backend;
pub mod boot;
#[cfg(feature = "ssh")]
pub mod cluster;
pub mod error;
pub mod model;
pub mod ops;
pub mod plan;
pub mod render;
pub mod report;
pub mod request;
pub mod store;

pub use error::{Error, ErrorKind, Result};
