//! `vpc_spec`: a VPC definition, and the MTU arithmetic.

use std::ffi::c_char;

use vpc_core::Error;
use vpc_core::model::addr::Family;
use vpc_core::model::mtu;
use vpc_core::model::spec::Spec;
use vpc_core::ops::{self};
use vpc_core::request::{FromPairs, Init};

use crate::boundary::{self, Result};
use crate::error::vpc_error;
use crate::status::vpc_status;
use crate::store::vpc_store;

/// A VPC definition.
#[allow(non_camel_case_types, reason = "a C type name")]
#[derive(Debug)]
pub struct vpc_spec(pub(crate) Spec);

/// Reads and checks a spec from JSON (as `vpc mode=export` writes it).
///
/// Ownership: `json` stays the caller's; `*out` is the caller's, freed with
/// `vpc_spec_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_spec_from_json(
    json: *const c_char,
    out: *mut *mut vpc_spec,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let text = boundary::text(json, "json")?;
        let out = boundary::out(out, "out")?;
        let spec = Spec::from_json(text)?;
        boundary::put(out, boundary::handle(vpc_spec(spec)));
        Ok(())
    })
}

/// Defines a spec from `count` key/value pairs, the keys of `vpc mode=init`
/// (`vpc_name`, `node_member`, `peer_network`, and the options such as
/// `mtu` or `numbering`), with `store`'s host as initiator and its known
/// nodes as candidates. Nothing is stored.
///
/// Ownership: `store`, `keys` and `values` stay the caller's; `*out` is the
/// caller's, freed with `vpc_spec_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_spec_define(
    store: *const vpc_store,
    keys: *const *const c_char,
    values: *const *const c_char,
    count: usize,
    out: *mut *mut vpc_spec,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let out = boundary::out(out, "out")?;
        let req = Init::from_pairs(crate::node::pairs(keys, values, count)?)?;
        let spec = ops::define_vpc(store, req.vpc, &req.members, &req.options)?;
        boundary::put(out, boundary::handle(vpc_spec(spec)));
        Ok(())
    })
}

/// Checks every rule a spec must keep.
///
/// Ownership: `spec` stays the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_spec_validate(spec: *const vpc_spec, err: *mut *mut vpc_error) -> vpc_status {
    boundary::guard(err, || Ok(boundary::get(spec, "spec")?.0.check()?))
}

/// The spec as JSON.
///
/// Ownership: `spec` stays the caller's; `*out` is the caller's, freed with
/// `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_spec_to_json(
    spec: *const vpc_spec,
    out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let spec = &boundary::get(spec, "spec")?.0;
        let out = boundary::out(out, "out")?;
        boundary::put(out, boundary::c_string(spec.to_json())?);
        Ok(())
    })
}

/// The VPC's MTU.
///
/// Ownership: `spec` stays the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_spec_mtu(
    spec: *const vpc_spec,
    out: *mut u32,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let spec = &boundary::get(spec, "spec")?.0;
        let out = boundary::out(out, "out")?;
        boundary::put(out, spec.mtu()?);
        Ok(())
    })
}

/// Frees a spec; NULL is fine.
///
/// Ownership: takes `spec`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_spec_free(spec: *mut vpc_spec) {
    boundary::free(spec);
}

fn family(code: u8) -> Result<Option<Family>> {
    match code {
        0 => Ok(None),
        4 => Ok(Some(Family::V4)),
        6 => Ok(Some(Family::V6)),
        _ => Err(Error::invalid(format!(
            "family {code} is not valid: expected 4, 6 or 0 (no pairs)"
        ))
        .into()),
    }
}

/// A VPC MTU: `underlay_mtu` minus the VXLAN overhead of `worst_family`
/// (4 or 6; 0 when there are no pairs, counted as 6), 4 more with `vlan`;
/// or `requested` (0: none) after checking it against that and 1280.
///
/// Ownership: nothing is allocated.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_mtu(
    underlay_mtu: u32,
    worst_family: u8,
    vlan: bool,
    requested: u32,
    out: *mut u32,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let out = boundary::out(out, "out")?;
        let requested = (requested != 0).then_some(requested);
        boundary::put(
            out,
            mtu::vpc_mtu(underlay_mtu, family(worst_family)?, vlan, requested)?,
        );
        Ok(())
    })
}
