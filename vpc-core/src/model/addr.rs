//! Addresses: networks and interface addresses (on the `ipnetwork`
//! crate, with stricter parsing on top) and MAC addresses.
//!
//! `ipnetwork` parses, masks and compares; this module adds what the
//! plan needs beyond it: a network with host bits set is refused instead
//! of kept, errors name the key and the value, only `ADDRESS/LENGTH` is
//! read (no netmask form, no bare address), and the link blocks are
//! counted and cut with 128-bit arithmetic that is exact at `/0`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnetwork::IpNetwork;
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

crate::model::words!(Family, "family", { V4 => "v4", V6 => "v6" });

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
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

/// `2^n` for `n` up to 128, saturating at `u128::MAX` (a count that large
/// never limits anything).
fn pow2(n: u8) -> u128 {
    1u128.checked_shl(u32::from(n)).unwrap_or(u128::MAX)
}

/// Reads `text` as `ADDRESS/PREFIX`; `what` names the key in errors.
///
/// Not `IpNetwork::from_str`: it also takes a bare address (as a host
/// route) and an IPv4 netmask after the '/', and its one error variant
/// cannot say which half was wrong. Both halves are read here as it
/// reads them (the standard address parser, a decimal `u8`) and
/// `IpNetwork::new` checks the length against the family.
fn parse_cidr(text: &str, what: &str) -> Result<IpNetwork> {
    let bad = |why: &str| Error::invalid(format!("{what} {text:?} is not valid: {why}"));
    let (addr, prefix) = text
        .split_once('/')
        .ok_or_else(|| bad("expected ADDRESS/PREFIX, e.g. 10.100.0.0/24"))?;
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| bad("expected an IPv4 or IPv6 address"))?;
    prefix
        .parse()
        .ok()
        .and_then(|p| IpNetwork::new(addr, p).ok())
        .ok_or_else(|| {
            let bits = Family::of(addr).bits();
            bad(&format!("expected a prefix length from 0 to {bits}"))
        })
}

/// Whether two networks share an address: `ipnetwork` compares within
/// one family only, and different families share none.
fn ip_networks_overlap(a: IpNetwork, b: IpNetwork) -> bool {
    match (a, b) {
        (IpNetwork::V4(a), IpNetwork::V4(b)) => a.overlaps(b),
        (IpNetwork::V6(a), IpNetwork::V6(b)) => a.overlaps(b),
        (IpNetwork::V4(_), IpNetwork::V6(_)) | (IpNetwork::V6(_), IpNetwork::V4(_)) => false,
    }
}

/// A network in CIDR form, with no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Network(IpNetwork);

impl Network {
    /// Parses `10.100.0.0/24` or `2001:db8::/64`; host bits are an error
    /// (naming the network meant), not silently dropped.
    pub fn parse(text: &str) -> Result<Network> {
        let net = parse_cidr(text, "peer_network")?;
        if net.network() != net.ip() {
            let meant = Network::masked(net);
            return Err(Error::invalid(format!(
                "peer_network {text:?} has host bits set: expected the network address, {meant}"
            )));
        }
        Ok(Network(net))
    }

    /// The network `net` lies in: its address with the host bits cleared.
    fn masked(net: IpNetwork) -> Network {
        // The prefix came from `net`, so it suits the family.
        Network(IpNetwork::new(net.network(), net.prefix()).unwrap_or(net))
    }

    /// IPv4 or IPv6.
    pub fn family(&self) -> Family {
        Family::of(self.0.ip())
    }

    /// Prefix length.
    pub fn prefix(&self) -> u8 {
        self.0.prefix()
    }

    /// The network address (the lowest address).
    pub fn address(&self) -> IpAddr {
        self.0.network()
    }

    /// The netmask (`255.255.255.0` for a /24).
    pub fn netmask(&self) -> IpAddr {
        self.0.mask()
    }

    /// The highest address (the IPv4 broadcast address).
    pub fn broadcast(&self) -> IpAddr {
        self.0.broadcast()
    }

