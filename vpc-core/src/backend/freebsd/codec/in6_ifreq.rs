//! `struct in6_ifreq` (288 bytes: its union holds `struct icmp6_ifstat`):
//! `SIOCDIFADDR_IN6`'s argument. Sent whole, as a shorter struct changes
//! the request code.

use std::net::Ipv6Addr;

use super::super::abi;
use super::bytes::put;
use super::request::{Request, Socket};
use super::sockaddr::sockaddr_in6;
use super::value::IfName;

/// The fields this codec writes, as byte ranges.
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `ifr_name`.
    pub(crate) const NAME: Range<usize> = abi::IN6_IFR_NAME..abi::IN6_IFR_NAME + abi::IFNAMSIZ;
    /// `ifr_addr` (`sockaddr_in6`).
    pub(crate) const ADDR: Range<usize> = abi::IN6_IFR_ADDR..abi::IN6_IFR_ADDR + abi::SOCKADDR_IN6;
}

/// `SIOCDIFADDR_IN6` (AF_INET6 socket) with a full 288-byte `in6_ifreq`
/// (a shorter struct changes the request code).
pub fn del_inet6(name: &IfName, addr: Ipv6Addr) -> Request {
    let mut req = vec![0u8; abi::IN6_IFREQ];
    put(&mut req, field::NAME, &name.field());
    put(&mut req, field::ADDR, &sockaddr_in6(addr, 0));
    Request::new(
        format!("delete {addr} from {name}"),
        abi::SIOCDIFADDR_IN6,
        Socket::Inet6,
        req,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::test_util::{hex, n};

    #[test]
    fn del_inet6_is_byte_exact() {
        let r = del_inet6(&n("vxlan2"), "2001:db8:100::2".parse().unwrap());
        assert_eq!(r.code, 0x8120_6919);
        assert_eq!(r.socket, Socket::Inet6);
        assert_eq!(
            r.outer,
            hex("
                76 78 6c 61 6e 32 00*10   # ifr_name \"vxlan2\"
                1c 1c 00 00 00 00 00 00   # ifr_addr: len 28, AF_INET6, port, flowinfo
                20 01 0d b8 01 00 00 00 00 00 00 00 00 00 00 02
                00 00 00 00               # scope id
                00*244                    # the rest of the 288-byte in6_ifreq
            ")
        );
    }
}
