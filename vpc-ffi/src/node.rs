//! This host's interfaces of a VPC: apply, teardown and health, through
//! the same backend the CLI uses.

use std::ffi::c_char;
use std::time::Duration;

use vpc_core::backend::{self, Backend};
use vpc_core::model::name::VpcName;
use vpc_core::ops;
use vpc_core::plan::{Plan, Scope};
use vpc_core::store::Store;

use crate::boundary::{self, Result};
use crate::error::vpc_error;
use crate::status::vpc_status;
use crate::store::{vpc_name, vpc_store};

fn report(plan: &Plan) -> Result<*mut c_char> {
    let doc = serde_json::json!({ "changes": plan.changes, "warnings": plan.warnings });
    boundary::c_string(serde_json::to_string_pretty(&doc).unwrap_or_default())
}

/// Runs `op` (apply or teardown) on this host's kernel for VPC `vpc`.
fn change(
    store: *const vpc_store,
    vpc: *const c_char,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
    op: fn(&Store, &VpcName, &mut dyn Backend, Scope) -> vpc_core::Result<Plan>,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let name = vpc_name(vpc)?;
        let out = boundary::out(report_out, "report_out")?;
        let mut kernel = backend::host()?;
        let plan = op(store, &name, kernel.as_mut(), Scope::All)?;
        boundary::put(out, report(&plan)?);
        Ok(())
    })
}

/// Converges this host's side of VPC `vpc` (as `vpc mode=apply`); `report`
/// receives the changes made as JSON. Needs root.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_apply(
    store: *const vpc_store,
    vpc: *const c_char,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    change(store, vpc, report_out, err, ops::converge)
}

/// Removes this host's interfaces of VPC `vpc` (as `vpc mode=teardown`).
#[unsafe(no_mangle)]
pub extern "C" fn vpc_teardown(
    store: *const vpc_store,
    vpc: *const c_char,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    change(store, vpc, report_out, err, ops::teardown)
}

/// This host's health in VPC `vpc` as JSON (as `vpc mode=status --json`),
/// probing each tunnel's far end for up to `timeout_ms`; `*healthy` tells
/// the verdict. Probing needs root.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_health(
    store: *const vpc_store,
    vpc: *const c_char,
    timeout_ms: u32,
    healthy: *mut bool,
    report_out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let store = &boundary::get(store, "store")?.0;
        let name = vpc_name(vpc)?;
        let healthy = boundary::out(healthy, "healthy")?;
        let out = boundary::out(report_out, "report_out")?;
        let mut kernel = backend::host()?;
        let health = ops::status(
            store,
            &name,
            kernel.as_mut(),
            Duration::from_millis(u64::from(timeout_ms)),
        )?;
        let text = serde_json::to_string_pretty(&health).unwrap_or_default();
        boundary::put(healthy, health.healthy());
        boundary::put(out, boundary::c_string(text)?);
        Ok(())
    })
}
