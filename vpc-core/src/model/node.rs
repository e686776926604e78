//! A node: a host with a name and one or two underlay addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::addr::{Family, special_range_of};
use crate::model::name::NodeName;

/// A host as the VPC sees it: its name and underlay addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// The node's name.
    pub name: NodeName,
    /// IPv4 underlay address, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip4: Option<Ipv4Addr>,
    /// IPv6 underlay address, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip6: Option<Ipv6Addr>,
    /// The IPv4 address on this host's interface, when `ip4` is the one
    /// others reach it by through a 1:1 NAT (`local4=`): tunnels send from
    /// it, and the underlay check looks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local4: Option<Ipv4Addr>,
    /// The IPv6 twin of `local4` (`local6=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local6: Option<Ipv6Addr>,
    /// Whether others can reach it at all (`inbound=0`: behind a
    /// masquerading router). Such a node sends first and keeps the way
    /// open (WireGuard's persistent keepalive); it needs `encrypt=wireguard`
    /// and peers that are reachable.
    #[serde(default = "reachable", skip_serializing_if = "is_reachable")]
    pub inbound: bool,
}

/// The default of `inbound`.
pub(crate) fn reachable() -> bool {
    true
}

/// Whether `inbound` is its default.
pub(crate) fn is_reachable(inbound: &bool) -> bool {
    *inbound
}

impl Node {
    /// A node with at least one underlay address; addresses that can never
    /// be a tunnel end (unspecified, loopback, link-local, IPv4-mapped,
    /// multicast, broadcast) are refused.
    pub fn new(name: NodeName, ip4: Option<Ipv4Addr>, ip6: Option<Ipv6Addr>) -> Result<Node> {
        let node = Node {
            name,
            ip4,
            ip6,
            local4: None,
            local6: None,
            inbound: true,
        };
        node.check()?;
        Ok(node)
    }

    /// Validates a node read from a file or a peer.
    pub fn check(&self) -> Result<()> {
        if self.ip4.is_none() && self.ip6.is_none() {
            return Err(Error::invalid(format!(
                "node {} has no underlay address: expected ip4= or ip6=",
                self.name
            )));
        }
        if self.local4.is_some() && self.ip4.is_none() {
            return Err(Error::invalid(format!(
                "local4 of node {} is given without ip4: expected ip4= (the address others \
                 reach it by) beside local4= (the one on its interface)",
                self.name
            )));
        }
        if self.local6.is_some() && self.ip6.is_none() {
            return Err(Error::invalid(format!(
                "local6 of node {} is given without ip6: expected ip6= (the address others \
                 reach it by) beside local6= (the one on its interface)",
                self.name
            )));
        }
        let addrs = [
            self.ip4.map(IpAddr::V4),
            self.ip6.map(IpAddr::V6),
            self.local4.map(IpAddr::V4),
            self.local6.map(IpAddr::V6),
        ];
        for (key, a) in ["ip4", "ip6", "local4", "local6"].into_iter().zip(addrs) {
            if let Some(range) = a.and_then(special_range_of) {
                return Err(Error::invalid(format!(
                    "{key} {} of node {} is not valid: it lies in {range}; \
                     expected a unicast address another host can reach",
                    a.map(|a| a.to_string()).unwrap_or_default(),
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// The node's underlay address of `family`.
    pub fn underlay(&self, family: Family) -> Option<IpAddr> {
        match family {
            Family::V4 => self.ip4.map(IpAddr::V4),
            Family::V6 => self.ip6.map(IpAddr::V6),
        }
    }

    /// The address of `family` on this host's own interface: `local4=` /
    /// `local6=` behind a 1:1 NAT, else the advertised one.
    pub fn local(&self, family: Family) -> Option<IpAddr> {
        match family {
            Family::V4 => self.local4.or(self.ip4).map(IpAddr::V4),
            Family::V6 => self.local6.or(self.ip6).map(IpAddr::V6),
        }
    }

    /// The local address of `addr`'s family, for a tunnel whose local end
    /// the peer map gives as the advertised address `addr`.
    pub fn local_of(&self, addr: IpAddr) -> IpAddr {
        self.local(Family::of(addr)).unwrap_or(addr)
    }

    /// Which families the node speaks, for messages.
    pub fn families(&self) -> &'static str {
        match (self.ip4.is_some(), self.ip6.is_some()) {
            (true, true) => "IPv4 and IPv6",
            (true, false) => "IPv4 only",
            (false, true) => "IPv6 only",
            (false, false) => "no address",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(ip4: Option<&str>, ip6: Option<&str>) -> Result<Node> {
        Node::new(
            NodeName::new("a").unwrap(),
            ip4.map(|a| a.parse().unwrap()),
            ip6.map(|a| a.parse().unwrap()),
        )
    }

    #[test]
    fn an_underlay_address_is_usable_unicast() {
        assert!(node(Some("198.18.0.1"), Some("2001:db8::1")).is_ok());
        let cases = [
            (
                Some("0.0.0.0"),
                None,
                "ip4 0.0.0.0",
                "the unspecified range 0.0.0.0/8",
            ),
            (
                Some("127.0.0.1"),
                None,
                "ip4 127.0.0.1",
                "the loopback range 127.0.0.0/8",
            ),
            (
                Some("169.254.0.9"),
                None,
                "ip4 169.254.0.9",
                "the link-local range 169.254.0.0/16",
            ),
            (
                Some("224.0.0.1"),
                None,
                "ip4 224.0.0.1",
                "the multicast range 224.0.0.0/4",
            ),
            (
                Some("255.255.255.255"),
                None,
                "ip4 255.255.255.255",
                "the broadcast range 255.255.255.255/32",
            ),
            (None, Some("::"), "ip6 ::", "the unspecified range ::/128"),
            (None, Some("::1"), "ip6 ::1", "the loopback range ::1/128"),
            (
                None,
                Some("fe80::1"),
                "ip6 fe80::1",
                "the link-local range fe80::/10",
            ),
            (
                None,
                Some("ff02::1"),
                "ip6 ff02::1",
                "the multicast range ff00::/8",
            ),
            (
                Some("198.18.0.1"),
                Some("::ffff:198.18.0.1"),
                "ip6 ::ffff:198.18.0.1",
                "the IPv4-mapped range ::ffff:0.0.0.0/96",
            ),
        ];
        for (ip4, ip6, head, range) in cases {
            let e = node(ip4, ip6).unwrap_err();
            assert_eq!(
                e.message(),
                format!(
                    "{head} of node a is not valid: it lies in {range}; \
                     expected a unicast address another host can reach"
                )
            );
        }
    }
}
