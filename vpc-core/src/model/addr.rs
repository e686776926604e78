//! Addresses: networks with real 32/128-bit arithmetic, interface
//! addresses and MAC addresses. IPv4 and IPv6 share one code path: an
//! address is a `u128` with a family that says how many bits count.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// Address width in bits.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The family of `addr`.
    pub fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    fn to_ip(self, value: u128) -> IpAddr {
        match self {
            // The value is below 2^32 for IPv4 by construction.
            Family::V4 => IpAddr::V4(Ipv4Addr::from(value as u32)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(value)),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

fn to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// `2^n` for `n` up to 128, saturating at `u128::MAX` (a count that large
/// never limits anything).
fn pow2(n: u8) -> u128 {
    1u128.checked_shl(u32::from(n)).unwrap_or(u128::MAX)
}

/// The mask of the low `n` bits (all bits for `n` ≥ 128).
fn low_bits(n: u8) -> u128 {
    1u128.checked_shl(u32::from(n)).map_or(u128::MAX, |v| v - 1)
}

/// Splits `text` at '/' into an address and a prefix length valid for it.
fn parse_addr_prefix(text: &str, what: &str) -> Result<(IpAddr, u8)> {
    let bad = |why: &str| Error::invalid(format!("{what} {text:?} is not valid: {why}"));
    let (addr, prefix) = text
        .split_once('/')
        .ok_or_else(|| bad("expected ADDRESS/PREFIX, e.g. 10.100.0.0/24"))?;
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| bad("expected an IPv4 or IPv6 address"))?;
    let bits = Family::of(addr).bits();
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= bits)
        .ok_or_else(|| bad(&format!("expected a prefix length from 0 to {bits}")))?;
    Ok((addr, prefix))
}

/// A network in CIDR form, with no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Network {
    family: Family,
    base: u128,
    prefix: u8,
}

impl Network {
    /// Parses `10.100.0.0/24` or `2001:db8::/64`; host bits are an error
    /// (naming the network meant), not silently dropped.
    pub fn parse(text: &str) -> Result<Network> {
        let (addr, prefix) = parse_addr_prefix(text, "peer_network")?;
        let family = Family::of(addr);
        let value = to_u128(addr);
        let host_bits = low_bits(family.bits() - prefix);
        if value & host_bits != 0 {
            let net = Network {
                family,
                base: value & !host_bits,
                prefix,
            };
            return Err(Error::invalid(format!(
                "peer_network {text:?} has host bits set: expected the network address, {net}"
            )));
        }
        Ok(Network {
            family,
            base: value,
            prefix,
        })
    }

    /// IPv4 or IPv6.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// How many blocks of `/block_prefix` fit (0 if the block is larger
    /// than the network).
    pub fn blocks(&self, block_prefix: u8) -> u128 {
        match block_prefix.checked_sub(self.prefix) {
            Some(n) => pow2(n),
            None => 0,
        }
    }

    /// Whether the two networks share an address.
    pub fn overlaps(&self, other: &Network) -> bool {
        if self.family != other.family {
            return false;
        }
        let prefix = self.prefix.min(other.prefix);
        let mask = !low_bits(self.family.bits() - prefix);
        self.base & mask == other.base & mask
    }

    /// The address `offset` places after the network address. The caller
    /// has checked that `offset` lies inside the network.
    pub fn nth(&self, offset: u128) -> IpAddr {
        self.family.to_ip(self.base + offset)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.family.to_ip(self.base), self.prefix)
    }
}

impl FromStr for Network {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Network::parse(s)
    }
}

impl TryFrom<String> for Network {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Network::parse(&s)
    }
}

impl From<Network> for String {
    fn from(n: Network) -> String {
        n.to_string()
    }
}

/// An address with its prefix length, as configured on an interface
/// (`10.100.0.1/30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IfAddr {
    /// The address.
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl IfAddr {
    /// Parses `ADDRESS/PREFIX`; `what` names the key in errors.
    pub fn parse(text: &str, what: &str) -> Result<IfAddr> {
        let (addr, prefix) = parse_addr_prefix(text, what)?;
        Ok(IfAddr { addr, prefix })
    }

    /// IPv6 link-local (fe80::/10): the kernel's own, never planned.
    pub fn is_link_local(&self) -> bool {
        match self.addr {
            IpAddr::V6(a) => a.segments()[0] & 0xffc0 == 0xfe80,
            IpAddr::V4(_) => false,
        }
    }

    /// IPv4 or IPv6.
    pub fn family(&self) -> Family {
        Family::of(self.addr)
    }
}

