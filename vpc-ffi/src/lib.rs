//! `libvpc`: the C ABI of vpc-core, declared in `include/vpc.h` (generated
//! by cbindgen from this crate).
//!
//! Conventions: every fallible function returns a `vpc_status` (0 is
//! success) and takes a `vpc_error **` last — NULL when no detail is
//! wanted, else it receives an owned error on failure. Inputs are `const`;
//! outputs are written only on success. Every handle has a `_free` that
//! accepts NULL; every returned string is freed with `vpc_string_free`.
//! No panic, NULL or invalid UTF-8 crosses the boundary: every export goes
//! through [`boundary::guard`].

mod boundary;
pub mod error;
pub mod node;
pub mod peer_map;
pub mod plan;
pub mod quota;
pub mod spec;
pub mod status;
pub mod store;

use std::ffi::c_char;

pub use status::*;

/// The major version of this header.
pub const VPC_VERSION_MAJOR: u32 = 0;
/// The minor version of this header.
pub const VPC_VERSION_MINOR: u32 = 1;
/// The patch version of this header.
pub const VPC_VERSION_PATCH: u32 = 0;

/// The library's version, "MAJOR.MINOR.PATCH": compare with
/// `VPC_VERSION_STRING` to check the header matches the library.
///
/// Ownership: a static string; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A static description of `status` ("unknown status code" for numbers
/// that are none).
///
/// Ownership: a static string; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_status_description(status: vpc_status) -> *const c_char {
    status::description(status).as_ptr()
}

/// Frees a string this library returned; NULL is fine.
///
/// Ownership: takes a string this library returned; NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_string_free(string: *mut c_char) {
    boundary::free_string(string);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_version_is_the_crate_version() {
        let crate_version = env!("CARGO_PKG_VERSION");
        // cbindgen cannot export a string constant: the config adds it.
        let header = include_str!("../../include/vpc.h");
        assert!(header.contains(&format!("#define VPC_VERSION_STRING \"{crate_version}\"\n")));
        let parts: Vec<u32> = crate_version
            .split('.')
            .map(|p| p.parse().unwrap_or(u32::MAX))
            .collect();
        assert_eq!(
            parts,
            [VPC_VERSION_MAJOR, VPC_VERSION_MINOR, VPC_VERSION_PATCH]
        );
        // SAFETY: vpc_version returns a static NUL-terminated string.
        let runtime = unsafe { std::ffi::CStr::from_ptr(vpc_version()) };
        assert_eq!(runtime.to_str().ok(), Some(crate_version));
    }
}
