//! `vpc_error`: an owned error with a status and a message.

use std::ffi::{CString, c_char};

use crate::boundary;
use crate::status::vpc_status;

/// An error's status and message; freed with `vpc_error_free`.
#[allow(non_camel_case_types, reason = "a C type name")]
#[derive(Debug)]
pub struct vpc_error {
    status: vpc_status,
    message: CString,
}

impl vpc_error {
    pub(crate) fn new(status: vpc_status, message: &str) -> vpc_error {
        let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
        vpc_error { status, message }
    }
}

/// The status of `error` (0 for NULL).
///
/// Ownership: `error` stays the caller's; NULL gives `VPC_OK`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_error_status(error: *const vpc_error) -> vpc_status {
    boundary::get(error, "error").map_or(0, |e| e.status)
}

/// The message of `error`: valid until the error is freed; "" for NULL.
///
/// Ownership: the text is borrowed from `error` and lives as long as it;
/// NULL gives "".
#[unsafe(no_mangle)]
pub extern "C" fn vpc_error_message(error: *const vpc_error) -> *const c_char {
    boundary::get(error, "error").map_or(c"".as_ptr(), |e| e.message.as_ptr())
}

/// Frees an error; NULL is fine.
///
/// Ownership: takes `error`.
#[unsafe(no_mangle)]
pub extern "C" fn vpc_error_free(error: *mut vpc_error) {
    boundary::free(error);
}
