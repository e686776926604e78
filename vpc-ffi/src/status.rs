//! Status codes: numbered by range and never reused. 0 is success; 1xx
//! are the caller's mistakes at the boundary; 2xx are the library's error
//! kinds, one each, numbered in the order they were added (a new kind
//! takes the next free number, whatever its place in `ErrorKind`); 9xx
//! are faults of the library itself.

use vpc_core::ErrorKind;

/// A status code, returned by every fallible function.
#[allow(non_camel_case_types, reason = "a C type name")]
pub type vpc_status = u32;

/// Success.
pub const VPC_OK: vpc_status = 0;
/// A required pointer argument is NULL.
pub const VPC_NULL_ARGUMENT: vpc_status = 100;
/// A string argument is not valid UTF-8.
pub const VPC_INVALID_UTF8: vpc_status = 101;
/// An index is past the end.
pub const VPC_OUT_OF_RANGE: vpc_status = 102;
/// A value breaks a rule: a malformed name, address, number, key or JSON.
pub const VPC_INVALID: vpc_status = 200;
/// The peer network or the VNI space cannot hold what is asked.
pub const VPC_CAPACITY: vpc_status = 201;
/// The request clashes with something that exists.
pub const VPC_CONFLICT: vpc_status = 202;
/// A VPC, node or member that is not there.
pub const VPC_NOT_FOUND: vpc_status = 203;
/// A received spec is not newer than the one held.
pub const VPC_STALE: vpc_status = 204;
/// A state file cannot be read as what it should be.
pub const VPC_CORRUPT: vpc_status = 205;
/// A quota limit would be exceeded.
pub const VPC_QUOTA: vpc_status = 206;
/// A kernel operation failed.
pub const VPC_BACKEND: vpc_status = 207;
/// Not available on this platform or build.
pub const VPC_UNSUPPORTED: vpc_status = 208;
/// The file system failed.
pub const VPC_IO: vpc_status = 209;
/// Another node failed over SSH: connection, host key, login, a timeout,
/// or the remote command's failure.
pub const VPC_REMOTE: vpc_status = 210;
/// The library failed inside (a bug): the call had no effect that can be
/// relied on.
pub const VPC_INTERNAL: vpc_status = 900;

/// Every status code.
#[cfg(test)]
pub(crate) const ALL: [vpc_status; 16] = [
    VPC_OK,
    VPC_NULL_ARGUMENT,
    VPC_INVALID_UTF8,
    VPC_OUT_OF_RANGE,
    VPC_INVALID,
    VPC_CAPACITY,
    VPC_CONFLICT,
    VPC_NOT_FOUND,
    VPC_STALE,
    VPC_CORRUPT,
    VPC_QUOTA,
    VPC_BACKEND,
    VPC_UNSUPPORTED,
    VPC_IO,
    VPC_REMOTE,
    VPC_INTERNAL,
];

/// The status of an error kind. No wildcard: a new kind must be given a
/// code here before anything compiles.
pub(crate) fn of_kind(kind: ErrorKind) -> vpc_status {
    match kind {
        ErrorKind::Invalid => VPC_INVALID,
        ErrorKind::Capacity => VPC_CAPACITY,
        ErrorKind::Conflict => VPC_CONFLICT,
        ErrorKind::NotFound => VPC_NOT_FOUND,
        ErrorKind::Stale => VPC_STALE,
        ErrorKind::Corrupt => VPC_CORRUPT,
        ErrorKind::Quota => VPC_QUOTA,
        ErrorKind::Backend => VPC_BACKEND,
        ErrorKind::Remote => VPC_REMOTE,
        ErrorKind::Unsupported => VPC_UNSUPPORTED,
        ErrorKind::Io => VPC_IO,
    }
}

/// A static, NUL-terminated description of `status`.
pub(crate) fn description(status: vpc_status) -> &'static std::ffi::CStr {
    match status {
        VPC_OK => c"success",
        VPC_NULL_ARGUMENT => c"a required pointer argument is NULL",
        VPC_INVALID_UTF8 => c"a string argument is not valid UTF-8",
        VPC_OUT_OF_RANGE => c"an index is past the end",
        VPC_INVALID => c"a value breaks a rule",
        VPC_CAPACITY => c"the peer network or the VNI space is too small",
        VPC_CONFLICT => c"the request clashes with something that exists",
        VPC_NOT_FOUND => c"a VPC, node or member is not there",
        VPC_STALE => c"the received spec is not newer than the one held",
        VPC_CORRUPT => c"a state file is not valid",
        VPC_QUOTA => c"a quota limit would be exceeded",
        VPC_BACKEND => c"a kernel operation failed",
        VPC_UNSUPPORTED => c"not available on this platform or build",
        VPC_IO => c"the file system failed",
        VPC_REMOTE => c"another node failed over SSH",
        VPC_INTERNAL => c"internal error in libvpc",
        _ => c"unknown status code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_described() {
        let mut seen = std::collections::HashSet::new();
        for s in ALL {
            assert!(seen.insert(s), "{s} twice");
            let d = description(s).to_str().unwrap_or_default();
            assert!(!d.is_empty() && d != "unknown status code", "{s}");
        }
        assert_eq!(
            description(12345).to_str().ok(),
            Some("unknown status code")
        );
    }

    #[test]
    fn every_kind_has_its_own_code() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let s = of_kind(kind);
            assert!(ALL.contains(&s) && (200..300).contains(&s), "{kind}: {s}");
            assert!(seen.insert(s), "{kind} shares {s}");
        }
    }
}
