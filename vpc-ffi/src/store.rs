//! `vpc_store`: a state directory.

use std::ffi::c_char;

use vpc_core::model::name::VpcName;
use vpc_core::ops::run;
use vpc_core::report;
use vpc_core::store::Store;

use crate::boundary::{self, Result};
use crate::error::vpc_error;
use crate::spec::vpc_spec;
use crate::status::vpc_status;

/// A state directory.
#[allow(non_camel_case_types, reason = "a C type name")]
#[derive(Debug)]
pub struct vpc_store(pub(crate) Store);

pub(crate) fn vpc_name(p: *const c_char) -> Result<VpcName> {
    Ok(VpcName::new(boundary::text(p, "vpc")?)?)
}

/// Opens the state directory `dir`, or with `dir` NULL the one the CLI
/// uses (`VPC_STATE_DIR`, else the system's). Nothing is created yet.
///
/// Ownership: `dir` stays the caller's (the store copies it); `*out` is the
/// caller's, freed with `vpc_store_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_open(
    dir: *const c_char,
    out: *mut *mut vpc_store,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let out = boundary::out(out, "out")?;
        let store = match boundary::optional_text(dir, "dir")? {
            Some(d) => Store::at(d)?,
            None => Store::from_env(),
        };
        boundary::put(out, boundary::handle(vpc_store(store)));
        Ok(())
    })
}

/// Sets how long the store's changes wait for the lock another process
/// holds on the state directory: `seconds` from 0 (do not wait) to 3600;
/// the default is 30. A change that waited that long fails with
/// `VPC_CONFLICT`, the message naming the holder's pid.
///
/// Ownership: `store` stays the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_set_lock_timeout(
    store: *mut vpc_store,
    seconds: u32,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = boundary::get_mut(store, "store")?;
        let timeout = vpc_core::request::lock_timeout(&seconds.to_string())?;
        store.0 = store.0.clone().with_lock_timeout(timeout);
        Ok(())
    })
}

/// Frees a store; NULL is fine.
///
/// Ownership: takes `store`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_free(store: *mut vpc_store) {
    boundary::free(store);
}

/// This host and the nodes it knows, as `vpc node mode=list --json`
/// prints them.
///
/// Ownership: `store` stays the caller's; `*out` is the caller's, freed
/// with `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_nodes_json(
    store: *const vpc_store,
    out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let out = boundary::out(out, "out")?;
        let list = run::node_list(store, &vpc_core::request::NodeList)?;
        boundary::put(out, boundary::c_string(report::to_json(&list)?)?);
        Ok(())
    })
}

/// The VPCs held, one line each, as `vpc mode=list --json` prints them.
///
/// Ownership: `store` stays the caller's; `*out` is the caller's, freed
/// with `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_vpcs_json(
    store: *const vpc_store,
    out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let out = boundary::out(out, "out")?;
        boundary::put(
            out,
            boundary::c_string(report::to_json(&run::list(store)?)?)?,
        );
        Ok(())
    })
}

/// The spec of VPC `vpc`.
///
/// Ownership: `store` stays the caller's; `*out` is the caller's, freed
/// with `vpc_spec_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_spec(
    store: *const vpc_store,
    vpc: *const c_char,
    out: *mut *mut vpc_spec,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let name = vpc_name(vpc)?;
        let out = boundary::out(out, "out")?;
        let spec = store.require_vpc(&name)?;
        boundary::put(out, boundary::handle(vpc_spec(spec)));
        Ok(())
    })
}

/// The spec of VPC `vpc` as JSON, as `vpc mode=export` prints it.
///
/// Ownership: `store` stays the caller's; `*out` is the caller's, freed
/// with `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_export(
    store: *const vpc_store,
    vpc: *const c_char,
    out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let name = vpc_name(vpc)?;
        let out = boundary::out(out, "out")?;
        let spec = store.require_vpc(&name)?;
        boundary::put(out, boundary::c_string(spec.to_json())?);
        Ok(())
    })
}

/// Stores a spec received as JSON, like `vpc mode=receive`: validated,
/// and only if newer than the one held (an identical one is a no-op).
///
/// Ownership: `store` and `json` stay the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_receive(
    store: *const vpc_store,
    json: *const c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let text = boundary::text(json, "json")?;
        run::receive(store, text)?;
        Ok(())
    })
}
