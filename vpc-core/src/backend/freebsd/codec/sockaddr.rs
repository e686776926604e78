//! `struct sockaddr_in`, `struct sockaddr_in6` and `union vxlan_sockaddr`
//! (the two overlaid in 28 bytes). One file for the three: they share the
//! BSD length-and-family prefix and are only ever written whole, inside
//! the requests of the other files.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::super::abi;
use super::bytes::{get, get_u8, malformed, put, put_u8};
use crate::error::Result;

/// The fields this codec writes or reads, as byte ranges.
pub(crate) mod field {
    /// `struct sockaddr_in`.
    pub(crate) mod sin {
        use crate::backend::freebsd::abi;
        use core::ops::Range;

        /// `sin_len` (u8).
        pub(crate) const LEN: Range<usize> = abi::SIN_LEN..abi::SIN_LEN + 1;
        /// `sin_family` (u8).
        pub(crate) const FAMILY: Range<usize> = abi::SIN_FAMILY..abi::SIN_FAMILY + 1;
        /// `sin_port` (network order).
        pub(crate) const PORT: Range<usize> = abi::SIN_PORT..abi::SIN_PORT + 2;
        /// `sin_addr` (network order).
        pub(crate) const ADDR: Range<usize> = abi::SIN_ADDR..abi::SIN_ADDR + 4;
    }

    /// `struct sockaddr_in6`.
    pub(crate) mod sin6 {
        use crate::backend::freebsd::abi;
        use core::ops::Range;

        /// `sin6_len` (u8).
        pub(crate) const LEN: Range<usize> = abi::SIN6_LEN..abi::SIN6_LEN + 1;
        /// `sin6_family` (u8).
        pub(crate) const FAMILY: Range<usize> = abi::SIN6_FAMILY..abi::SIN6_FAMILY + 1;
        /// `sin6_port` (network order).
        pub(crate) const PORT: Range<usize> = abi::SIN6_PORT..abi::SIN6_PORT + 2;
        /// `sin6_addr`.
        pub(crate) const ADDR: Range<usize> = abi::SIN6_ADDR..abi::SIN6_ADDR + 16;
    }

    /// `union vxlan_sockaddr`.
    pub(crate) mod vxlan {
        use crate::backend::freebsd::abi;
        use core::ops::Range;

        /// `in4`: the `sockaddr_in` member.
        pub(crate) const IN4: Range<usize> = 0..abi::SOCKADDR_IN;
    }
}

/// A `sockaddr_in` holding `addr` and `port` (network order).
pub(super) fn sockaddr_in(addr: Ipv4Addr, port: u16) -> [u8; abi::SOCKADDR_IN] {
    let mut sa = [0u8; abi::SOCKADDR_IN];
    put_u8(&mut sa, field::sin::LEN, abi::SOCKADDR_IN as u8);
    put_u8(&mut sa, field::sin::FAMILY, abi::AF_INET);
    put(&mut sa, field::sin::PORT, &port.to_be_bytes());
    put(&mut sa, field::sin::ADDR, &addr.octets());
    sa
}

/// A `sockaddr_in6` holding `addr` and `port` (network order).
pub(super) fn sockaddr_in6(addr: Ipv6Addr, port: u16) -> [u8; abi::SOCKADDR_IN6] {
    let mut sa = [0u8; abi::SOCKADDR_IN6];
    put_u8(&mut sa, field::sin6::LEN, abi::SOCKADDR_IN6 as u8);
    put_u8(&mut sa, field::sin6::FAMILY, abi::AF_INET6);
    put(&mut sa, field::sin6::PORT, &port.to_be_bytes());
    // Flow info and scope stay 0: only global addresses get here.
    put(&mut sa, field::sin6::ADDR, &addr.octets());
    sa
}

/// A `union vxlan_sockaddr` (28 bytes) holding `addr`; `port` goes in
/// `sin_port` (network order).
pub(super) fn vxlan_sockaddr(addr: IpAddr, port: u16) -> [u8; abi::VXLAN_SOCKADDR] {
    match addr {
        IpAddr::V4(a) => {
            let mut sa = [0u8; abi::VXLAN_SOCKADDR];
            put(&mut sa, field::vxlan::IN4, &sockaddr_in(a, port));
            sa
        }
        IpAddr::V6(a) => sockaddr_in6(a, port),
    }
}

/// Reads the `union vxlan_sockaddr` at `at`: the address (`None` when
/// unset: family 0, or the any address) and `sin_port`.
pub(super) fn read_vxlan_sockaddr(
    buf: &[u8],
    at: Range<usize>,
    what: &str,
) -> Result<(Option<IpAddr>, u16)> {
    let sa: [u8; abi::VXLAN_SOCKADDR] = get(buf, at.clone(), what)?;
    // The family and port sit at the same offsets in both members.
    let family = get_u8(&sa, field::sin::FAMILY, what)?;
    let port = u16::from_be_bytes(get(&sa, field::sin::PORT, what)?);
    let addr = match family {
        // A fresh vxlan's addresses are zeroed apart from the port.
        abi::AF_UNSPEC => None,
        abi::AF_INET => Some(IpAddr::V4(Ipv4Addr::from(get::<4>(
            &sa,
            field::sin::ADDR,
            what,
        )?))),
        abi::AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(get::<16>(
            &sa,
            field::sin6::ADDR,
            what,
        )?))),
        other => {
            return Err(malformed(
                what,
                format_args!(
                    "unknown address family {other} at offset {} (expected 0, 2 or 28)",
                    at.start
                ),
            ));
        }
    };
    Ok((addr.filter(|a| !a.is_unspecified()), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs_are_byte_exact() {
        let sin = sockaddr_in(Ipv4Addr::new(192, 0, 2, 9), 4789);
        assert_eq!(sin[..8], [0x10, 0x02, 0x12, 0xb5, 0xc0, 0x00, 0x02, 0x09]);
        assert!(sin[8..].iter().all(|&b| b == 0));
        let v4 = vxlan_sockaddr(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)), 4789);
        assert_eq!(v4[..16], sin);
        assert!(v4[16..].iter().all(|&b| b == 0));
        let v6: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let sin6 = vxlan_sockaddr(IpAddr::V6(v6), 0);
        assert_eq!(sin6[..8], [0x1c, 0x1c, 0, 0, 0, 0, 0, 0]);
        assert_eq!(sin6[8..24], v6.octets());
        assert_eq!(
            read_vxlan_sockaddr(&sin6, 0..28, "t").unwrap(),
            (Some(IpAddr::V6(v6)), 0)
        );
    }
}
