//! `vpc_peer_map`: the tunnels of a VPC, as C structs and as JSON.

use std::ffi::{CString, c_char};

use crate::boundary::{self, Failure};
use crate::error::vpc_error;
use crate::spec::vpc_spec;
use crate::status::{VPC_OUT_OF_RANGE, vpc_status};

/// One end of a link.
#[allow(non_camel_case_types, reason = "a C type name")]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vpc_link_end {
    /// The member's slot in the VPC.
    pub slot: u32,
    /// The member's name; valid while the peer map lives.
    pub node: *const c_char,
    /// Its underlay address for this link, NUL-terminated.
    pub underlay: [c_char; 46],
    /// Its link address with prefix ("10.100.0.1/30"), NUL-terminated.
    pub link_addr: [c_char; 50],
}

/// One tunnel.
#[allow(non_camel_case_types, reason = "a C type name")]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vpc_link {
    /// Pair index.
    pub pair: u64,
    /// VXLAN network identifier, the same on both ends.
    pub vni: u32,
    /// Underlay family: 4 or 6.
    pub family: u8,
    /// Interface name on both ends ("vxlan1"), NUL-terminated.
    pub interface: [c_char; 16],
    /// The lower slot's end, then the higher slot's.
    pub ends: [vpc_link_end; 2],
}

/// The peer map of a spec.
#[allow(non_camel_case_types, reason = "a C type name")]
#[derive(Debug)]
pub struct vpc_peer_map {
    links: Vec<vpc_link>,
    // The names the links point at: CString buffers do not move when the
    // vector does.
    _names: Vec<CString>,
    json: String,
}

/// Computes the peer map of `spec`.
///
/// Ownership: `spec` stays the caller's (the map copies what it needs);
/// `*out` is the caller's, freed with `vpc_peer_map_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_spec_peer_map(
    spec: *const vpc_spec,
    out: *mut *mut vpc_peer_map,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let spec = &boundary::get(spec, "spec")?.0;
        let out = boundary::out(out, "out")?;
        let map = spec.peer_map()?;
        let names: Vec<CString> = spec
            .members()
            .map(|m| CString::new(m.node.name.as_str()).unwrap_or_default())
            .collect();
        let name_of = |n: &str| {
            names
                .iter()
                .find(|c| c.to_bytes() == n.as_bytes())
                .map_or(std::ptr::null(), |c| c.as_ptr())
        };
        let links = map
            .iter()
            .map(|l| {
                let end = |i: usize| {
                    let e = &l.ends[i];
                    let mut end = vpc_link_end {
                        slot: u32::try_from(e.slot).unwrap_or(u32::MAX),
                        node: name_of(e.node.as_str()),
                        underlay: [0; 46],
                        link_addr: [0; 50],
                    };
                    boundary::copy_into(&e.underlay.to_string(), &mut end.underlay);
                    boundary::copy_into(&e.link_addr.to_string(), &mut end.link_addr);
                    end
                };
                let mut link = vpc_link {
                    pair: l.pair,
                    vni: l.vni,
                    family: match l.family {
                        vpc_core::model::addr::Family::V4 => 4,
                        vpc_core::model::addr::Family::V6 => 6,
                    },
                    interface: [0; 16],
                    ends: [end(0), end(1)],
                };
                boundary::copy_into(&l.interface(), &mut link.interface);
                link
            })
            .collect();
        let json = serde_json::to_string_pretty(&map).unwrap_or_default();
        boundary::put(
            out,
            boundary::handle(vpc_peer_map {
                links,
                _names: names,
                json,
            }),
        );
        Ok(())
    })
}

/// How many links the map has (0 for NULL).
///
/// Ownership: `map` stays the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_peer_map_len(map: *const vpc_peer_map) -> usize {
    boundary::get(map, "map").map_or(0, |m| m.links.len())
}

/// Copies link `index` into `*out`.
///
/// Ownership: `map` stays the caller's; `*out` is a plain struct the caller
/// owns, nothing to free: its `node` names point into `map` and are valid
/// while it lives.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_peer_map_get(
    map: *const vpc_peer_map,
    index: usize,
    out: *mut vpc_link,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let map = boundary::get(map, "map")?;
        let out = boundary::out(out, "out")?;
        let link = map.links.get(index).ok_or_else(|| {
            Failure::new(
                VPC_OUT_OF_RANGE,
                format!(
                    "index {index} is past the end: the map has {} links",
                    map.links.len()
                ),
            )
        })?;
        boundary::put(out, *link);
        Ok(())
    })
}

/// The map as JSON: the `links` of `vpc mode=init_peers --json`.
///
/// Ownership: `map` stays the caller's; `*out` is the caller's, freed with
/// `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_peer_map_to_json(
    map: *const vpc_peer_map,
    out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let map = boundary::get(map, "map")?;
        let out = boundary::out(out, "out")?;
        boundary::put(out, boundary::c_string(map.json.clone())?);
        Ok(())
    })
}

/// Frees a peer map; NULL is fine.
///
/// Ownership: takes `map`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_peer_map_free(map: *mut vpc_peer_map) {
    boundary::free(map);
}