    /// Whether `addr` lies in the network (never for the other family).
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.contains(addr)
    }

    /// Whether the two networks share an address (never across
    /// families).
    pub fn overlaps(&self, other: &Network) -> bool {
        ip_networks_overlap(self.0, other.0)
    }

    /// Why the network cannot hold a VPC's addresses ("overlaps the
    /// loopback range 127.0.0.0/8"), or `None` when it can.
    pub fn unusable(&self) -> Option<String> {
        unusable_net(*self)
    }

    /// How many blocks of `/block_prefix` fit (0 if the block is larger
    /// than the network).
    ///
    /// Not from `ipnetwork`'s `size()`: it saturates a /0 to 2^32 − 1
    /// (2^128 − 1) addresses, one short, so a quotient of sizes would be
    /// wrong there; the count is a power of two of the prefix difference.
    pub fn blocks(&self, block_prefix: u8) -> u128 {
        match block_prefix.checked_sub(self.prefix()) {
            Some(n) => pow2(n),
            None => 0,
        }
    }

    /// The address `offset` places after the network address. The caller
    /// has checked that `offset` lies inside the network.
    ///
    /// Not `ipnetwork`'s `nth()`: it bounds `offset` by the same
    /// saturated `size()`, so it would refuse the last address of
    /// `0.0.0.0/0`.
    pub fn nth(&self, offset: u128) -> IpAddr {
        match self.0.network() {
            // The sum is below 2^32 for IPv4 by the caller's check.
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from((u128::from(u32::from(a)) + offset) as u32)),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) + offset)),
        }
    }
}

