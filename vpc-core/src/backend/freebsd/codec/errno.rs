//! FreeBSD's `errno` numbers (`abi`'s, never the host's) as names and
//! words: what a refused request tells its user.

use super::super::abi;
use crate::error::{Error, ErrorKind};

/// FreeBSD's name of `errno`, for the numbers these requests meet.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        abi::EPERM => "EPERM",
        abi::ENOENT => "ENOENT",
        abi::ENXIO => "ENXIO",
        abi::EFAULT => "EFAULT",
        abi::EBUSY => "EBUSY",
        abi::EEXIST => "EEXIST",
        abi::EINVAL => "EINVAL",
        abi::ENOTTY => "ENOTTY",
        abi::ENOSPC => "ENOSPC",
        abi::EDESTADDRREQ => "EDESTADDRREQ",
        abi::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        abi::EOPNOTSUPP => "EOPNOTSUPP",
        abi::EAFNOSUPPORT => "EAFNOSUPPORT",
        abi::EADDRINUSE => "EADDRINUSE",
        abi::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        abi::ENAMETOOLONG => "ENAMETOOLONG",
        abi::ENOMSG => "ENOMSG",
        _ => return None,
    })
}

/// What a FreeBSD `errno` means for these requests, in words.
pub fn errno_message(errno: i32) -> &'static str {
    match errno {
        abi::EPERM => {
            "not permitted: changing interfaces needs root (in a jail, a VNET jail allowed to)"
        }
        abi::ENXIO => "no such interface",
        abi::EEXIST => {
            "already exists (an interface of that name or unit, or a member of this bridge)"
        }
        abi::EINVAL => {
            "invalid argument (for a create: no such cloner, is the if_vxlan or if_bridge \
             module loaded?; otherwise a value the kernel refuses)"
        }
        abi::EBUSY => {
            "busy: a running vxlan's tunnel settings cannot change (bring it down first), or \
             the interface is a member of another bridge"
        }
        abi::ENOENT => "not found: no such interface, or it is not a member of the bridge",
        abi::EADDRNOTAVAIL => "the address is not on the interface",
        abi::ENAMETOOLONG => {
            "too long: names take at most 15 bytes, descriptions at most net.ifdescr_maxlen"
        }
        abi::EOPNOTSUPP => {
            "not supported (recent kernels refuse an MTU change on a bridge member: set the \
             bridge's MTU instead)"
        }
        abi::ENOSPC => "no free unit left for the interface cloner",
        abi::EAFNOSUPPORT => {
            "address family not supported (IPv6 on a kernel without INET6, or a forwarding \
             entry of another family than the remote)"
        }
        abi::EFAULT => "bad address passed to the kernel (a bug in this program)",
        abi::ENOTTY => "the interface does not know this request",
        abi::EDESTADDRREQ => "a destination address is required on a point-to-point interface",
        abi::EPROTONOSUPPORT => "not supported: CARP is not loaded",
        abi::EADDRINUSE => "the address or UDP port is in use",
        abi::ENOMSG => "the interface has no description",
        _ => "unexpected error",
    }
}

/// The error for a request (`what`) the kernel refused with `errno`.
pub fn ioctl_error(what: &str, errno: i32) -> Error {
    let name = errno_name(errno).unwrap_or("errno");
    Error::new(
        ErrorKind::Backend,
        format!("{what}: {} ({name} {errno})", errno_message(errno)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_messages_cover_the_reference_table() {
        // §6's table, by FreeBSD number.
        let table = [
            (1, "EPERM", "not permitted"),
            (6, "ENXIO", "no such interface"),
            (17, "EEXIST", "already exists"),
            (22, "EINVAL", "module loaded"),
            (16, "EBUSY", "bring it down first"),
            (2, "ENOENT", "not a member"),
            (49, "EADDRNOTAVAIL", "not on the interface"),
            (63, "ENAMETOOLONG", "too long"),
            (45, "EOPNOTSUPP", "bridge member"),
            (28, "ENOSPC", "no free unit"),
            (47, "EAFNOSUPPORT", "INET6"),
            (14, "EFAULT", "bug"),
        ];
        for (errno, name, needle) in table {
            assert_eq!(errno_name(errno), Some(name));
            assert!(errno_message(errno).contains(needle), "{name}");
        }
        // The host's numbers are not FreeBSD's: Linux's EOPNOTSUPP is 95.
        assert_eq!(errno_name(95), None);
        assert_eq!(errno_message(95), "unexpected error");
        let e = ioctl_error("add vxlan1 to bridge vpc1", 16);
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(
            e.message().starts_with("add vxlan1 to bridge vpc1: busy: ")
                && e.message().ends_with("(EBUSY 16)"),
            "{e}"
        );
        assert!(ioctl_error("x", 999).message().ends_with("(errno 999)"));
    }
}
