//! Validated values: what a request may name. Each refuses, with the
//! offending value, what the kernel would refuse or silently ignore.

use std::fmt;

use super::super::abi;
use super::bytes::name_field;
use crate::error::{Error, Result};

/// An interface name FreeBSD accepts: 1 to 15 ASCII bytes, no NUL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfName(String);

impl IfName {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<IfName> {
        if name.is_empty() || name.len() >= abi::IFNAMSIZ || !name.is_ascii() || name.contains('\0')
        {
            return Err(Error::invalid(format!(
                "interface name {name:?} is not valid: expected 1 to 15 ASCII bytes without NUL"
            )));
        }
        Ok(IfName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a NUL-padded `char[IFNAMSIZ]` field.
    pub(super) fn field(&self) -> [u8; abi::IFNAMSIZ] {
        name_field(self.0.as_bytes())
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A VXLAN network identifier, 1 to 16777215.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Vni(u32);

impl Vni {
    /// Validates `vni`: the kernel silently ignores a VNI of 2^24 or more
    /// at create time, so it is refused here.
    pub fn new(vni: u32) -> Result<Vni> {
        if vni == 0 || vni >= abi::VXLAN_VNI_MAX {
            return Err(Error::invalid(format!(
                "VNI {vni} is not valid: expected 1 to 16777215"
            )));
        }
        Ok(Vni(vni))
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// The interface cloners this backend creates from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloner {
    /// vxlan(4).
    Vxlan,
    /// if_bridge(4).
    Bridge,
    /// wg(4) (FreeBSD 13.2 and later, module `if_wg`).
    Wireguard,
}

impl Cloner {
    /// The cloner's name, which `SIOCIFCREATE2` takes as `ifr_name` to pick
    /// the next free unit.
    pub fn name(self) -> &'static str {
        match self {
            Cloner::Vxlan => "vxlan",
            Cloner::Bridge => "bridge",
            Cloner::Wireguard => "wg",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn interface_names_are_validated() {
        for good in ["a", "vxlan1", "vpc1", "tunnel-to-gold.", "123456789012345"] {
            assert_eq!(IfName::new(good).unwrap().as_str(), good);
        }
        for bad in ["", "1234567890123456", "vx\0lan", "vxlanü"] {
            let e = IfName::new(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid);
            assert!(e.message().contains("1 to 15 ASCII bytes"), "{e}");
        }
    }
}