impl From<Network> for IpNetwork {
    fn from(n: Network) -> IpNetwork {
        n.0
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

// Its text, written straight into the document (no string in between).
impl Serialize for Network {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
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

/// The ranges no VPC address may lie in, named for messages: an underlay
/// address there is no tunnel end, and a peer network or bridge address
/// there would take the kernel's own traffic (its loopback, its link-local
/// neighbours, multicast) into the VPC.
const SPECIAL_RANGES: &[(&str, &str)] = &[
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0.0.0.0/96", "IPv4-mapped"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
];

/// [`SPECIAL_RANGES`] as networks, parsed once: every member's addresses
/// are checked against them each time a spec is read.
fn special_ranges() -> impl Iterator<Item = (Network, &'static str)> {
    static PARSED: std::sync::LazyLock<Vec<(Network, &'static str)>> =
        std::sync::LazyLock::new(|| {
            SPECIAL_RANGES
                .iter()
                .filter_map(|(net, what)| Some((Network::parse(net).ok()?, *what)))
                .collect()
        });
    PARSED.iter().copied()
}

/// What the VPC's networks and addresses are expected to be, for messages.
pub const USABLE_NETWORK: &str = "a unicast network of its own, not a default (/0), \
     unspecified, loopback, link-local, multicast or broadcast range";

/// The special range `addr` lies in, named ("the loopback range
/// 127.0.0.0/8"), or `None` for a usable unicast address.
pub fn special_range_of(addr: IpAddr) -> Option<String> {
    special_ranges()
        .find(|(net, _)| net.contains(addr))
        .map(|(net, what)| format!("the {what} range {net}"))
}

/// What an address with its prefix length cannot be on a VPC interface.
/// Shared by [`Network::unusable`] and [`IfAddr::unusable`].
fn unusable_net(net: Network) -> Option<String> {
    if net.prefix() == 0 {
        return Some(format!("is a default network ({net}, /0)"));
    }
    special_ranges()
        .find(|(range, _)| range.overlaps(&net))
        .map(|(range, what)| format!("overlaps the {what} range {range}"))
}

/// An address with its prefix length, as configured on an interface
/// (`10.100.0.1/30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct IfAddr {
    /// The address.
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl IfAddr {
    /// Parses `ADDRESS/PREFIX`; `what` names the key in errors.
    pub fn parse(text: &str, what: &str) -> Result<IfAddr> {
        let net = parse_cidr(text, what)?;
        Ok(IfAddr {
            addr: net.ip(),
            prefix: net.prefix(),
        })
    }

    /// IPv6 link-local (fe80::/10): the kernel's own, never planned.
    pub fn is_link_local(&self) -> bool {
        match self.addr {
            IpAddr::V6(a) => a.is_unicast_link_local(),
            IpAddr::V4(_) => false,
        }
    }

    /// IPv4 or IPv6.
    pub fn family(&self) -> Family {
        Family::of(self.addr)
    }

    /// The address and prefix as an `ipnetwork` value. The fields are
    /// public, so a prefix past the family's width can only be a
    /// hand-made value; it counts as the host's own /32 or /128.
    fn ip_network(&self) -> IpNetwork {
        let prefix = self.prefix.min(self.family().bits());
        IpNetwork::new(self.addr, prefix).unwrap_or(IpNetwork::from(self.addr))
    }

    /// The subnet the address is on (`10.100.0.0/30` for `10.100.0.1/30`).
    pub fn subnet(&self) -> Network {
        Network::masked(self.ip_network())
    }

    /// Whether `addr` is on this address's subnet (never for the other
    /// family).
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.ip_network().contains(addr)
    }

    /// Whether the two addresses' subnets share an address (never across
    /// families).
    pub fn overlaps(&self, other: &IfAddr) -> bool {
        ip_networks_overlap(self.ip_network(), other.ip_network())
    }

    /// Why the address cannot be on a VPC interface: its subnet is a
    /// default network or touches a special range (see
    /// [`Network::unusable`]).
    pub fn unusable(&self) -> Option<String> {
        unusable_net(self.subnet())
    }
}

impl fmt::Display for IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

// Its text, written straight into the document: a peer map has two per
// link.
impl Serialize for IfAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
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
    use proptest::prelude::*;
    use proptest::test_runner::FileFailurePersistence;

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
    fn network_errors_keep_their_wording() {
        let cases = [
            (
                "10.100.0.0",
                "peer_network \"10.100.0.0\" is not valid: \
                 expected ADDRESS/PREFIX, e.g. 10.100.0.0/24",
            ),
            (
                "x/24",
                "peer_network \"x/24\" is not valid: expected an IPv4 or IPv6 address",
            ),
            (
                "10.100.0.0/33",
                "peer_network \"10.100.0.0/33\" is not valid: \
                 expected a prefix length from 0 to 32",
            ),
            (
                "2001:db8::/129",
                "peer_network \"2001:db8::/129\" is not valid: \
                 expected a prefix length from 0 to 128",
            ),
            (
                "10.100.0.77/24",
                "peer_network \"10.100.0.77/24\" has host bits set: \
                 expected the network address, 10.100.0.0/24",
            ),
            (
                "2001:db8::1/0",
                "peer_network \"2001:db8::1/0\" has host bits set: \
                 expected the network address, ::/0",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(Network::parse(text).unwrap_err().message(), message);
        }
        assert_eq!(
            IfAddr::parse("10.0.0.1", "bridge_ips")
                .unwrap_err()
                .message(),
            "bridge_ips \"10.0.0.1\" is not valid: expected ADDRESS/PREFIX, e.g. 10.100.0.0/24"
        );
    }

    /// What `ipnetwork`'s own parser takes and ours does not.
    #[test]
    fn parsing_stays_strict() {
        for bad in [
            "10.100.0.0/255.255.255.0",
            "010.100.0.0/24",
            "10.100.0.0/24/1",
            "10.100.0.0/ 24",
            " 10.100.0.0/24",
            "10.100.0.0/",
            "10.100/16",
            "[2001:db8::]/64",
            "2001:db8::/ffff::",
        ] {
            assert!(Network::parse(bad).is_err(), "{bad} accepted");
            assert!(IfAddr::parse(bad, "a").is_err(), "{bad} accepted");
        }
        let a = IfAddr::parse("10.100.0.77/24", "a").unwrap();
        assert_eq!(a.to_string(), "10.100.0.77/24");
        assert_eq!(a.subnet().to_string(), "10.100.0.0/24");
    }

    #[test]
    fn network_masks_and_bounds() {
        let n = Network::parse("10.100.0.0/24").unwrap();
        assert_eq!(n.address().to_string(), "10.100.0.0");
        assert_eq!(n.netmask().to_string(), "255.255.255.0");
        assert_eq!(n.broadcast().to_string(), "10.100.0.255");
        let v6 = Network::parse("2001:db8::/64").unwrap();
        assert_eq!(v6.netmask().to_string(), "ffff:ffff:ffff:ffff::");
        assert_eq!(v6.broadcast().to_string(), "2001:db8::ffff:ffff:ffff:ffff");
        let all4 = Network::parse("0.0.0.0/0").unwrap();
        assert_eq!(all4.nth((1 << 32) - 1).to_string(), "255.255.255.255");
        assert_eq!(all4.broadcast().to_string(), "255.255.255.255");
        let all6 = Network::parse("::/0").unwrap();
        assert_eq!(all6.nth(u128::MAX), IpAddr::V6(Ipv6Addr::from(u128::MAX)));
        assert_eq!(IpNetwork::from(n).to_string(), "10.100.0.0/24");
    }

    #[test]
    fn containment_and_overlap() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let n = Network::parse("10.100.0.0/24").unwrap();
        assert!(n.contains(ip("10.100.0.0")));
        assert!(n.contains(ip("10.100.0.255")));
        assert!(!n.contains(ip("10.100.1.0")));
        assert!(!n.contains(ip("::a64:0")));
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("255.255.255.255"))
        );
        assert!(!Network::parse("::/0").unwrap().contains(ip("10.100.0.1")));
        assert!(
            !Network::parse("0.0.0.0/0")
                .unwrap()
                .overlaps(&Network::parse("::/0").unwrap())
        );

        let a = IfAddr::parse("10.100.0.1/30", "a").unwrap();
        assert_eq!(a.subnet(), Network::parse("10.100.0.0/30").unwrap());
        assert!(a.contains(ip("10.100.0.3")));
        assert!(!a.contains(ip("10.100.0.4")));
        assert!(a.overlaps(&IfAddr::parse("10.100.0.2/31", "a").unwrap()));
        assert!(a.overlaps(&IfAddr::parse("10.9.9.9/8", "a").unwrap()));
        assert!(!a.overlaps(&IfAddr::parse("10.100.0.5/30", "a").unwrap()));
        assert!(!a.overlaps(&IfAddr::parse("::1/0", "a").unwrap()));
        assert!(n.overlaps(&a.subnet()));
        assert!(!n.overlaps(&IfAddr::parse("10.100.1.1/24", "a").unwrap().subnet()));
        // A hand-made prefix past the width is the host alone.
        let wide = IfAddr {
            addr: ip("10.100.0.1"),
            prefix: 40,
        };
        assert_eq!(wide.subnet().to_string(), "10.100.0.1/32");
        assert!(n.overlaps(&wide.subnet()));
    }