impl fmt::Display for IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl TryFrom<String> for IfAddr {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        IfAddr::parse(&s, "address")
    }
}

impl From<IfAddr> for String {
    fn from(a: IfAddr) -> String {
        a.to_string()
    }
}

/// An Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// A locally administered unicast address derived from `seed`: the
    /// same seed gives the same address on every node.
    pub fn local_from(seed: &[u8]) -> Mac {
        // FNV-1a: small, stable across versions and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let b = h.to_be_bytes();
        Mac([(b[0] & 0xfc) | 0x02, b[1], b[2], b[3], b[4], b[5]])
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl TryFrom<String> for Mac {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        let bad = || {
            Error::invalid(format!(
                "MAC address {s:?} is not valid: expected xx:xx:xx:xx:xx:xx"
            ))
        };
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut out {
            let part = parts.next().filter(|p| p.len() == 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Mac(out))
    }
}

impl From<Mac> for String {
    fn from(m: Mac) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_parse_and_blocks() {
        let n = Network::parse("10.100.0.0/24").unwrap();
        assert_eq!(n.to_string(), "10.100.0.0/24");
        assert_eq!(n.blocks(30), 64);
        assert_eq!(n.blocks(31), 128);
        assert_eq!(n.nth(257).to_string(), "10.100.1.1");
        assert_eq!(Network::parse("10.100.0.0/31").unwrap().blocks(30), 0);
        let v6 = Network::parse("2001:db8::/64").unwrap();
        assert_eq!(v6.blocks(126), 1 << 62);
        assert_eq!(v6.nth(5).to_string(), "2001:db8::5");
        assert_eq!(Network::parse("::/0").unwrap().blocks(128), u128::MAX);
        assert_eq!(Network::parse("0.0.0.0/0").unwrap().blocks(32), 1 << 32);
        let a = Network::parse("10.100.0.0/24").unwrap();
        assert!(a.overlaps(&Network::parse("10.100.0.128/25").unwrap()));
        assert!(a.overlaps(&Network::parse("10.0.0.0/8").unwrap()));
        assert!(!a.overlaps(&Network::parse("10.100.1.0/24").unwrap()));
        assert!(!a.overlaps(&Network::parse("::/0").unwrap()));
        assert!(Network::parse("::/0").unwrap().overlaps(&v6));
        assert!(
            Network::parse("::1/0")
                .unwrap_err()
                .message()
                .contains("host bits")
        );
        assert!(
            Network::parse("0.0.0.1/0")
                .unwrap_err()
                .message()
                .contains("host bits")
        );
    }

    #[test]
    fn network_errors_name_the_value() {
        let e = Network::parse("10.100.0.77/24").unwrap_err();
        assert!(e.message().contains("host bits"), "{e}");
        assert!(e.message().contains("10.100.0.0/24"), "{e}");
        for bad in [
            "10.100.0.0",
            "10.100.0.0/33",
            "x/24",
            "2001:db8::/129",
            "10.0.0.0/-1",
        ] {
            let e = Network::parse(bad).unwrap_err();
            assert!(
                e.message().contains("peer_network") && e.message().contains(bad),
                "{e}"
            );
        }
    }

    #[test]
    fn mac_is_local_unicast_and_stable() {
        let m = Mac::local_from(b"vpc1/1/0");
        assert_eq!(m.0[0] & 0x03, 0x02);
        assert_eq!(m, Mac::local_from(b"vpc1/1/0"));
        assert_ne!(m, Mac::local_from(b"vpc1/1/1"));
        assert_eq!(Mac::try_from(m.to_string()).unwrap(), m);
        assert!(Mac::try_from("02:00:00:00:00".to_owned()).is_err());
    }

    #[test]
    fn link_local_is_recognised() {
        assert!(IfAddr::parse("fe80::1/64", "a").unwrap().is_link_local());
        assert!(
            !IfAddr::parse("2001:db8::1/64", "a")
                .unwrap()
                .is_link_local()
        );
    }
}
