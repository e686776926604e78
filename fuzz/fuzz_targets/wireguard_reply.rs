//! What a WireGuard implementation answers: the kernel's `WG_CMD_GET_DEVICE`
//! dump payloads (`backend/linux/wg/genl.rs`, `read_device`) and the
//! userspace API's `get=1` answer (`backend/linux/wg/uapi.rs`, `read_get`),
//! as `observe` reads them. A malformed answer is an error naming the
//! interface, never a panic; a device read back is one the planner can
//! compare.
//!
//! Input: the first byte chooses the reader; the rest is, for the kernel,
//! one or more payloads split at each 0xff 0xfe pair, for the userspace
//! API the answer text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vpc_core::backend::linux::wg::{genl, uapi};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let device = if which & 1 == 0 {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i + 1 < rest.len() {
            if rest[i] == 0xff && rest[i + 1] == 0xfe {
                parts.push(rest[start..i].to_vec());
                start = i + 2;
                i += 2;
            } else {
                i += 1;
            }
        }
        parts.push(rest[start..].to_vec());
        genl::read_device("vpcwg0", &parts)
    } else {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        uapi::read_get("vpcwg0", text)
    };
    match device {
        Ok(d) => {
            assert_eq!(d.name, "vpcwg0");
            for w in d.peers.windows(2) {
                assert!(w[0].public_key <= w[1].public_key, "peers ascending");
            }
            assert!(d.same(&d.clone()) || d.public_key.is_none());
        }
        Err(e) => assert!(e.message().contains("vpcwg0"), "{e}"),
    }
});
