//! Pure FreeBSD ioctl encoding and decoding: [`Change`]s become
//! [`Request`]s (the bytes of one ioctl each, pointers left out), and the
//! kernel's replies become values. No socket and no `libc` here, so every
//! byte is checked by tests on any host.
//!
//! # Layers
//!
//! From the planner's vocabulary down to bytes, each in its own file:
//!
//! - `changes.rs`: [`requests`], the one mapping of a [`Change`] to the
//!   requests that make it, in order.
//! - `value.rs`: validated values ([`IfName`], [`Vni`], [`Cloner`]), which
//!   refuse what the kernel would refuse or, worse, silently ignore.
//! - `request.rs`: [`Request`] and its markers for the executor
//!   ([`Target`], [`Merge`], [`ReadBack`]; [`Inner`] buffers).
//! - One file per kernel struct, its fields named once as byte ranges
//!   (`mod field`, from the offsets in [`abi`]), its encoders and
//!   decoders, and its byte-exact tests beside them: `ifreq.rs`,
//!   `ifdrv.rs` (with the vxlan command numbers), `ifvxlanparam.rs`,
//!   `ifvxlancfg.rs`, `ifbreq.rs`, `ifbifconf.rs`, `in_aliasreq.rs`,
//!   `in6_aliasreq.rs`, `in6_ifreq.rs`, `wg_data_io.rs` (wg(4)'s
//!   `SIOCGWG`, to tell WireGuard interfaces), and `sockaddr.rs` (`sockaddr_in`,
//!   `sockaddr_in6` and `union vxlan_sockaddr`, written inside the others).
//! - `bytes.rs`: reading and writing a field given as a range.
//! - `errno.rs`: [`ioctl_error`], FreeBSD's errno numbers in words.
//!
//! # The executor's part
//!
//! A request's pointer slots are zero: the executor pins [`Request::inner`]
//! (and its own inner buffer, for `BRDGGIFS`), writes the buffers'
//! addresses at [`Inner::ptr_at`] (8 bytes, host order), calls `ioctl(2)`
//! on the [`Socket`] the request names, and copies the kernel's answer
//! back. Around the call, three markers ask for more:
//!
//! - [`Target::Created`]: the interface name in `outer` is the one the
//!   preceding create returned ([`ReadBack::CreatedName`]): put it in with
//!   [`Request::with_created_name`] first.
//! - [`Merge::OrFlags`]: a read-modify-write. Send its `read` request,
//!   decode the flags, and send [`Request::merged`] instead of this one.
//! - [`ReadBack`]: what to decode afterwards; `RequireRunning` means: send
//!   its `read` request and fail with [`check_running`] unless the
//!   interface is RUNNING (vxlan(4) answers success and stays UP but not
//!   RUNNING when its tunnel cannot start).
//!
//! On failure, [`ioctl_error`] turns the errno into the error to report.
//!
//! [`Change`]: crate::plan::Change
//! [`abi`]: super::abi

// Host-order fields are written little-endian and structs laid out for LP64:
// FreeBSD's amd64 and arm64. Any other FreeBSD target needs another codec.
#[cfg(all(target_os = "freebsd", not(target_endian = "little")))]
compile_error!("the FreeBSD ioctl codec writes host-order fields little-endian (amd64, arm64)");
#[cfg(all(target_os = "freebsd", not(target_pointer_width = "64")))]
compile_error!("the FreeBSD ioctl codec lays structs out for LP64 (amd64, arm64)");

mod bytes;
mod changes;
mod errno;
mod ifbifconf;
mod ifbreq;
mod ifdrv;
mod ifreq;
mod ifvxlancfg;
mod ifvxlanparam;
mod in6_aliasreq;
mod in6_ifreq;
mod in_aliasreq;
mod request;
mod sockaddr;
#[cfg(test)]
mod test_util;
mod value;
mod wg_data_io;

