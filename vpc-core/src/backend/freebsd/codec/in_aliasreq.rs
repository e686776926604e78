//! `struct in_aliasreq` (68 bytes): `SIOCAIFADDR`'s argument, an IPv4
//! address with its broadcast address and mask. (The delete,
//! `SIOCDIFADDR`, takes an `ifreq`: `del_inet` is in `ifreq.rs`.)

use std::net::Ipv4Addr;

use super::super::abi;
use super::bytes::put;
use super::request::{Request, Socket};
use super::sockaddr::sockaddr_in;
use super::value::IfName;
use crate::error::{Error, Result};

/// The fields this codec writes, as byte ranges (`ifra_vhid`, CARP, stays 0).
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `ifra_name`.
    pub(crate) const NAME: Range<usize> = abi::IFRA_NAME..abi::IFRA_NAME + abi::IFNAMSIZ;
    /// `ifra_addr` (`sockaddr_in`).
    pub(crate) const ADDR: Range<usize> = abi::IFRA_ADDR..abi::IFRA_ADDR + abi::SOCKADDR_IN;
    /// `ifra_broadaddr` / `ifra_dstaddr` (`sockaddr_in`).
    pub(crate) const BROADADDR: Range<usize> =
        abi::IFRA_BROADADDR..abi::IFRA_BROADADDR + abi::SOCKADDR_IN;
    /// `ifra_mask` (`sockaddr_in`).
    pub(crate) const MASK: Range<usize> = abi::IFRA_MASK..abi::IFRA_MASK + abi::SOCKADDR_IN;
}

fn v4_mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

/// `SIOCAIFADDR` (on an AF_INET socket) with an `in_aliasreq`: address,
/// broadcast and mask. Adding an address the interface has replaces it.
pub fn add_inet(name: &IfName, addr: Ipv4Addr, prefix: u8) -> Result<Request> {
    if prefix > 32 {
        return Err(Error::invalid(format!(
            "prefix length {prefix} of {addr} is not valid: expected 0 to 32"
        )));
    }
    let mask = v4_mask(prefix);
    let mut req = vec![0u8; abi::IN_ALIASREQ];
    put(&mut req, field::NAME, &name.field());
    put(&mut req, field::ADDR, &sockaddr_in(addr, 0));
    // /31 and /32 have no broadcast address (RFC 3021): left zero, for the
    // kernel to derive. Otherwise the same value the kernel would derive.
    if prefix <= 30 {
        let broadcast = Ipv4Addr::from(u32::from(addr) | !mask);
        put(&mut req, field::BROADADDR, &sockaddr_in(broadcast, 0));
    }
    put(&mut req, field::MASK, &sockaddr_in(Ipv4Addr::from(mask), 0));
    Ok(Request::new(
        format!("add {addr}/{prefix} to {name}"),
        abi::SIOCAIFADDR,
        Socket::Inet,
        req,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::test_util::{hex, n};

    /// IPv4 link address 10.100.0.1/30 on vxlan1.
    #[test]
    fn add_inet_is_byte_exact() {
        let r = add_inet(&n("vxlan1"), "10.100.0.1".parse().unwrap(), 30).unwrap();
        assert_eq!(r.code, 0x8044_692b);
        assert_eq!(r.socket, Socket::Inet);
        assert_eq!(r.inner, None);
        assert_eq!(
            r.outer,
            hex("
                76 78 6c 61 6e 31 00*10   # ifra_name \"vxlan1\"
                10 02 00 00 0a 64 00 01 00*8   # ifra_addr: len 16, AF_INET, port 0, 10.100.0.1
                10 02 00 00 0a 64 00 03 00*8   # ifra_broadaddr 10.100.0.3
                10 02 00 00 ff ff ff fc 00*8   # ifra_mask 255.255.255.252
                00 00 00 00                    # ifra_vhid
            ")
        );
        // /31 and /32: no broadcast address, left to the kernel.
        let r = add_inet(&n("vxlan1"), "10.100.0.0".parse().unwrap(), 31).unwrap();
        assert!(r.outer[32..48].iter().all(|&b| b == 0));
        assert_eq!(&r.outer[48..56], &hex("10 02 00 00 ff ff ff fe")[..]);
        let r = add_inet(&n("vxlan1"), "10.0.0.1".parse().unwrap(), 0).unwrap();
        assert_eq!(&r.outer[48..56], &hex("10 02 00 00 00 00 00 00")[..]);
        assert_eq!(&r.outer[32..40], &hex("10 02 00 00 ff ff ff ff")[..]);
        assert!(add_inet(&n("vxlan1"), "10.0.0.1".parse().unwrap(), 33).is_err());
    }

    /// The reference's example (§4.1) apart from the broadcast address,
    /// which this codec writes as the kernel would derive it.
    #[test]
    fn add_inet_matches_the_reference_example() {
        let r = add_inet(&n("bridge0"), "10.1.0.1".parse().unwrap(), 24).unwrap();
        let reference = hex("
            62 72 69 64 67 65 30 00 00 00 00 00 00 00 00 00
            10 02 00 00 0a 01 00 01 00 00 00 00 00 00 00 00
            00*16
            10 02 00 00 ff ff ff 00 00 00 00 00 00 00 00 00
            00 00 00 00
        ");
        assert_eq!(r.outer[..32], reference[..32]);
        assert_eq!(r.outer[48..], reference[48..]);
        assert_eq!(&r.outer[32..48], &hex("10 02 00 00 0a 01 00 ff 00*8")[..]);
    }
}
