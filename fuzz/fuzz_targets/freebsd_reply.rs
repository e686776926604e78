//! The FreeBSD kernel's ioctl answers (`backend/freebsd/codec/`, the
//! decoders): the buffers `ioctl(2)` wrote, as the executor hands them to
//! the codec.
//!
//! Input: one byte choosing the answer, then its buffer(s):
//!
//! | byte % 9 | answer | buffers |
//! |---|---|---|
//! | 0 | `SIOCIFCREATE2` (name) | the `ifreq` |
//! | 1 | `SIOCGIFFLAGS` | the `ifreq` |
//! | 2 | `SIOCGIFMTU` | the `ifreq` |
//! | 3 | `SIOCGIFINDEX` | the `ifreq` |
//! | 4 | vxlan `GET_CONFIG` | the `ifvxlancfg` |
//! | 5 | `BRDGGIFFLGS` | the `ifbreq` |
//! | 6 | `BRDGGIFS` | the 16-byte `ifbifconf`, then the `ifbreq` records |
//! | 7 | `BRDGGIFS`, list again? | two bytes (records asked, LE), then the `ifbifconf` |
//! | 8 | `SIOCGIFDESCR` | the 32-byte `ifreq`, then the description buffer |

#![no_main]

use std::num::NonZeroU16;

use libfuzzer_sys::fuzz_target;
use vpc_core::backend::freebsd::abi;
use vpc_core::backend::freebsd::codec::{
    decode_description, decode_flags, decode_index, decode_member_flags, decode_members,
    decode_mtu, decode_name, decode_vxlan_config, members_need_more,
};

/// `body` cut after `at` bytes (all of it when shorter).
fn split(body: &[u8], at: usize) -> (&[u8], &[u8]) {
    body.split_at(at.min(body.len()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 9 {
        0 => {
            if let Ok(name) = decode_name(body) {
                assert!(!name.as_str().is_empty() && name.as_str().len() < abi::IFNAMSIZ);
            }
        }
        1 => drop(decode_flags(body)),
        2 => drop(decode_mtu(body)),
        3 => drop(decode_index(body)),
        4 => {
            if let Ok(cfg) = decode_vxlan_config(body) {
                let conf = cfg.conf();
                assert!(conf.vni < 1 << 24);
            }
        }
        5 => drop(decode_member_flags(body)),
        6 => {
            let (conf, records) = split(body, abi::IFBIFCONF);
            if let Ok(members) = decode_members(conf, records) {
                assert!(members.len() * abi::IFBREQ <= records.len());
            }
        }
        7 => {
            let (count, conf) = split(body, 2);
            let count = match count {
                [a, b] => u16::from_le_bytes([*a, *b]),
                _ => 1,
            };
            if let Some(count) = NonZeroU16::new(count) {
                let _ = members_need_more(conf, count);
            }
        }
        _ => {
            let (ifreq, buffer) = split(body, abi::IFREQ);
            if let Ok(text) = decode_description(ifreq, buffer) {
                assert!(text.len() <= buffer.len());
            }
        }
    }
});
