//! A node: a host with a name and one or two underlay addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::addr::Family;
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
}

impl Node {
    /// A node with at least one underlay address; addresses that can never
    /// be a tunnel end (unspecified, multicast, broadcast) are refused.
    pub fn new(name: NodeName, ip4: Option<Ipv4Addr>, ip6: Option<Ipv6Addr>) -> Result<Node> {
        let node = Node { name, ip4, ip6 };
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
        if let Some(a) = self.ip4
            && (a.is_unspecified() || a.is_multicast() || a.is_broadcast())
        {
            return Err(Error::invalid(format!(
                "ip4 {a} of node {} is not valid: expected a unicast address",
                self.name
            )));
        }
        if let Some(a) = self.ip6
            && (a.is_unspecified() || a.is_multicast())
        {
            return Err(Error::invalid(format!(
                "ip6 {a} of node {} is not valid: expected a unicast address",
                self.name
            )));
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
