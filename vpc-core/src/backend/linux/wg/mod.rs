//! WireGuard on Linux, two ways, chosen per host when an interface is
//! created:
//!
//! - **the kernel's** (`wireguard` links, Linux 5.6 and later): created
//!   with `RTM_NEWLINK` like any link (see [`super::codec`]), configured
//!   and read over generic netlink, family `wireguard` ([`genl`]);
//! - **wireguard-go**, where the kernel refuses that kind (`EOPNOTSUPP`,
//!   "Unknown device type": no module): one `wireguard-go <name>` process
//!   per interface, owning a TUN link (kind `tun`), configured and read
//!   over its UAPI socket `/var/run/wireguard/<name>.sock` ([`uapi`]).
//!
//! Either way the link is destroyed with `RTM_DELLINK`; wireguard-go
//! notices its TUN is gone, removes its socket and exits.
//!
//! [`genl`] and [`uapi`] are pure (bytes and text in, values out, tested
//! here); [`sys`] holds the generic netlink socket, the UAPI socket and
//! the one process spawn. No message or error ever shows a private key.

pub mod genl;
pub(super) mod sys;
pub mod uapi;

use crate::model::spec::WG_INTERFACE_PREFIX;

/// How one WireGuard interface is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// The kernel's `wireguard` link.
    Kernel,
    /// A `tun` link served by a wireguard-go process.
    Userspace,
}

/// Whether `name` is one vpc gives its WireGuard interfaces: only those
/// are read (never the administrator's `wg0`).
pub fn is_ours(name: &str) -> bool {
    name.strip_prefix(WG_INTERFACE_PREFIX)
        .is_some_and(|rest| !rest.is_empty())
}

/// The userspace implementation's program, looked up on `PATH`.
pub const WIREGUARD_GO: &str = "wireguard-go";

/// Where wireguard-go's UAPI sockets are (one directory for the whole
/// host: it is not per network namespace).
pub const SOCKET_DIR: &str = "/var/run/wireguard";

/// The UAPI socket of interface `name`.
pub fn socket_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(SOCKET_DIR).join(format!("{name}.sock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_vpc_names_are_read() {
        assert!(is_ours("vpcwg100"));
        assert!(!is_ours("vpcwg"));
        assert!(!is_ours("wg0"));
        assert!(!is_ours("xvpcwg1"));
        assert_eq!(
            socket_path("vpcwg7").to_str(),
            Some("/var/run/wireguard/vpcwg7.sock")
        );
    }
}