pub use changes::{add_addr, del_addr, requests};
pub use errno::{errno_message, errno_name, ioctl_error};
pub use ifbifconf::{decode_members, list_members, members_need_more};
pub use ifbreq::{
    Member, bridge_add, bridge_del, decode_member_flags, get_member_flags, make_private,
};
pub use ifdrv::VxlanCmd;
pub use ifreq::{
    DESCRIPTION_ROOM, check_running, create_bridge, create_wireguard, decode_description,
    decode_flags, decode_index, decode_mtu, decode_name, del_inet, destroy, get_description,
    get_flags, get_mtu, rename, rename_created, set_description, set_mtu, up,
};
pub use ifvxlancfg::{VxlanConfig, decode_vxlan_config, vxlan_get_config};
pub use ifvxlanparam::{VxlanParams, create_vxlan};
pub use in_aliasreq::add_inet;
pub use in6_aliasreq::add_inet6;
pub use in6_ifreq::del_inet6;
pub use request::{FlagsAt, Inner, LenField, Merge, ReadBack, Request, Socket, Target};
pub use value::{Cloner, IfName, Vni};
pub use wg_data_io::{decode_wg_size, wg_probe};

/// Checks that hold for every request some encoder makes.
#[cfg(test)]
mod tests {
    use std::num::NonZeroU16;

    use super::super::abi;
    use super::test_util::{cfg_v6, conf, hex, n, nz, record};
    use super::*;

    /// Every request some encoder makes, for the checks that hold for all.
    fn every_request() -> Vec<Request> {
        let (vx, br) = (n("vxlan1"), n("vpc1"));
        vec![
            create_vxlan(&VxlanParams {
                vni: Some(Vni::new(1).unwrap()),
                local: Some("192.0.2.1".parse().unwrap()),
                remote: Some("192.0.2.2".parse().unwrap()),
                local_port: Some(nz(4789)),
                remote_port: Some(nz(4789)),
                learn: Some(true),
            })
            .unwrap(),
            vxlan_get_config(&vx),
            create_bridge(),
            create_wireguard(),
            wg_probe(&n("vpcwg4096")),
            rename_created(Cloner::Wireguard, &n("vpcwg4096")),
            rename(&vx, &br),
            rename_created(Cloner::Bridge, &br),
            destroy(&vx),
            set_description(&vx, "d").unwrap(),
            get_description(&vx),
            get_flags(&vx),
            get_mtu(&vx),
            up(&vx),
            set_mtu(&vx, 1500).unwrap(),
            bridge_add(&br, &vx),
            bridge_del(&br, &vx),
            get_member_flags(&br, &vx),
            make_private(&br, &vx),
            list_members(&br, nz(2)),
            add_inet(&vx, "10.0.0.1".parse().unwrap(), 24).unwrap(),
            del_inet(&vx, "10.0.0.1".parse().unwrap()),
            add_inet6(&vx, "2001:db8::1".parse().unwrap(), 64).unwrap(),
            del_inet6(&vx, "2001:db8::1".parse().unwrap()),
        ]
    }

