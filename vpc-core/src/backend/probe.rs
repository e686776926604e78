//! Reachability probes through the kernel's stack, for FreeBSD's
//! [`Backend::probe`] (Linux probes over each tunnel instead:
//! `backend/linux/packet.rs`): one ICMP echo to each target, all sent at
//! once on one raw socket per family, answers collected until every
//! target answered or one deadline passed. No `ping` processes.
//!
//! [`Backend::probe`]: crate::backend::Backend::probe

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::error::{Error, ErrorKind, Result};

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;

/// The Internet checksum (RFC 1071).
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request; ICMPv6's checksum is the kernel's to fill in.
fn echo_request(v6: bool, ident: u16, seq: u16) -> Vec<u8> {
    let kind = if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 };
    let mut m = vec![kind, 0, 0, 0];
    m.extend_from_slice(&ident.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(b"vpc-prob");
    if !v6 {
        let sum = checksum(&m);
        m[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    m
}

/// The sequence number of an echo reply with our identifier, if `packet`
/// is one. Raw IPv4 sockets hand over the IP header too.
pub fn parse_reply(v6: bool, packet: &[u8], ident: u16) -> Option<u16> {
    let icmp = if v6 {
        packet
    } else {
        let header = usize::from(packet.first()? & 0x0f) * 4;
        packet.get(header..)?
    };
    let want = if v6 { ECHO_REPLY_V6 } else { ECHO_REPLY_V4 };
    if icmp.len() < 8 || icmp[0] != want || icmp[1] != 0 {
        return None;
    }
    (u16::from_be_bytes([icmp[4], icmp[5]]) == ident)
        .then(|| u16::from_be_bytes([icmp[6], icmp[7]]))
}

/// Most answers read from one socket per wake-up: one family flooded
/// with ICMP cannot starve the other.
const DRAIN: usize = 64;

/// Milliseconds for `poll(2)`, rounded up so that a wake-up is never early.
fn poll_timeout(wait: Duration) -> PollTimeout {
    let ms = wait.as_micros().div_ceil(1000);
    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
}

/// Sends one echo to every target and returns each round-trip time, or
/// `None` for a target that did not answer within `timeout`. Both
/// families are sent at once and awaited under one deadline, and the wait
/// ends as soon as every target that was sent an echo has answered.
pub fn ping_all(targets: &[IpAddr], timeout: Duration) -> Result<Vec<Option<Duration>>> {
    let mut rtts = vec![None; targets.len()];
    let ident = (std::process::id() & 0xffff) as u16;
    let mut sent: Vec<Option<Instant>> = vec![None; targets.len()];
    let mut sockets: Vec<(bool, Socket)> = Vec::new();
    for v6 in [false, true] {
        if !targets.iter().any(|t| t.is_ipv6() == v6) {
            continue;
        }
        let (domain, protocol) = if v6 {
            (Domain::IPV6, Protocol::ICMPV6)
        } else {
            (Domain::IPV4, Protocol::ICMPV4)
        };
        let socket = Socket::new(domain, Type::RAW, Some(protocol)).map_err(|e| {
            Error::new(
                ErrorKind::Unsupported,
                format!("probing needs a raw ICMP socket (run as root): {e}"),
            )
        })?;
        socket.set_nonblocking(true).map_err(|e| {
            Error::new(
                ErrorKind::Backend,
                format!("a probe socket cannot be made non-blocking: {e}"),
            )
        })?;
        for (i, target) in targets.iter().enumerate() {
            if target.is_ipv6() != v6 {
                continue;
            }
            // Target positions are few (one per peer), well below 2^16.
            let packet = echo_request(v6, ident, i as u16);
            let to = SockAddr::from(SocketAddr::new(*target, 0));
            // Timed from before the send: a local answer may arrive within it.
            let at = Instant::now();
            if socket.send_to(&packet, &to).is_ok() {
                sent[i] = Some(at);
            }
        }
        sockets.push((v6, socket));
    }
    let deadline = Instant::now() + timeout;
    let mut waiting = sent.iter().flatten().count();
    let mut buf = [0u8; 1500];
    while waiting > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let ready: Vec<bool> = {
            let mut fds: Vec<PollFd<'_>> = sockets
                .iter()
                .map(|(_, s)| PollFd::new(s.as_fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, poll_timeout(left)) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("poll on the probe sockets failed: {e}"),
                    ));
                }
            }
            fds.iter()
                .map(|f| f.revents().is_some_and(|r| r.contains(PollFlags::POLLIN)))
                .collect()
        };
        for ((v6, socket), ready) in sockets.iter().zip(ready) {
            if !ready {
                continue;
            }
            for _ in 0..DRAIN {
                let Ok(n) = (&*socket).read(&mut buf) else {
                    break;
                };
                let Some(seq) = parse_reply(*v6, &buf[..n], ident) else {
                    continue;
                };
                let i = usize::from(seq);
                // An answer on the other family's socket is not this one's.
                if targets.get(i).is_some_and(|t| t.is_ipv6() == *v6)
                    && let (Some(Some(at)), Some(slot)) = (sent.get(i), rtts.get_mut(i))
                    && slot.is_none()
                {
                    *slot = Some(at.elapsed());
                    waiting -= 1;
                }
            }
        }
    }
    Ok(rtts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_round_trip_bytes() {
        let req = echo_request(false, 0x1234, 7);
        assert_eq!(&req[..8], &[8, 0, req[2], req[3], 0x12, 0x34, 0, 7]);
        assert_eq!(checksum(&req), 0, "a correct checksum sums to zero");
        // A reply as a raw IPv4 socket hands it over: 20-byte header first.
        let mut reply = vec![0x45u8];
        reply.extend_from_slice(&[0; 19]);
        reply.extend_from_slice(&[0, 0, 0, 0, 0x12, 0x34, 0, 7]);
        assert_eq!(parse_reply(false, &reply, 0x1234), Some(7));
        assert_eq!(parse_reply(false, &reply, 0x4321), None);
        assert_eq!(parse_reply(false, &reply[..22], 0x1234), None);
        assert_eq!(
            parse_reply(true, &[129, 0, 0, 0, 0x12, 0x34, 0, 9], 0x1234),
            Some(9)
        );
        assert_eq!(
            parse_reply(true, &[128, 0, 0, 0, 0x12, 0x34, 0, 9], 0x1234),
            None
        );
        assert_eq!(parse_reply(false, &[], 1), None);
    }
}
