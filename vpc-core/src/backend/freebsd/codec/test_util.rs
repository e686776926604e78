//! What the tests of every struct file share: bytes written by hand, names,
//! and the kernel's answers they decode.

use std::num::NonZeroU16;

use super::super::abi;
use super::request::{Inner, Request};
use super::value::IfName;

/// Bytes written by hand: whitespace-separated hex bytes, `XX*N` for a
/// run of N, `#` to the end of a line is a comment.
pub(super) fn hex(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        for word in line.split_whitespace() {
            let (byte, count) = match word.split_once('*') {
                Some((b, n)) => (b, n.parse::<usize>().unwrap()),
                None => (word, 1),
            };
            let byte = u8::from_str_radix(byte, 16).unwrap();
            out.extend(std::iter::repeat_n(byte, count));
        }
    }
    out
}

pub(super) fn n(name: &str) -> IfName {
    IfName::new(name).unwrap()
}

pub(super) fn inner(r: &Request) -> &Inner {
    r.inner.as_ref().unwrap()
}

pub(super) fn nz(port: u16) -> NonZeroU16 {
    NonZeroU16::new(port).unwrap()
}

/// An `ifvxlancfg` as the kernel writes it for the article's tunnel.
pub(super) fn cfg_v6() -> Vec<u8> {
    hex("
        01 00 00 00               # vxlc_vni 1
        1c 1c 12 b5 00 00 00 00   # local: len, AF_INET6, port 4789 (network order), flowinfo
        2a 01 04 f8 02 41 50 0c 00 00 00 00 00 00 00 01
        00 00 00 00
        1c 1c 12 b5 00 00 00 00   # remote
        2a 05 35 80 d8 00 20 f7 00 00 00 00 00 00 00 01
        00 00 00 00
        00 00 00 00               # vxlc_mc_ifindex
        03 00 00 00               # vxlc_ftable_cnt 3
        d0 07 00 00               # vxlc_ftable_max 2000
        b0 04 00 00               # vxlc_ftable_timeout 1200
        00 c0                     # vxlc_port_min 49152 (host order)
        ff ff                     # vxlc_port_max 65535
        01                        # vxlc_learn
        40                        # vxlc_ttl 64
        00 00                     # padding
    ")
}

/// One `ifbreq` of a `BRDGGIFS` answer.
pub(super) fn record(name: &str, flags: u32) -> Vec<u8> {
    let mut r = vec![0u8; abi::IFBREQ];
    r[..name.len()].copy_from_slice(name.as_bytes());
    r[16..20].copy_from_slice(&flags.to_le_bytes());
    r
}

/// The `ifbifconf` of a `BRDGGIFS` answer that wrote `written` bytes.
pub(super) fn conf(written: u32) -> Vec<u8> {
    [written.to_le_bytes().to_vec(), vec![0; 12]].concat()
}
