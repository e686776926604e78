//! `struct ifbifconf` (16 bytes): `BRDGGIFS`'s argument through an
//! `ifdrv`, pointing in turn at an array of `ifbreq` the kernel fills.

use std::num::NonZeroU16;

use super::super::abi;
use super::bytes::{expect_len, get_u32, len_field, malformed, put_u32, read_name};
use super::ifbreq::{self, Member};
use super::ifdrv::drvspec;
use super::request::{Inner, ReadBack, Request};
use super::value::IfName;
use crate::error::Result;

/// The fields of `struct ifbifconf`, as byte ranges.
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `ifbic_len` (u32): buffer size in, bytes written out.
    pub(crate) const LEN: Range<usize> = abi::IFBIC_LEN..abi::IFBIC_LEN + 4;
    /// `ifbic_buf` (pointer to an array of `ifbreq`).
    pub(crate) const BUF: Range<usize> = abi::IFBIC_BUF..abi::IFBIC_BUF + abi::POINTER;
}

/// `BRDGGIFS` with room for `records` members: `ifdrv` → `ifbifconf` →
/// an array of `ifbreq`. Truncation is silent: see [`members_need_more`].
pub fn list_members(bridge: &IfName, records: NonZeroU16) -> Request {
    let capacity = usize::from(records.get()) * abi::IFBREQ;
    let mut conf = vec![0u8; abi::IFBIFCONF];
    // At most 65535 × 80 bytes: fits ifbic_len's 32 bits.
    put_u32(&mut conf, field::LEN, capacity as u32);
    let mut r = drvspec(
        format!("list the members of bridge {bridge}"),
        abi::SIOCGDRVSPEC,
        bridge,
        abi::BRDGGIFS,
        conf,
    );
    if let Some(inner) = r.inner.as_mut() {
        inner.inner = Some(Box::new(Inner {
            ptr_at: field::BUF.start,
            len_at: Some(len_field(field::LEN)),
            bytes: vec![0u8; capacity],
            inner: None,
        }));
    }
    r.read_back = ReadBack::Members;
    r
}

/// Bytes `BRDGGIFS` wrote, from its `ifbifconf`.
fn members_written(conf: &[u8]) -> Result<usize> {
    expect_len(conf, abi::IFBIFCONF, "ifbifconf")?;
    let written = get_u32(conf, field::LEN, "ifbifconf")?;
    usize::try_from(written).map_err(|_| malformed("ifbifconf", "a length beyond memory"))
}

/// The members `BRDGGIFS` wrote: `conf` is the `ifbifconf` after the call
/// (`ifbic_len` = bytes written), `records` the `ifbreq` array it pointed
/// at. Span ports are listed too, with `IFBIF_SPAN`.
pub fn decode_members(conf: &[u8], records: &[u8]) -> Result<Vec<Member>> {
    const WHAT: &str = "BRDGGIFS member list";
    let written = members_written(conf)?;
    if written > records.len() {
        return Err(malformed(
            WHAT,
            format_args!(
                "{written} bytes reported written into a {}-byte buffer",
                records.len()
            ),
        ));
    }
    if written % abi::IFBREQ != 0 {
        return Err(malformed(
            WHAT,
            format_args!("{written} bytes is not a whole number of 80-byte records"),
        ));
    }
    let used = records
        .get(..written)
        .ok_or_else(|| malformed(WHAT, "the buffer ends early"))?;
    used.chunks_exact(abi::IFBREQ)
        .map(|r| {
            Ok(Member {
                name: read_name(r, ifbreq::field::IFSNAME, WHAT)?,
                flags: get_u32(r, ifbreq::field::IFSFLAGS, WHAT)?,
            })
        })
        .collect()
}

/// Whether a `BRDGGIFS` answer may have been cut short (the kernel
/// truncates silently): list again with twice the records, as ifconfig
/// does, while one more record would not have fitted.
pub fn members_need_more(conf: &[u8], records: NonZeroU16) -> Result<bool> {
    let written = members_written(conf)?;
    let capacity = usize::from(records.get()) * abi::IFBREQ;
    Ok(written + abi::IFBREQ > capacity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::test_util::{conf, hex, inner, n, nz, record};
    use crate::backend::freebsd::codec::{LenField, decode_member_flags};
    use crate::error::ErrorKind;

    #[test]
    fn list_members_points_twice() {
        let r = list_members(&n("vpc1"), nz(3));
        assert_eq!(r.code, 0xc028_697b);
        assert_eq!(r.ifd_cmd(), Some(6), "BRDGGIFS");
        assert_eq!(&r.outer[24..32], &hex("10 00*7")[..], "ifd_len 16");
        let conf = inner(&r);
        assert_eq!(conf.ptr_at, 32);
        assert_eq!(
            conf.bytes,
            hex("
                f0 00 00 00     # ifbic_len 240: three records
                00 00 00 00     # padding
                00*8            # ifbic_buf: pointer
            ")
        );
        let records = conf.inner.as_ref().unwrap();
        assert_eq!(records.ptr_at, 8);
        assert_eq!(records.len_at, Some(LenField { at: 0, width: 4 }));
        assert_eq!(records.bytes.len(), 240);
        assert_eq!(r.read_back, ReadBack::Members);
    }

    #[test]
    fn decode_members_lists_names_and_flags() {
        let buf = [
            record("vxlan1", 0x943),
            record("epair0a", 0x143),
            vec![0; 80],
        ]
        .concat();
        let members = decode_members(&conf(160), &buf).unwrap();
        assert_eq!(
            members,
            [
                Member {
                    name: n("vxlan1"),
                    flags: 0x943
                },
                Member {
                    name: n("epair0a"),
                    flags: 0x143
                },
            ]
        );
        assert!(members[0].private() && !members[1].private());
        assert_eq!(decode_members(&conf(0), &[]).unwrap(), []);
        // Room for three, two written: one more would have fitted.
        assert!(!members_need_more(&conf(160), nz(3)).unwrap());
        assert!(members_need_more(&conf(240), nz(3)).unwrap());
        assert!(members_need_more(&conf(160), nz(2)).unwrap());
        assert_eq!(
            decode_member_flags(&record("vxlan1", 0x943)).unwrap(),
            0x943
        );
    }

    #[test]
    fn decode_members_refuses_malformed_replies() {
        let two = [record("vxlan1", 3), record("vxlan2", 3)].concat();
        let cases: [(Vec<u8>, Vec<u8>, &str); 5] = [
            (
                conf(240),
                two.clone(),
                "240 bytes reported written into a 160-byte buffer",
            ),
            (
                conf(100),
                two.clone(),
                "not a whole number of 80-byte records",
            ),
            (
                conf(160)[..15].to_vec(),
                two.clone(),
                "expected 16 bytes, got 15",
            ),
            (
                conf(80),
                [b"vxlan1vxlan1vxlan1".to_vec(), vec![0; 62]].concat(),
                "without NUL",
            ),
            (conf(80), vec![0; 80], "interface name \"\""),
        ];
        for (c, buf, needle) in cases {
            let e = decode_members(&c, &buf).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Backend);
            assert!(e.message().contains(needle), "{e}");
        }
        assert!(decode_member_flags(&[0; 79]).is_err());
        assert!(members_need_more(&[0; 3], nz(1)).is_err());
    }
}
