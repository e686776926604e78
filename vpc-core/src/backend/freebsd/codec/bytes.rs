//! Fields as byte ranges: writing them into the buffers the encoders size,
//! reading them out of the kernel's answers.
//!
//! Host-order fields are little-endian (amd64, arm64: `mod.rs` refuses
//! other FreeBSD targets). Writers index directly: an encoder fixes its
//! buffer's size and the ranges are the ABI's, pinned by tests, so a slice
//! out of range is a bug the tests catch. Readers and [`set_checked`] take
//! buffers from outside and answer errors instead.

use std::fmt;
use std::ops::Range;

use super::super::abi;
use super::request::LenField;
use super::value::IfName;
use crate::error::{Error, ErrorKind, Result};

/// A `char[IFNAMSIZ]` holding `name`, NUL-padded (cut to 15 bytes).
pub(super) fn name_field(name: &[u8]) -> [u8; abi::IFNAMSIZ] {
    let mut field = [0u8; abi::IFNAMSIZ];
    for (slot, b) in field.iter_mut().zip(name.iter().take(abi::IFNAMSIZ - 1)) {
        *slot = *b;
    }
    field
}

/// The length field at `at` (its width is the range's).
pub(super) const fn len_field(at: Range<usize>) -> LenField {
    LenField {
        at: at.start,
        width: at.end - at.start,
    }
}

/// Writes `bytes` over the field `at` of a buffer the encoder sized.
pub(super) fn put(buf: &mut [u8], at: Range<usize>, bytes: &[u8]) {
    buf[at].copy_from_slice(bytes);
}

pub(super) fn put_u8(buf: &mut [u8], at: Range<usize>, v: u8) {
    put(buf, at, &[v]);
}

pub(super) fn put_u16(buf: &mut [u8], at: Range<usize>, v: u16) {
    put(buf, at, &v.to_le_bytes());
}

pub(super) fn put_u32(buf: &mut [u8], at: Range<usize>, v: u32) {
    put(buf, at, &v.to_le_bytes());
}

pub(super) fn put_u64(buf: &mut [u8], at: Range<usize>, v: u64) {
    put(buf, at, &v.to_le_bytes());
}

/// Writes into a buffer that may come from outside (a `Request`'s public
/// fields), without panicking.
pub(super) fn set_checked(buf: &mut [u8], at: Range<usize>, bytes: &[u8]) -> Result<()> {
    let len = buf.len();
    let slot = buf
        .get_mut(at.clone())
        .filter(|slot| slot.len() == bytes.len())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Backend,
                format!(
                    "a {len}-byte request buffer has no field at {}..{}",
                    at.start, at.end
                ),
            )
        })?;
    slot.copy_from_slice(bytes);
    Ok(())
}

/// The error for an answer that is not what the kernel writes.
pub(super) fn malformed(what: &str, detail: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("malformed {what} from the kernel: {detail}"),
    )
}

/// The field `at` of `buf`, `N` bytes wide.
pub(super) fn get<const N: usize>(buf: &[u8], at: Range<usize>, what: &str) -> Result<[u8; N]> {
    buf.get(at.clone())
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| {
            malformed(
                what,
                format_args!(
                    "{} bytes end before field {}..{}",
                    buf.len(),
                    at.start,
                    at.end
                ),
            )
        })
}

pub(super) fn get_u8(buf: &[u8], at: Range<usize>, what: &str) -> Result<u8> {
    get::<1>(buf, at, what).map(|[b]| b)
}

pub(super) fn get_u16(buf: &[u8], at: Range<usize>, what: &str) -> Result<u16> {
    get(buf, at, what).map(u16::from_le_bytes)
}

pub(super) fn get_u32(buf: &[u8], at: Range<usize>, what: &str) -> Result<u32> {
    get(buf, at, what).map(u32::from_le_bytes)
}

pub(super) fn get_u64(buf: &[u8], at: Range<usize>, what: &str) -> Result<u64> {
    get(buf, at, what).map(u64::from_le_bytes)
}

/// Fails unless `buf` is exactly the struct's `len` bytes.
pub(super) fn expect_len(buf: &[u8], len: usize, what: &str) -> Result<()> {
    if buf.len() == len {
        Ok(())
    } else {
        Err(malformed(
            what,
            format_args!("expected {len} bytes, got {}", buf.len()),
        ))
    }
}

/// A `char[IFNAMSIZ]` field: NUL-terminated, non-empty, ASCII.
pub(super) fn read_name(buf: &[u8], at: Range<usize>, what: &str) -> Result<IfName> {
    let field: [u8; abi::IFNAMSIZ] = get(buf, at, what)?;
    let end = field
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| malformed(what, "an interface name without NUL in its 16 bytes"))?;
    let name = field
        .get(..end)
        .filter(|b| b.is_ascii())
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or_else(|| malformed(what, "an interface name that is not ASCII"))?;
    IfName::new(name).map_err(|_| malformed(what, format_args!("interface name {name:?}")))
}
