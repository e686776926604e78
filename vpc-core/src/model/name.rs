//! Validated names: a VPC's name and a node's name.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest interface name the kernels accept (IFNAMSIZ − 1 on both systems).
pub const IFNAME_MAX: usize = 15;

/// A VPC's name. It is also the bridge's interface name, a file name and an
/// rc.conf variable suffix, so it must be `[A-Za-z][A-Za-z0-9_]*` and at
/// most 15 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct VpcName(String);

impl VpcName {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<Self> {
        let expected = "expected a letter followed by letters, digits or '_', at most 15 bytes";
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok || !rest_ok || name.len() > IFNAME_MAX {
            return Err(Error::invalid(format!(
                "vpc_name {name:?} is not valid: {expected}"
            )));
        }
        if let Some(driver) = driver_shaped(name) {
            return Err(Error::invalid(format!(
                "vpc_name {name:?} is not valid: it is shaped like an interface of the {driver} \
                 driver ({driver} followed by a digit), which the VPC's bridge, named like the \
                 VPC, could collide with or be mistaken for; expected a name that is not a \
                 driver's prefix followed by a digit, such as vpc1"
            )));
        }
        Ok(VpcName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Interface name prefixes of the drivers and tools that make interfaces
/// on FreeBSD and Linux hosts, each followed by a unit number (`bridge0`,
/// `br0`, `docker0`, `enp0s3`). A VPC's name is its bridge's name, so a VPC
/// named like one of these would take, or be taken for, the host's own
/// interface.
pub const DRIVER_PREFIXES: &[&str] = &[
    // Bridges, tunnels and virtual links.
    "bridge",
    "br",
    "vxlan",
    "tap",
    "tun",
    "epair",
    "veth",
    "vnet",
    "gif",
    "gre",
    "ipip",
    "sit",
    "ip6tnl",
    "ip6gre",
    "wg",
    "lagg",
    "vlan",
    "bond",
    "team",
    "macvlan",
    "macvtap",
    "ipvlan",
    "dummy",
    "vrf",
    "ifb",
    "geneve",
    "erspan",
    "lo",
    "stf",
    "enc",
    "pflog",
    "pfsync",
    "carp",
    "ng",
    "ovpn",
    "vmnet",
    "vboxnet",
    "virbr",
    "docker",
    "cni",
    "flannel",
    "cali",
    "lxcbr",
    "lxdbr",
    "podman",
    "ovs",
    "tailscale",
    "zt",
    // Ethernet and wireless: Linux naming schemes and FreeBSD drivers.
    "eth",
    "ens",
    "enp",
    "eno",
    "enx",
    "wlan",
    "wlp",
    "wlo",
    "wls",
    "ib",
    "em",
    "igb",
    "igc",
    "ix",
    "ixl",
    "ixv",
    "ice",
    "vtnet",
    "re",
    "rl",
    "bge",
    "bce",
    "bxe",
    "cxl",
    "cc",
    "mlxen",
    "mce",
    "ena",
    "hn",
    "xn",
    "vmx",
    "axe",
    "axge",
    "ue",
    "ure",
    "alc",
    "ale",
    "age",
    "msk",
    "sk",
    "nfe",
    "fxp",
    "dc",
    "ath",
    "iwm",
    "iwn",
    "iwlwifi",
    "rtwn",
    "oce",
    "qlnxe",
    "ql",
    "lio",
    "al",
    "dpaa",
    "genet",
    "cpsw",
    "awg",
    "mgb",
];

/// The driver `name` is shaped like: one of [`DRIVER_PREFIXES`] followed
/// by a digit (and anything after, as in `enp0s3` or `veth1a2b`).
pub fn driver_shaped(name: &str) -> Option<&'static str> {
    DRIVER_PREFIXES
        .iter()
        .filter(|p| {
            name.strip_prefix(**p)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .max_by_key(|p| p.len())
        .copied()
}

/// A node's name: a host name (letters, digits, '.', '-', '_'), 1 to 250
/// bytes, not starting with '.' or '-'. It names a file in the state
/// directory (`<name>.json` within the 255-byte limit), so nothing else is
/// What every tunnel's description (FreeBSD) or alias (Linux) starts
/// with: CBSD's `tunnel-to-<node>`.
pub const TUNNEL_DESCRIPTION_PREFIX: &str = "tunnel-to-";

/// The longest alias Linux keeps: `IFALIASZ` (256) less the NUL.
/// FreeBSD's descriptions hold more (`net.link.ifdescr_maxlen`, 1024).
pub const ALIAS_MAX: usize = 255;

/// The longest node name: its tunnels' alias `tunnel-to-<name>` must fit
/// in [`ALIAS_MAX`] (a longer one makes Linux refuse the alias midway
/// through `apply`). `<name>.json` stays within the 255-byte file name.
pub const NODE_NAME_MAX: usize = ALIAS_MAX - TUNNEL_DESCRIPTION_PREFIX.len();

/// A node's name: a host name (letters, digits, '.', '-', '_'), 1 to
/// [`NODE_NAME_MAX`] bytes, not starting with '.' or '-'. It names a file
/// in the state directory and ends the tunnels' alias, so nothing else is
/// allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct NodeName(String);

impl NodeName {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<Self> {
        let ok = !name.is_empty()
            && name.len() <= NODE_NAME_MAX
            && !name.starts_with(['.', '-'])
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !ok {
            return Err(Error::invalid(format!(
                "node name {name:?} is not valid: expected a host name of 1 to {NODE_NAME_MAX} \
                 letters, digits, '.', '-' or '_', not starting with '.' or '-' \
                 (its tunnels' alias {TUNNEL_DESCRIPTION_PREFIX}<name> holds at most {ALIAS_MAX} bytes)"
            )));
        }
        Ok(NodeName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($ty:ident) => {
        impl TryFrom<String> for $ty {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                $ty::new(&s)
            }
        }
        impl From<$ty> for String {
            fn from(n: $ty) -> String {
                n.0
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        // The text itself, borrowed: a peer map writes a name per end.
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $ty::new(s)
            }
        }
    };
}
string_newtype_impls!(VpcName);
string_newtype_impls!(NodeName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpc_names() {
        for ok in ["vpc1", "a", "A_b9", "abcdefghijklmno"] {
            assert!(VpcName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1vpc",
            "_x",
            "vpc-1",
            "vpc.1",
            "a/b",
            "abcdefghijklmnop",
            "vpç",
        ] {
            let e = VpcName::new(bad).unwrap_err();
            assert!(e.message().contains("vpc_name"), "{e}");
            assert!(e.message().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn driver_shaped_vpc_names_are_refused() {
        for (bad, driver) in [
            ("bridge0", "bridge"),
            ("br0", "br"),
            ("vxlan5", "vxlan"),
            ("tap0", "tap"),
            ("epair0", "epair"),
            ("lo0", "lo"),
            ("em0", "em"),
            ("docker0", "docker"),
            ("virbr0", "virbr"),
            ("wg0", "wg"),
            ("enp0s3", "enp"),
            ("veth1a2b", "veth"),
            ("igb1", "igb"),
            ("vlan100", "vlan"),
        ] {
            let e = VpcName::new(bad).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Invalid, "{e}");
            assert!(e.message().contains(&format!("{bad:?}")), "{e}");
            assert!(
                e.message().contains(&format!("the {driver} driver")),
                "{bad}: {e}"
            );
        }
        // The names tests and examples use, and names that only start like a
        // driver's.
        for ok in [
            "vpc1", "v1", "v2", "vpc", "a", "b", "red", "mix", "jumbo", "bad", "vl", "v4", "v6",
            "bench", "nope", "V", "VPC", "br", "bridge", "brx", "lan0x", "Br0", "eth_lan",
            "tenant0",
        ] {
            assert!(VpcName::new(ok).is_ok(), "{ok}: {:?}", VpcName::new(ok));
        }
    }

    #[test]
    fn node_names() {
        for ok in [
            "jhoster1.olevole.ru",
            "gold-hoster-02.hz.fbs.dev",
            "h_1",
            "a",
        ] {
            assert!(NodeName::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "-x", "a/b", "a b", "a\0", &"x".repeat(251)] {
            assert!(NodeName::new(bad).is_err(), "{bad}");
        }
    }

    /// Names of 246 to 250 bytes passed once, and Linux refused their
    /// tunnels' alias (IFALIASZ) in the middle of `apply`.
    #[test]
    fn a_node_name_leaves_room_for_its_tunnels_alias() {
        assert_eq!(NODE_NAME_MAX, 245);
        let longest = "x".repeat(NODE_NAME_MAX);
        assert!(NodeName::new(&longest).is_ok());
        assert_eq!(
            format!("{TUNNEL_DESCRIPTION_PREFIX}{longest}").len(),
            ALIAS_MAX
        );
        for len in NODE_NAME_MAX + 1..=251 {
            let name = "x".repeat(len);
            let e = NodeName::new(&name).unwrap_err();
            assert_eq!(
                e.message(),
                format!(
                    "node name {name:?} is not valid: expected a host name of 1 to 245 \
                     letters, digits, '.', '-' or '_', not starting with '.' or '-' \
                     (its tunnels' alias tunnel-to-<name> holds at most 255 bytes)"
                )
            );
        }
    }
}
