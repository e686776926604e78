//! `struct wg_data_io` (32 bytes: a name, a pointer, a size): wg(4)'s
//! `SIOCGWG`, used here only to learn whether an interface is a WireGuard
//! one. With a null buffer and a size of zero, wg(4) answers the size of
//! its configuration and copies nothing out (as wg(8) asks it first,
//! `ipc-freebsd.h`); every other driver refuses the request (ENOTTY,
//! EINVAL, EOPNOTSUPP). The configuration itself is read with `wg show
//! dump` (`backend/freebsd/wg.rs`): unpacking nvlists is wg(8)'s business.

use super::super::abi;
use super::bytes::{expect_len, get_u64, put};
use super::request::{ReadBack, Request, Socket};
use super::value::IfName;
use crate::error::Result;

/// The fields this codec writes or reads, as byte ranges.
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `wgd_name`.
    pub(crate) const NAME: Range<usize> = abi::WGD_NAME..abi::WGD_NAME + abi::IFNAMSIZ;
    /// `wgd_data` (pointer): left null.
    #[cfg(test)]
    pub(crate) const DATA: Range<usize> = abi::WGD_DATA..abi::WGD_DATA + abi::POINTER;
    /// `wgd_size` (size_t).
    pub(crate) const SIZE: Range<usize> = abi::WGD_SIZE..abi::WGD_SIZE + 8;
}

/// `SIOCGWG` on `name` with no buffer: succeeds, answering the size of the
/// configuration ([`decode_wg_size`]), only when `name` is a WireGuard
/// interface.
pub fn wg_probe(name: &IfName) -> Request {
    let mut outer = vec![0u8; abi::WG_DATA_IO];
    put(&mut outer, field::NAME, &name.field());
    let mut r = Request::new(
        format!("ask whether {name} is a WireGuard interface"),
        abi::SIOCGWG,
        Socket::Inet,
        outer,
    );
    r.read_back = ReadBack::WgSize;
    r
}

/// The size `SIOCGWG` answered: the bytes of the packed configuration.
pub fn decode_wg_size(outer: &[u8]) -> Result<u64> {
    const WHAT: &str = "wg_data_io";
    expect_len(outer, abi::WG_DATA_IO, WHAT)?;
    get_u64(outer, field::SIZE, WHAT)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{hex, n};
    use super::*;

    #[test]
    fn probe_is_byte_exact() {
        let r = wg_probe(&n("vpcwg4096"));
        // _IOWR('i', 211, struct wg_data_io): the size of the struct is in
        // the code, so a layout of another size would be another request.
        assert_eq!(r.code, 0xc020_69d3);
        assert_eq!(
            r.outer,
            hex("
                76 70 63 77 67 34 30 39 36 00*7   # wgd_name \"vpcwg4096\"
                00*8                              # wgd_data: NULL, nothing is copied out
                00*8                              # wgd_size 0: answer the size only
            ")
        );
        assert!(r.inner.is_none());
        assert_eq!(r.read_back, ReadBack::WgSize);
        assert_eq!(&r.outer[field::DATA], &[0; 8]);
    }

    #[test]
    fn answer_is_decoded() {
        let mut outer = wg_probe(&n("vpcwg4096")).outer;
        outer[field::SIZE].copy_from_slice(&412u64.to_le_bytes());
        assert_eq!(decode_wg_size(&outer).unwrap(), 412);
        assert!(decode_wg_size(&outer[..31]).is_err());
    }
}
