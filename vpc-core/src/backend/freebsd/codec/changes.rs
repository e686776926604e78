//! The requests that make a planner [`Change`], in order: the one place
//! that knows which kernel structs a change touches. The rule set and a
//! WireGuard configuration are no ioctl vpc speaks: programs make them
//! (`backend::freebsd::programs`), and their changes have no request.

use std::net::IpAddr;
use std::num::NonZeroU16;

use super::ifbreq::{bridge_add, bridge_del, make_private};
use super::ifreq::{
    create_bridge, create_wireguard, del_inet, destroy, rename_created, set_description, set_mtu,
    up,
};
use super::ifvxlanparam::{VxlanParams, create_vxlan};
use super::in_aliasreq::add_inet;
use super::in6_aliasreq::add_inet6;
use super::in6_ifreq::del_inet6;
use super::request::Request;
use super::value::{Cloner, IfName, Vni};
use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::IfAddr;
use crate::plan::Change;

/// Adds `addr` to `name`, by family.
pub fn add_addr(name: &IfName, addr: &IfAddr) -> Result<Request> {
    match addr.addr {
        IpAddr::V4(a) => add_inet(name, a, addr.prefix),
        IpAddr::V6(a) => add_inet6(name, a, addr.prefix),
    }
}

/// Deletes `addr` from `name`, by family.
pub fn del_addr(name: &IfName, addr: &IfAddr) -> Request {
    match addr.addr {
        IpAddr::V4(a) => del_inet(name, a),
        IpAddr::V6(a) => del_inet6(name, a),
    }
}

fn port(port: u16) -> Result<NonZeroU16> {
    NonZeroU16::new(port)
        .ok_or_else(|| Error::invalid("vxlan port 0 is not valid: expected 1 to 65535"))
}

/// `create` (a cloner's `SIOCIFCREATE2`), then the rename of what it made
/// to `name`, its MTU and its description.
fn created_renamed(
    create: Request,
    cloner: Cloner,
    name: &str,
    mtu: u32,
    description: &str,
) -> Result<Vec<Request>> {
    let name = IfName::new(name)?;
    Ok(vec![
        create,
        rename_created(cloner, &name),
        set_mtu(&name, mtu)?,
        set_description(&name, description)?,
    ])
}

/// The requests that make `change`, in order. Every value is validated
/// before any request is built, so a change is refused whole or not at
/// all. FreeBSD names interfaces in every ioctl: no index is needed.
pub fn requests(change: &Change) -> Result<Vec<Request>> {
    Ok(match change {
        Change::Destroy { name } => vec![destroy(&IfName::new(name)?)],
        Change::CreateBridge {
            name,
            mtu,
            description,
        } => {
            // The VPC's name is no cloner unit name: create, then rename.
            // The first member sets the bridge's MTU anyway; the tunnels
            // have the same one.
            created_renamed(create_bridge(), Cloner::Bridge, name, *mtu, description)?
        }
        Change::CreateVxlan {
            name,
            vni,
            local,
            remote,
            port: udp,
            mtu,
            description,
        } => {
            let name = IfName::new(name)?;
            let udp = port(*udp)?;
            let params = VxlanParams {
                vni: Some(Vni::new(*vni)?),
                local: Some(*local),
                remote: Some(*remote),
                local_port: Some(udp),
                remote_port: Some(udp),
                learn: None,
            };
            // Create by cloner name, then rename: "vxlan<vni>" given to
            // the create would fail with EEXIST while a renamed interface
            // holds that unit, whereas a wildcard create always finds a
            // free one. Rename at once, so a failure leaves little behind.
            vec![
                create_vxlan(&params)?,
                rename_created(Cloner::Vxlan, &name),
                set_mtu(&name, *mtu)?,
                set_description(&name, description)?,
            ]
        }
        Change::SetMtu { name, mtu } => vec![set_mtu(&IfName::new(name)?, *mtu)?],
        Change::SetDescription { name, text } => {
            vec![set_description(&IfName::new(name)?, text)?]
        }
        Change::DelAddr { name, addr } => vec![del_addr(&IfName::new(name)?, addr)],
        Change::AddAddr { name, addr } => vec![add_addr(&IfName::new(name)?, addr)?],
        Change::DelNeighbour { name, ip } => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "removing a permanent neighbour entry ({ip} on {name}) is a Linux change: \
                     FreeBSD's observation holds none, so its plans never hold one"
                ),
            ));
        }
        Change::AddPort {
            bridge,
            port,
            private,
        } => {
            let bridge = IfName::new(bridge)?;
            let port = IfName::new(port)?;
            let mut v = vec![bridge_add(&bridge, &port)];
            if *private {
                v.push(make_private(&bridge, &port));
            }
            v
        }
        Change::DelPort { bridge, port } => {
            vec![bridge_del(&IfName::new(bridge)?, &IfName::new(port)?)]
        }
        Change::SetPrivate { bridge, port } => {
            vec![make_private(&IfName::new(bridge)?, &IfName::new(port)?)]
        }
        Change::Up { name } => vec![up(&IfName::new(name)?)],
        // Made whole by a program, pfctl or wg(8) (`backend::freebsd::
        // programs`): no ioctl.
        Change::SetFirewall { .. }
        | Change::RemoveFirewall { .. }
        | Change::SetWireguard { .. } => Vec::new(),
        Change::CreateWireguard {
            name,
            mtu,
            description,
        } => {
            // After `kldload -n if_wg` (the programs run first): created by
            // cloner name, then renamed, as a bridge is.
            created_renamed(
                create_wireguard(),
                Cloner::Wireguard,
                name,
                *mtu,
                description,
            )?
        }
    })
}