    #[test]
    fn special_ranges_are_named() {
        assert_eq!(special_ranges().count(), SPECIAL_RANGES.len());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for (addr, range) in [
            ("0.0.0.0", "the unspecified range 0.0.0.0/8"),
            ("127.0.0.1", "the loopback range 127.0.0.0/8"),
            ("169.254.1.1", "the link-local range 169.254.0.0/16"),
            ("239.1.1.1", "the multicast range 224.0.0.0/4"),
            ("255.255.255.255", "the broadcast range 255.255.255.255/32"),
            ("::", "the unspecified range ::/128"),
            ("::1", "the loopback range ::1/128"),
            (
                "::ffff:198.18.0.1",
                "the IPv4-mapped range ::ffff:0.0.0.0/96",
            ),
            ("fe80::1", "the link-local range fe80::/10"),
            ("ff02::1", "the multicast range ff00::/8"),
        ] {
            assert_eq!(special_range_of(ip(addr)).as_deref(), Some(range), "{addr}");
        }
        for ok in ["198.18.0.1", "10.0.0.1", "2001:db8::1", "1.0.0.0"] {
            assert_eq!(special_range_of(ip(ok)), None, "{ok}");
        }
    }

    #[test]
    fn unusable_networks_say_why() {
        let why = |s: &str| Network::parse(s).unwrap().unusable();
        assert_eq!(
            why("0.0.0.0/0").unwrap(),
            "is a default network (0.0.0.0/0, /0)"
        );
        assert_eq!(why("::/0").unwrap(), "is a default network (::/0, /0)");
        assert_eq!(
            why("127.1.0.0/16").unwrap(),
            "overlaps the loopback range 127.0.0.0/8"
        );
        // A network around a special range overlaps it too.
        assert_eq!(
            why("0.0.0.0/1").unwrap(),
            "overlaps the unspecified range 0.0.0.0/8"
        );
        assert_eq!(
            why("fe80::/64").unwrap(),
            "overlaps the link-local range fe80::/10"
        );
        assert_eq!(
            why("ff00::/16").unwrap(),
            "overlaps the multicast range ff00::/8"
        );
        assert_eq!(
            why("224.0.0.0/24").unwrap(),
            "overlaps the multicast range 224.0.0.0/4"
        );
        assert_eq!(why("10.100.0.0/24"), None);
        assert_eq!(why("2001:db8::/64"), None);
        let a = IfAddr::parse("10.0.0.1/0", "a").unwrap();
        assert_eq!(
            a.unusable().unwrap(),
            "is a default network (0.0.0.0/0, /0)"
        );
        let a = IfAddr::parse("169.254.3.1/24", "a").unwrap();
        assert_eq!(
            a.unusable().unwrap(),
            "overlaps the link-local range 169.254.0.0/16"
        );
        assert_eq!(
            IfAddr::parse("10.10.11.1/24", "a").unwrap().unusable(),
            None
        );
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

    fn value(a: IpAddr) -> u128 {
        match a {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    /// Any network of either family: an address of that family with a
    /// prefix valid for it, host bits cleared.
    fn arb_network() -> impl Strategy<Value = Network> {
        let v4 = (any::<u32>(), 0..=32u8).prop_map(|(a, p)| (IpAddr::V4(Ipv4Addr::from(a)), p));
        let v6 = (any::<u128>(), 0..=128u8).prop_map(|(a, p)| (IpAddr::V6(Ipv6Addr::from(a)), p));
        prop_oneof![v4, v6].prop_map(|(addr, prefix)| IfAddr { addr, prefix }.subnet())
    }

    /// A network in `family`, often inside or around `near` so that the
    /// interesting cases (nested, equal, adjacent) come up.
    fn arb_network_pair() -> impl Strategy<Value = (Network, Network)> {
        (arb_network(), any::<u128>(), any::<u8>(), any::<bool>()).prop_map(
            |(a, noise, prefix, near)| {
                let family = a.family();
                let prefix = prefix % (family.bits() + 1);
                // Near: flip only bits below `prefix`, so that b often
                // lies in or around a.
                let raw = if near {
                    let keep = u32::from(128 - family.bits() + prefix);
                    value(a.address()) ^ noise.checked_shr(keep).unwrap_or(0)
                } else {
                    noise
                };
                let addr = match family {
                    Family::V4 => IpAddr::V4(Ipv4Addr::from(raw as u32)),
                    Family::V6 => IpAddr::V6(Ipv6Addr::from(raw)),
                };
                (a, IfAddr { addr, prefix }.subnet())
            },
        )
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 2048,
            failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn overlap_is_symmetric_and_reflexive(a in arb_network(), b in arb_network()) {
            prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
            prop_assert!(a.overlaps(&a));
            if a.family() != b.family() {
                prop_assert!(!a.overlaps(&b));
            }
        }

        /// Against the prefix comparison: two CIDR blocks overlap exactly
        /// when they agree on the shorter prefix.
        #[test]
        fn overlap_agrees_with_the_shorter_prefix((a, b) in arb_network_pair()) {
            let shift = u32::from(a.family().bits() - a.prefix().min(b.prefix()));
            // A shift of 128 (a /0 of IPv6) leaves nothing to compare.
            let high = |n: Network| value(n.address()).checked_shr(shift);
            let same = high(a) == high(b);
            prop_assert_eq!(a.overlaps(&b), same);
            prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
        }

        #[test]
        fn containment_implies_overlap((a, b) in arb_network_pair(), host in any::<u128>()) {
            if a.contains(b.address()) && a.contains(b.broadcast()) {
                prop_assert!(a.overlaps(&b));
            }
            let x = a.nth(host & (a.blocks(a.family().bits()) - 1));
            prop_assert!(a.contains(x));
            let single = IfAddr { addr: x, prefix: a.family().bits() }.subnet();
            prop_assert!(a.overlaps(&single));
            let on_link = IfAddr { addr: x, prefix: a.prefix() };
            prop_assert_eq!(on_link.subnet(), a);
            prop_assert!(on_link.contains(a.address()) && on_link.overlaps(&on_link));
        }

        /// Distinct blocks cut from one network stay inside it and apart.
        #[test]
        fn disjoint_blocks_do_not_overlap(
            n in arb_network(),
            extra in 0..=128u8,
            i in any::<u128>(),
            j in any::<u128>(),
        ) {
            let bits = n.family().bits();
            let block = n.prefix() + extra.min(bits - n.prefix());
            let count = n.blocks(block);
            prop_assume!(count >= 2);
            let (i, j) = (i % count, j % count);
            prop_assume!(i != j);
            let size = 1u128 << (bits - block);
            let cut = |k: u128| IfAddr { addr: n.nth(k * size), prefix: block }.subnet();
            let (x, y) = (cut(i), cut(j));
            prop_assert_eq!(x.address(), n.nth(i * size));
            prop_assert!(!x.overlaps(&y), "{} overlaps {}", x, y);
            prop_assert!(!y.overlaps(&x), "{} overlaps {}", y, x);
            for b in [x, y] {
                prop_assert!(n.contains(b.address()) && n.contains(b.broadcast()));
                prop_assert!(n.overlaps(&b) && b.overlaps(&n));
            }
        }

        /// Printing and parsing again gives the same value; an address
        /// with host bits is refused as a network, naming its subnet.
        #[test]
        fn text_round_trips(n in arb_network(), host in any::<u128>()) {
            prop_assert_eq!(Network::parse(&n.to_string()).unwrap(), n);
            let x = n.nth(host & (n.blocks(n.family().bits()) - 1));
            let a = IfAddr { addr: x, prefix: n.prefix() };
            prop_assert_eq!(IfAddr::parse(&a.to_string(), "a").unwrap(), a);
            if x != n.address() {
                let e = Network::parse(&a.to_string()).unwrap_err();
                prop_assert!(e.message().contains("host bits"), "{}", e);
                prop_assert!(e.message().ends_with(&format!(", {n}")), "{}", e);
            }
        }
    }
}