    /// Command 3 would call a null function in the kernel (§1.7): no
    /// command and no encoding carries it.
    #[test]
    fn no_vxlan_encoding_carries_command_3() {
        let numbers: Vec<u64> = VxlanCmd::ALL.iter().map(|c| c.number()).collect();
        assert_eq!(numbers, [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let get = vxlan_get_config(&n("vxlan1"));
        assert_eq!(get.ifd_cmd(), Some(0));
        // Nor does any request the planner's changes turn into.
        for r in every_request() {
            if let Some(cmd) = r.ifd_cmd()
                && r.outer[..5] == *b"vxlan"
            {
                assert_ne!(cmd, 3, "{}", r.what);
            }
        }
    }

    /// The request code's embedded size is the outer struct's, every
    /// length field holds its buffer's length, every pointer slot is zero
    /// and inside its buffer, and address requests go to their family's
    /// socket.
    #[test]
    fn every_request_is_self_consistent() {
        fn check_inner(enclosing: &[u8], i: &Inner, what: &str) {
            assert!(i.ptr_at + 8 <= enclosing.len(), "{what}");
            assert!(
                enclosing[i.ptr_at..i.ptr_at + 8].iter().all(|&b| b == 0),
                "{what}"
            );
            if let Some(LenField { at, width }) = i.len_at {
                let mut le = [0u8; 8];
                le[..width].copy_from_slice(&enclosing[at..at + width]);
                assert_eq!(u64::from_le_bytes(le), i.bytes.len() as u64, "{what}");
            }
            if let Some(next) = &i.inner {
                check_inner(&i.bytes, next, what);
            }
        }
        for r in every_request() {
            let size = ((r.code >> 16) & abi::IOCPARM_MASK) as usize;
            assert_eq!(size, r.outer.len(), "{}", r.what);
            assert_eq!(r.code >> 8 & 0xff, u64::from(b'i'), "{}", r.what);
            if let Some(i) = &r.inner {
                check_inner(&r.outer, i, &r.what);
            }
            let want = if r.code == abi::SIOCAIFADDR_IN6 || r.code == abi::SIOCDIFADDR_IN6 {
                Socket::Inet6
            } else {
                Socket::Inet
            };
            assert_eq!(r.socket, want, "{}", r.what);
            // Gets copy out: their codes have the OUT bit.
            let gets = matches!(
                r.read_back,
                ReadBack::Flags
                    | ReadBack::Mtu
                    | ReadBack::VxlanConfig
                    | ReadBack::MemberFlags
                    | ReadBack::Members
                    | ReadBack::CreatedName
                    | ReadBack::Description
                    | ReadBack::WgSize
            );
            assert_eq!(r.code & abi::IOC_OUT != 0, gets, "{}", r.what);
        }
    }

    /// Random, truncated and mutated bytes never make a decoder panic.
    #[test]
    fn decoders_never_panic() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let valid: Vec<Vec<u8>> = vec![
            cfg_v6(),
            hex("76 78 6c 61 6e 37 00*10 43 88 02 00 00*12"),
            record("vxlan1", 0x943),
            conf(160),
            [record("a", 1), record("b", 2)].concat(),
        ];
        let run = |b: &[u8], c: &[u8]| {
            let _ = decode_name(b);
            let _ = decode_flags(b);
            let _ = decode_mtu(b);
            let _ = decode_index(b);
            let _ = decode_wg_size(b);
            let _ = decode_vxlan_config(b);
            let _ = decode_member_flags(b);
            let _ = decode_members(c, b);
            let _ = decode_members(b, c);
            let _ = members_need_more(b, NonZeroU16::MIN);
            let _ = members_need_more(b, NonZeroU16::MAX);
        };
        for round in 0..20_000 {
            let len = match round % 4 {
                0 => (next() % 400) as usize,
                1 => [32, 80, 84, 16, 160][(next() % 5) as usize],
                _ => 0,
            };
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 4 >= 2 {
                // Truncated or mutated copies of valid replies.
                let v = &valid[(next() as usize) % valid.len()];
                bytes = v.clone();
                if round % 4 == 2 {
                    bytes.truncate((next() as usize) % (v.len() + 1));
                } else if !bytes.is_empty() {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] = next() as u8;
                }
            }
            let other: Vec<u8> = (0..(next() % 300) as usize).map(|_| next() as u8).collect();
            run(&bytes, &other);
            run(&bytes, &conf(next() as u32));
        }
        // And requests built from outside, with broken buffers.
        let mut r = up(&n("vxlan1"));
        r.outer.truncate(17);
        assert!(r.merged(1).is_err());
        let mut r = make_private(&n("vpc1"), &n("vxlan1"));
        r.inner = None;
        assert!(r.merged(1).is_err());
        let mut r = rename_created(Cloner::Vxlan, &n("vxlan1"));
        r.outer.clear();
        assert!(r.with_created_name(&n("vxlan2")).is_err());
    }
}
