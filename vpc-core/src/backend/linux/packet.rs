//! The probe's sockets: one `AF_PACKET` socket per tunnel, bound to the
//! tunnel's interface for every protocol (`ETH_P_ALL`). Such a tap sees
//! the frames arriving on a bridge port before the bridge's receive
//! handler takes them in (protocol-specific packet sockets would not), so
//! the far end's answers are read on the tunnel they crossed. Every
//! tunnel's [`Exchange`] runs at once under one deadline, woken by
//! `poll(2)`; the frames and the decisions are the pure modules'
//! ([`wire`](super::wire), [`exchange`](super::exchange)).

use std::io::{ErrorKind as IoKind, Read};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use socket2::{Domain, SockAddr, SockAddrStorage, Socket, Type};

use super::exchange::Exchange;
use super::wire::Ends;
use crate::error::{Error, ErrorKind, Result};

/// Every protocol, as `sockaddr_ll` wants it (network byte order).
const ETH_P_ALL: u16 = 0x0003;

/// Most frames read from one socket per wake-up: a tunnel busy with guest
/// traffic cannot starve the others.
const DRAIN: usize = 64;

/// Largest frame read whole; longer ones are cut, and no answer is long.
const FRAME_BYTES: usize = 2048;

/// One tunnel to probe: its interface index and its ends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tunnel {
    /// Interface index of the tunnel.
    pub(super) index: u32,
    /// Its MAC and the two link addresses.
    pub(super) ends: Ends,
}

/// `sockaddr_ll` for interface `index`, every protocol.
fn link_addr(index: u32) -> Result<SockAddr> {
    let ifindex = i32::try_from(index).map_err(|_| {
        Error::new(
            ErrorKind::Backend,
            format!("interface index {index} out of range"),
        )
    })?;
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: `sockaddr_ll` is one of this platform's `sockaddr_*` types
    // (what `view_as` requires; it asserts the size fits the storage), and
    // the storage is zeroed, so every field not set here is a valid 0. The
    // length given to `SockAddr::new` is that type's, and its family is
    // set to `AF_PACKET`, as `SockAddr::new` requires.
    let addr = unsafe {
        let ll = storage.view_as::<libc::sockaddr_ll>();
        ll.sll_family = libc::AF_PACKET as libc::sa_family_t;
        ll.sll_protocol = ETH_P_ALL.to_be();
        ll.sll_ifindex = ifindex;
        SockAddr::new(
            storage,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    Ok(addr)
}

/// A non-blocking tap on interface `index`. Made for no protocol and
/// then bound, so it never sees another interface's frames.
fn open(index: u32) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::PACKET, Type::RAW, None)?;
    let addr = link_addr(index).map_err(|e| std::io::Error::other(e.to_string()))?;
    socket.bind(&addr)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// Closes `sockets` side by side. Closing a packet socket waits for an
/// RCU grace period (`synchronize_net` in `packet_release`), about ten
/// milliseconds; one after the other, 63 tunnels would add most of a
/// second to every probe.
fn close_all(sockets: Vec<Socket>) {
    std::thread::scope(|scope| {
        for s in sockets {
            // A thread that cannot start drops its closure, so the socket
            // is closed here instead.
            let _ = std::thread::Builder::new().spawn_scoped(scope, move || drop(s));
        }
    });
}

/// Milliseconds for `poll(2)`, rounded up so that a wake-up is never early.
fn poll_timeout(wait: Duration) -> PollTimeout {
    let ms = wait.as_micros().div_ceil(1000);
    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
}

/// Probes every tunnel at once and waits at most `timeout` in all: each
/// one's round-trip time, in order, `None` where there is no tunnel (a
/// `None` entry), it cannot be opened, or no echo reply came.
pub(super) fn probe(
    tunnels: &[Option<Tunnel>],
    timeout: Duration,
) -> Result<Vec<Option<Duration>>> {
    let start = Instant::now();
    let deadline = start + timeout;
    // Replies are matched per tunnel and by address, so the identifier
    // only has to tell this process's echoes from another's.
    let ident = (std::process::id() & 0xffff) as u16;
    let mut live: Vec<(usize, Socket, Exchange)> = Vec::new();
    for (i, t) in tunnels.iter().enumerate() {
        let Some(t) = t else { continue };
        match open(t.index) {
            Ok(s) => live.push((i, s, Exchange::new(t.ends, ident, start))),
            Err(e) if e.kind() == IoKind::PermissionDenied => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("probing needs a packet socket (run as root): {e}"),
                ));
            }
            // The tunnel went away since it was listed: no answer.
            Err(_) => {}
        }
    }
    let mut buf = vec![0u8; FRAME_BYTES];
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        for (_, socket, x) in &mut live {
            if let Some(frame) = x.poll(now) {
                // A tunnel that is down refuses (ENETDOWN): it stays
                // unanswered, which is what it is.
                let _ = socket.send(&frame);
            }
        }
        let Some(next) = live.iter().filter_map(|(_, _, x)| x.next_send()).min() else {
            break;
        };
        let wait = next.min(deadline).saturating_duration_since(Instant::now());
        let ready: Vec<bool> = {
            let mut fds: Vec<PollFd<'_>> = live
                .iter()
                .map(|(_, s, _)| PollFd::new(s.as_fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, poll_timeout(wait)) {
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
        for ((_, socket, x), ready) in live.iter_mut().zip(ready) {
            if !ready {
                continue;
            }
            for _ in 0..DRAIN {
                let Ok(n) = (&*socket).read(&mut buf) else {
                    break;
                };
                x.receive(&buf[..n], Instant::now());
            }
        }
    }
    let mut rtts = vec![None; tunnels.len()];
    for (i, _, x) in &live {
        rtts[*i] = x.rtt().filter(|d| *d <= timeout);
    }
    close_all(live.into_iter().map(|(_, s, _)| s).collect());
    Ok(rtts)
}
