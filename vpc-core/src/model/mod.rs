//! The pure model: names, addresses, the mesh, MTU, quotas and the spec.
//! No clocks, files or sockets here.

pub mod addr;
pub mod members;
pub mod mesh;
pub mod mtu;
pub mod name;
pub mod node;
pub mod platform;
pub mod quota;
pub mod spec;
