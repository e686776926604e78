//! This host's interfaces of a VPC: apply, teardown and health, through
//! the core's operations (which choose this host's kernel), and any
//! operation by name.

use std::ffi::c_char;
use std::time::Duration;

use vpc_core::ops::run;
use vpc_core::plan::Scope;
use vpc_core::report;
use vpc_core::request;

use crate::boundary::{self, Result};
use crate::error::vpc_error;
use crate::status::vpc_status;
use crate::store::{vpc_name, vpc_store};

/// `count` key/value pairs from two arrays of C strings.
pub(crate) fn pairs<'a>(
    keys: *const *const c_char,
    values: *const *const c_char,
    count: usize,
) -> Result<Vec<(&'a str, &'a str)>> {
    let mut pairs = Vec::with_capacity(count);
    for i in 0..count {
        // By contract `keys` and `values` hold `count` pointers each.
        let k = *boundary::get(keys.wrapping_add(i), "keys")?;
        let v = *boundary::get(values.wrapping_add(i), "values")?;
        pairs.push((
            boundary::text(k, "keys[i]")?,
            boundary::text(v, "values[i]")?,
        ));
    }
    Ok(pairs)
}

/// Converges this host's side of VPC `vpc`, as `vpc mode=apply --json`:
/// `*report_out` receives the changes made as JSON. Needs root.
///
/// Ownership: `*report_out` is the caller's, freed with `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_apply(
    store: *const vpc_store,
    vpc: *const c_char,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let req = request::Converge {
            vpc: vpc_name(vpc)?,
            scope: Scope::All,
            dry_run: None,
            bridge_ips: None,
        };
        let out = boundary::out(report_out, "report_out")?;
        let json = report::to_json(&run::converge(store, &req)?)?;
        boundary::put(out, boundary::c_string(json)?);
        Ok(())
    })
}

/// Removes this host's interfaces of VPC `vpc`, as `vpc mode=teardown
/// --json`. Needs root.
///
/// Ownership: `*report_out` is the caller's, freed with `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_teardown(
    store: *const vpc_store,
    vpc: *const c_char,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let req = request::Teardown {
            vpc: vpc_name(vpc)?,
            scope: Scope::All,
            dry_run: None,
        };
        let out = boundary::out(report_out, "report_out")?;
        let json = report::to_json(&run::teardown(store, &req)?)?;
        boundary::put(out, boundary::c_string(json)?);
        Ok(())
    })
}

/// This host's health in VPC `vpc` as JSON (as `vpc mode=status --json`),
/// probing each tunnel's far end for up to `timeout_ms`; `*healthy` tells
/// the verdict. Probing needs root.
///
/// Ownership: `*report_out` is the caller's, freed with `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_health(
    store: *const vpc_store,
    vpc: *const c_char,
    timeout_ms: u32,
    healthy: *mut bool,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let req = request::Status {
            vpc: vpc_name(vpc)?,
            timeout: Duration::from_millis(u64::from(timeout_ms)),
        };
        let healthy = boundary::out(healthy, "healthy")?;
        let out = boundary::out(report_out, "report_out")?;
        let r = run::status(store, &req)?;
        let json = report::to_json(&r)?;
        boundary::put(healthy, r.healthy);
        boundary::put(out, boundary::c_string(json)?);
        Ok(())
    })
}

/// Runs operation `op` with `count` key/value pairs, as the command line
/// `vpc OP key=value… --json` does, and gives its JSON document:
/// `op` is the words after `vpc`, such as `"node init"`, `"init"`,
/// `"init_peers"` or `"apply"`. `input` (may be NULL) is the document
/// `"receive"` reads. The operations over SSH (`node add` without
/// `offline=1`, `sync`, `deploy`, `destroy`) answer `VPC_UNSUPPORTED`.
///
/// Ownership: `keys`, `values` and `input` stay the caller's;
/// `*report_out` is the caller's, freed with `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_store_run(
    store: *const vpc_store,
    op: *const c_char,
    keys: *const *const c_char,
    values: *const *const c_char,
    count: usize,
    input: *const c_char,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let op = boundary::text(op, "op")?;
        let pairs = pairs(keys, values, count)?;
        let input = boundary::optional_text(input, "input")?;
        let out = boundary::out(report_out, "report_out")?;
        let json = run::by_name(store, op, pairs, input)?;
        boundary::put(out, boundary::c_string(json)?);
        Ok(())
    })
}
