//! `struct in6_aliasreq` (136 bytes) and the `struct in6_addrlifetime`
//! inside it: `SIOCAIFADDR_IN6`'s argument, an IPv6 address with its
//! prefix mask and lifetimes.

use std::net::Ipv6Addr;

use super::super::abi;
use super::bytes::{put, put_u32};
use super::request::{Request, Socket};
use super::sockaddr::sockaddr_in6;
use super::value::IfName;
use crate::error::{Error, Result};

/// The fields this codec writes, as byte ranges (no destination address,
/// flags or CARP vhid: zero).
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `ifra_name`.
    pub(crate) const NAME: Range<usize> = abi::IFRA6_NAME..abi::IFRA6_NAME + abi::IFNAMSIZ;
    /// `ifra_addr` (`sockaddr_in6`).
    pub(crate) const ADDR: Range<usize> = abi::IFRA6_ADDR..abi::IFRA6_ADDR + abi::SOCKADDR_IN6;
    /// `ifra_prefixmask` (`sockaddr_in6`).
    pub(crate) const PREFIXMASK: Range<usize> =
        abi::IFRA6_PREFIXMASK..abi::IFRA6_PREFIXMASK + abi::SOCKADDR_IN6;
    /// `ifra_lifetime.ia6t_vltime` (u32).
    pub(crate) const VLTIME: Range<usize> =
        abi::IFRA6_LIFETIME + abi::IA6T_VLTIME..abi::IFRA6_LIFETIME + abi::IA6T_VLTIME + 4;
    /// `ifra_lifetime.ia6t_pltime` (u32).
    pub(crate) const PLTIME: Range<usize> =
        abi::IFRA6_LIFETIME + abi::IA6T_PLTIME..abi::IFRA6_LIFETIME + abi::IA6T_PLTIME + 4;
}

fn v6_mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// `SIOCAIFADDR_IN6` (AF_INET6 socket) with an `in6_aliasreq`: address,
/// prefix mask, infinite lifetimes (a valid lifetime of 0 adds nothing and
/// still answers success).
pub fn add_inet6(name: &IfName, addr: Ipv6Addr, prefix: u8) -> Result<Request> {
    if prefix > 128 {
        return Err(Error::invalid(format!(
            "prefix length {prefix} of {addr} is not valid: expected 0 to 128"
        )));
    }
    let mut req = vec![0u8; abi::IN6_ALIASREQ];
    put(&mut req, field::NAME, &name.field());
    put(&mut req, field::ADDR, &sockaddr_in6(addr, 0));
    put(
        &mut req,
        field::PREFIXMASK,
        &sockaddr_in6(Ipv6Addr::from(v6_mask(prefix)), 0),
    );
    put_u32(&mut req, field::VLTIME, abi::ND6_INFINITE_LIFETIME);
    put_u32(&mut req, field::PLTIME, abi::ND6_INFINITE_LIFETIME);
    Ok(Request::new(
        format!("add {addr}/{prefix} to {name}"),
        abi::SIOCAIFADDR_IN6,
        Socket::Inet6,
        req,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::test_util::{hex, n};

    /// IPv6 link address 2001:db8:100::1/126 on vpc1.
    #[test]
    fn add_inet6_is_byte_exact() {
        let r = add_inet6(&n("vpc1"), "2001:db8:100::1".parse().unwrap(), 126).unwrap();
        assert_eq!(r.code, 0x8088_691b);
        assert_eq!(r.socket, Socket::Inet6);
        assert_eq!(
            r.outer,
            hex("
                76 70 63 31 00*12         # ifra_name \"vpc1\"
                1c 1c 00 00 00 00 00 00   # ifra_addr: len 28, AF_INET6 28, port, flowinfo
                20 01 0d b8 01 00 00 00 00 00 00 00 00 00 00 01   # 2001:db8:100::1
                00 00 00 00               #   scope id
                00*28                     # ifra_dstaddr: none
                1c 1c 00 00 00 00 00 00   # ifra_prefixmask: len 28, AF_INET6
                ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff fc   # /126
                00 00 00 00               #   scope id
                00 00 00 00               # ifra_flags
                00*8                      # ia6t_expire
                00*8                      # ia6t_preferred
                ff ff ff ff               # ia6t_vltime: infinite
                ff ff ff ff               # ia6t_pltime: infinite
                00 00 00 00               # ifra_vhid
                00 00 00 00               # padding
            ")
        );
        assert!(add_inet6(&n("vpc1"), "2001:db8::1".parse().unwrap(), 129).is_err());
        let all = add_inet6(&n("vpc1"), "2001:db8::1".parse().unwrap(), 0).unwrap();
        assert!(all.outer[80..96].iter().all(|&b| b == 0));
    }
}
