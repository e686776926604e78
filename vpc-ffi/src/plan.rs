//! `vpc_plan`: what one node of a VPC needs, as changes and as the
//! commands a dry run prints.

use std::ffi::c_char;

use vpc_core::model::name::NodeName;
use vpc_core::model::platform::Platform;
use vpc_core::ops::run;

use crate::boundary;
use crate::error::vpc_error;
use crate::spec::vpc_spec;
use crate::status::vpc_status;

/// A node's plan.
#[allow(non_camel_case_types, reason = "a C type name")]
#[derive(Debug)]
pub struct vpc_plan {
    changes: usize,
    json: String,
    text: String,
}

/// The plan that brings member `node` of `spec` up from an empty node,
/// rendered for `os` ("freebsd" or "linux"; NULL: this host's system) —
/// what `vpc mode=apply dryrun=1 os=OS node=NODE` prints.
///
/// Ownership: `spec` stays the caller's; `*out` is the caller's, freed with
/// `vpc_plan_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_plan_new(
    spec: *const vpc_spec,
    node: *const c_char,
    os: *const c_char,
    out: *mut *mut vpc_plan,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let spec = &boundary::get(spec, "spec")?.0;
        let node = NodeName::new(boundary::text(node, "node")?)?;
        let os = boundary::optional_text(os, "os")?
            .map(str::parse::<Platform>)
            .transpose()?;
        let out = boundary::out(out, "out")?;
        let what = vpc_core::ops::Preview::Converge(vpc_core::plan::Scope::All);
        let report = run::plan_spec(spec, &node, os, what)?;
        let json = vpc_core::report::to_json(&report.changes)?;
        let mut text = String::new();
        for l in &report.commands {
            text.push_str(l);
            text.push('\n');
        }
        boundary::put(
            out,
            boundary::handle(vpc_plan {
                changes: report.changes.len(),
                json,
                text,
            }),
        );
        Ok(())
    })
}

/// How many changes the plan has (0 for NULL).
///
/// Ownership: `plan` stays the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_plan_len(plan: *const vpc_plan) -> usize {
    boundary::get(plan, "plan").map_or(0, |p| p.changes)
}

/// The changes as a JSON array (each with an "op").
///
/// Ownership: `plan` stays the caller's; `*out` is the caller's, freed with
/// `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_plan_changes_json(
    plan: *const vpc_plan,
    out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let plan = boundary::get(plan, "plan")?;
        let out = boundary::out(out, "out")?;
        boundary::put(out, boundary::c_string(plan.json.clone())?);
        Ok(())
    })
}

/// The commands, one per line, as the dry run prints them.
///
/// Ownership: `plan` stays the caller's; `*out` is the caller's, freed with
/// `vpc_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_plan_render(
    plan: *const vpc_plan,
    out: *mut *mut c_char,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let plan = boundary::get(plan, "plan")?;
        let out = boundary::out(out, "out")?;
        boundary::put(out, boundary::c_string(plan.text.clone())?);
        Ok(())
    })
}

/// Frees a plan; NULL is fine.
///
/// Ownership: takes `plan`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_plan_free(plan: *mut vpc_plan) {
    boundary::free(plan);
}
