//! Quota admission: whether one more guest fits a VPC's limits.

use vpc_core::model::quota::{self, Quota, Usage};

use crate::boundary;
use crate::error::vpc_error;
use crate::status::vpc_status;

/// A VPC's limits; 0 means unlimited. Memory and disk in bytes.
#[allow(non_camel_case_types, reason = "a C type name")]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vpc_quota {
    /// Most guests attached at once.
    pub max_guests: u64,
    /// Most virtual CPUs over all guests.
    pub max_cpus: u64,
    /// Most memory over all guests.
    pub max_mem: u64,
    /// Most disk over all guests.
    pub max_disk: u64,
}

/// What guests use.
#[allow(non_camel_case_types, reason = "a C type name")]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vpc_usage {
    /// Number of guests.
    pub guests: u64,
    /// Virtual CPUs.
    pub cpus: u64,
    /// Memory, bytes.
    pub mem: u64,
    /// Disk, bytes.
    pub disk: u64,
}

fn usage(u: &vpc_usage) -> Usage {
    Usage {
        guests: u.guests,
        cpus: u.cpus,
        mem: u.mem,
        disk: u.disk,
    }
}

/// Checks that `request` fits beside `used` under `limits`; on success
/// `*out` is the usage with it. The error (`VPC_QUOTA`) names the limit,
/// the usage and the request.
///
/// Ownership: every argument stays the caller's; `*out` is a plain struct
/// the caller owns.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_quota_admit(
    limits: *const vpc_quota,
    used: *const vpc_usage,
    request: *const vpc_usage,
    out: *mut vpc_usage,
    err: *mut *mut vpc_error,
) -> vpc_status {
    boundary::guard(err, || {
        let l = boundary::get(limits, "limits")?;
        let used = usage(boundary::get(used, "used")?);
        let request = usage(boundary::get(request, "request")?);
        let out = boundary::out(out, "out")?;
        let q = Quota {
            max_guests: l.max_guests,
            max_cpus: l.max_cpus,
            max_mem: l.max_mem,
            max_disk: l.max_disk,
        };
        let after = quota::admit(&q, used, request)?;
        boundary::put(
            out,
            vpc_usage {
                guests: after.guests,
                cpus: after.cpus,
                mem: after.mem,
                disk: after.disk,
            },
        );
        Ok(())
    })
}
