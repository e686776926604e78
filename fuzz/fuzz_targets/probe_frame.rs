//! Frames heard on a tunnel by `status`'s Linux probe
//! (`backend/linux/wire/`: `hear`, as the exchange calls it), for an IPv4
//! and an IPv6 tunnel, and fed to a probe's exchange at each stage: any
//! bytes are read without a panic, whatever they claim.
//!
//! Input: one Ethernet frame (destination, source, EtherType, payload).

#![no_main]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use vpc_core::backend::linux::exchange::Exchange;
use vpc_core::backend::linux::wire::{self, Ends};
use vpc_core::model::addr::Mac;

fn ends(from: &str, to: &str) -> Ends {
    Ends {
        mac: Mac([2, 0, 0, 0, 0, 1]),
        from: from.parse::<IpAddr>().unwrap(),
        to: to.parse::<IpAddr>().unwrap(),
    }
}

fuzz_target!(|frame: &[u8]| {
    let t0 = Instant::now();
    for e in [
        ends("10.100.0.1", "10.100.0.2"),
        ends("2001:db8:100::1", "2001:db8:100::2"),
    ] {
        let _ = wire::hear(&e, frame);
        let mut x = Exchange::new(e, 1, t0);
        let _ = x.poll(t0);
        x.receive(frame, t0);
        let _ = x.poll(t0 + Duration::from_millis(1));
        x.receive(frame, t0 + Duration::from_millis(2));
        let _ = x.rtt();
    }
});
