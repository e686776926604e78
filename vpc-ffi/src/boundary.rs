//! The one boundary every export goes through: arguments checked (NULL,
//! UTF-8), the body run with panics caught, failures turned into a status
//! code and, when asked for, an owned `vpc_error`. Handles are made and
//! freed only here.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::vpc_error;
use crate::status::{self, VPC_INTERNAL, VPC_INVALID_UTF8, VPC_NULL_ARGUMENT, VPC_OK, vpc_status};

/// Why a call failed.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: vpc_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: vpc_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
}

impl From<vpc_core::Error> for Failure {
    fn from(e: vpc_core::Error) -> Failure {
        Failure::new(status::of_kind(e.kind()), e.message())
    }
}

pub(crate) type Result<T> = std::result::Result<T, Failure>;

/// Runs `body`; returns its status, storing a `vpc_error` in `*err` on
/// failure when `err` is not NULL. A panic becomes `VPC_INTERNAL`.
pub(crate) fn guard(err: *mut *mut vpc_error, body: impl FnOnce() -> Result<()>) -> vpc_status {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return VPC_OK,
        Ok(Err(f)) => f,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".to_owned());
            Failure::new(VPC_INTERNAL, format!("internal error in libvpc: {what}"))
        }
    };
    if !err.is_null() {
        let e = vpc_error::new(failure.status, &failure.message);
        // SAFETY: `err` is non-null and, by the API's contract, points at a
        // writable `vpc_error *`.
        unsafe { *err = handle(e) };
    }
    failure.status
}

/// `p` as a `&str`; `name` is the parameter, for the message.
pub(crate) fn text<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Failure::new(
            VPC_NULL_ARGUMENT,
            format!("argument {name} is NULL"),
        ));
    }
    // SAFETY: non-null, and by contract a NUL-terminated string that lives
    // for the call.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        Failure::new(
            VPC_INVALID_UTF8,
            format!("argument {name} is not valid UTF-8: {e}"),
        )
    })
}

/// `p` as a `&str`, or `None` when it is NULL (an optional argument).
pub(crate) fn optional_text<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        text(p, name).map(Some)
    }
}

/// `p` as a shared reference.
pub(crate) fn get<'a, T>(p: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: by contract a non-null `p` points at a live `T` (a handle this
    // library made, or a struct the caller filled) for the call.
    unsafe { p.as_ref() }
        .ok_or_else(|| Failure::new(VPC_NULL_ARGUMENT, format!("argument {name} is NULL")))
}

/// `p` as an exclusive reference.
pub(crate) fn get_mut<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T> {
    // SAFETY: by contract a non-null `p` points at a live `T` (a handle this
    // library made) that no other thread uses during the call.
    unsafe { p.as_mut() }
        .ok_or_else(|| Failure::new(VPC_NULL_ARGUMENT, format!("argument {name} is NULL")))
}

/// Checks an output pointer; writes happen only on success, with [`put`].
pub(crate) fn out<T>(p: *mut T, name: &str) -> Result<*mut T> {
    if p.is_null() {
        Err(Failure::new(
            VPC_NULL_ARGUMENT,
            format!("argument {name} is NULL"),
        ))
    } else {
        Ok(p)
    }
}

/// Writes `value` through an output pointer checked by [`out`].
pub(crate) fn put<T>(p: *mut T, value: T) {
    // SAFETY: `p` passed [`out`] (non-null) and by contract is writable.
    unsafe { p.write(value) }
}

/// A heap handle for C.
pub(crate) fn handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by [`handle`]; NULL is fine.
pub(crate) fn free<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: `p` came from `handle` (Box::into_raw) and is freed once,
        // by the API's contract.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A string for C, freed with `vpc_string_free`.
pub(crate) fn c_string(s: String) -> Result<*mut c_char> {
    CString::new(s).map(CString::into_raw).map_err(|_| {
        Failure::new(
            VPC_INTERNAL,
            "internal error in libvpc: a NUL byte in a result",
        )
    })
}

/// Frees a string made by [`c_string`]; NULL is fine.
pub(crate) fn free_string(p: *mut c_char) {
    if !p.is_null() {
        // SAFETY: `p` came from CString::into_raw and is freed once.
        drop(unsafe { CString::from_raw(p) });
    }
}

/// Copies `s` into a fixed C char array, NUL-terminated (callers size the
/// arrays for the longest value: interface names, IPv6 with prefix).
pub(crate) fn copy_into<const N: usize>(s: &str, to: &mut [c_char; N]) {
    let bytes = s.as_bytes();
    let n = bytes.len().min(N - 1);
    for (d, b) in to.iter_mut().zip(bytes[..n].iter()) {
        *d = *b as c_char;
    }
    to[n] = 0;
}
