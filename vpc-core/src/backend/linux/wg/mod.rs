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

/// Whether `table` (the text of `/proc/net/unix`, which lists the Unix
/// sockets of one network namespace) holds a socket listening on `path`.
/// The socket directory is the whole host's, so a wireguard-go of another
/// namespace may hold the name: only a socket listed here is this
/// namespace's.
pub fn listening_in(table: &str, path: &std::path::Path) -> bool {
    /// `__SO_ACCEPTCON`: the socket listens.
    const ACCEPTCON: u32 = 1 << 16;
    let Some(path) = path.to_str() else {
        return false;
    };
    table.lines().skip(1).any(|line| {
        // Num RefCount Protocol Flags Type St Inode Path
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() == 8
            && fields[7] == path
            && u32::from_str_radix(fields[3], 16).is_ok_and(|f| f & ACCEPTCON != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_listening_in_this_namespace() {
        // /proc/net/unix inside a namespace where wireguard-go runs for
        // vpcwg7778 (captured here), plus a connection to it.
        let table = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            000000007b20b3ff: 00000002 00000000 00010000 0001 01 1547310 /var/run/wireguard/vpcwg7778.sock\n\
            00000000a1b2c3d4: 00000003 00000000 00000000 0001 03 1547400 /var/run/wireguard/vpcwg7779.sock\n\
            00000000a1b2c3d5: 00000003 00000000 00000000 0001 03 1547401\n";
        assert!(listening_in(table, &socket_path("vpcwg7778")));
        // Connected, not listening; absent; a longer name.
        assert!(!listening_in(table, &socket_path("vpcwg7779")));
        assert!(!listening_in(table, &socket_path("vpcwg1")));
        assert!(!listening_in(table, &socket_path("vpcwg777")));
        assert!(!listening_in("", &socket_path("vpcwg7778")));
    }

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
