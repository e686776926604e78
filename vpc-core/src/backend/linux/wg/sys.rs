//! WireGuard's sockets and its one process: the generic netlink socket
//! of the kernel's WireGuard, the UAPI socket of a wireguard-go, and the
//! start of a wireguard-go. The bytes and text are [`super::genl`]'s and
//! [`super::uapi`]'s; this only moves them.
//!
//! The buffers that carry a private key (a request, a `get=1` answer) are
//! freed, not wiped: only the key itself ([`crate::model::wgkey`]) is
//! zeroed when dropped.

use std::io::{ErrorKind as IoKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netlink_sys::Socket;
use netlink_sys::protocols::NETLINK_GENERIC;

use super::genl::{self, Dump, Dumped, Lookup, SetDevice};
use super::uapi::{self, SetText};
use super::{WIREGUARD_GO, socket_path};
use crate::backend::linux::codec::frame::Acks;
use crate::backend::linux::sys::connected;
use crate::error::{Error, ErrorKind, Result};
use crate::plan::WgDevice;

/// Receive buffer: a dump datagram is at most a few pages.
const RECV_BYTES: usize = 256 * 1024;

/// How long wireguard-go may take to start, to answer, or to stop.
const LIMIT: Duration = Duration::from_secs(5);

/// How often a wait looks again.
const STEP: Duration = Duration::from_millis(10);

/// Most bytes of a UAPI answer (a `get=1` of thousands of peers is a
/// few hundred kilobytes).
const ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// How many times a dump the device changed under is asked again.
const DUMP_TRIES: usize = 5;

/// `EPERM`: WireGuard's configuration is shown only with `CAP_NET_ADMIN`.
const EPERM: i32 = 1;

fn backend(message: String) -> Error {
    Error::new(ErrorKind::Backend, message)
}

fn os_error(what: &str, e: &std::io::Error) -> Error {
    backend(format!("generic netlink {what} failed: {e}"))
}

/// A generic netlink socket, with WireGuard's family id once looked up.
pub(in crate::backend::linux) struct Generic {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
    family: Option<u16>,
}

impl Generic {
    /// Opens and binds a socket.
    pub(in crate::backend::linux) fn open() -> Result<Generic> {
        Ok(Generic {
            socket: connected(NETLINK_GENERIC)?,
            // Varied by process: a stale answer of another run never matches.
            seq: std::process::id() << 12,
            buf: vec![0; RECV_BYTES],
            family: None,
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn send(&self, bytes: &[u8]) -> Result<()> {
        self.socket
            .send(bytes, 0)
            .map(drop)
            .map_err(|e| os_error("send", &e))
    }

    fn receive(&mut self) -> Result<&[u8]> {
        let n = self
            .socket
            .recv(&mut &mut self.buf[..], 0)
            .map_err(|e| os_error("recv", &e))?;
        Ok(self.buf.get(..n).unwrap_or_default())
    }

    /// WireGuard's family id; an error if the kernel has none.
    fn family(&mut self) -> Result<u16> {
        if let Some(f) = self.family {
            return Ok(f);
        }
        let seq = self.next_seq();
        self.send(&genl::family_request(seq))?;
        loop {
            match genl::read_family(self.receive()?, seq)? {
                Lookup::Pending => {}
                Lookup::Found(f) => {
                    self.family = Some(f);
                    return Ok(f);
                }
                Lookup::Missing => {
                    return Err(backend(format!(
                        "the kernel has no generic netlink family {}: it has no WireGuard",
                        genl::FAMILY
                    )));
                }
            }
        }
    }

    /// The configuration of the kernel's WireGuard interface `name`;
    /// `None` when the kernel does not show it to this process (no
    /// `CAP_NET_ADMIN`: a dry run by a user).
    pub(in crate::backend::linux) fn get_device(&mut self, name: &str) -> Result<Option<WgDevice>> {
        let family = self.family()?;
        for _ in 0..DUMP_TRIES {
            let seq = self.next_seq();
            self.send(&genl::get_device_request(family, seq, name))?;
            let mut dump = Dump::new(family, seq);
            let parts = loop {
                match dump.read(self.receive()?)? {
                    Dumped::Pending => {}
                    Dumped::Done(parts) => break Some(parts),
                    Dumped::Interrupted => break None,
                    Dumped::Refused(EPERM) => return Ok(None),
                    Dumped::Refused(errno) => {
                        return Err(backend(format!(
                            "the kernel's WireGuard configuration of {name} cannot be read: {}",
                            std::io::Error::from_raw_os_error(errno)
                        )));
                    }
                }
            };
            if let Some(parts) = parts {
                return genl::read_device(name, &parts).map(Some);
            }
        }
        Err(backend(format!(
            "the kernel's WireGuard configuration of {name} changed during each of \
             {DUMP_TRIES} reads"
        )))
    }

    /// Sends the messages of `set` in order, each acknowledged before the
    /// next goes; the first refused one as `(position, errno)`.
    pub(in crate::backend::linux) fn set_device(
        &mut self,
        set: &SetDevice,
    ) -> Result<Option<(usize, i32)>> {
        let family = self.family()?;
        for i in 0..set.len() {
            let seq = self.next_seq();
            let Some(bytes) = set.request(i, family, seq) else {
                break;
            };
            self.send(&bytes)?;
            let mut acks = Acks::new(seq, 1);
            while !acks.read(self.receive()?)? {}
            if let Some((_, errno)) = acks.refused() {
                return Ok(Some((i, errno)));
            }
        }
        Ok(None)
    }
}

/// What answered on a wireguard-go socket.
#[derive(Debug)]
pub(in crate::backend::linux) enum Answered {
    /// The answer's text.
    Text(String),
    /// No socket, or one nobody listens on any more: no wireguard-go.
    Absent,
    /// This process may not open the socket (not root).
    Forbidden,
}

fn uapi_error(name: &str, what: &str, e: &std::io::Error) -> Error {
    backend(format!(
        "{what} wireguard-go's socket of {name} ({}) failed: {e}",
        socket_path(name).display()
    ))
}

/// Whether `name`'s UAPI socket listens in this thread's network
/// namespace (see [`super::listening_in`]).
fn listens_here(name: &str) -> Result<bool> {
    let table = std::fs::read_to_string(UNIX_TABLE)
        .map_err(|e| backend(format!("{UNIX_TABLE} cannot be read: {e}")))?;
    Ok(super::listening_in(&table, &socket_path(name)))
}

/// The Unix sockets of this thread's network namespace.
const UNIX_TABLE: &str = "/proc/thread-self/net/unix";

/// Sends `request` on `name`'s UAPI socket and reads the answer. A socket
/// of another namespace's wireguard-go is no answer.
fn exchange(name: &str, request: &[u8]) -> Result<Answered> {
    if !listens_here(name)? {
        return Ok(Answered::Absent);
    }
    let mut stream = match UnixStream::connect(socket_path(name)) {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), IoKind::NotFound | IoKind::ConnectionRefused) => {
            return Ok(Answered::Absent);
        }
        Err(e) if e.kind() == IoKind::PermissionDenied => return Ok(Answered::Forbidden),
        Err(e) => return Err(uapi_error(name, "connecting to", &e)),
    };
    let io = |what: &str, e: std::io::Error| uapi_error(name, what, &e);
    stream
        .set_read_timeout(Some(LIMIT))
        .and_then(|()| stream.set_write_timeout(Some(LIMIT)))
        .map_err(|e| io("setting a timeout on", e))?;
    stream.write_all(request).map_err(|e| io("writing to", e))?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while !uapi::complete(&answer) {
        let n = match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(backend(format!(
                    "wireguard-go's socket of {name} closed after {} bytes of an unfinished \
                     answer",
                    answer.len()
                )));
            }
            Ok(n) => n,
            Err(e) if e.kind() == IoKind::Interrupted => continue,
            Err(e) => return Err(io("reading from", e)),
        };
        answer.extend_from_slice(&chunk[..n]);
        if answer.len() > ANSWER_BYTES {
            return Err(backend(format!(
                "wireguard-go's answer for {name} is over {ANSWER_BYTES} bytes"
            )));
        }
    }
    let text = String::from_utf8(answer).map_err(|e| {
        backend(format!(
            "wireguard-go's answer for {name} is not UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(Answered::Text(text))
}

/// Asks `name`'s wireguard-go for its configuration (`get=1`).
pub(in crate::backend::linux) fn uapi_get(name: &str) -> Result<Answered> {
    exchange(name, uapi::GET.as_bytes())
}

/// Gives `name`'s wireguard-go its configuration (`set=1`); its answer.
pub(in crate::backend::linux) fn uapi_set(name: &str, text: &SetText) -> Result<String> {
    match exchange(name, text.as_bytes())? {
        Answered::Text(t) => Ok(t),
        Answered::Absent => Err(backend(format!(
            "no wireguard-go answers for {name}: its socket {} is missing or closed",
            socket_path(name).display()
        ))),
        Answered::Forbidden => Err(backend(format!(
            "this process may not open wireguard-go's socket {} of {name}",
            socket_path(name).display()
        ))),
    }
}

/// Starts `wireguard-go NAME`, which makes TUN link `name`, opens its
/// socket and then leaves a daemon behind; waits for that process to
/// return and the daemon to answer on the socket, at most [`LIMIT`] each.
/// `why` says why the kernel's WireGuard was not used, for the errors.
pub(in crate::backend::linux) fn start(name: &str, why: &str) -> Result<()> {
    let neither = |what: String| {
        backend(format!(
            "no WireGuard for {name} either way: {why}, and {what}"
        ))
    };
    if UnixStream::connect(socket_path(name)).is_ok() && !listens_here(name)? {
        return Err(neither(format!(
            "{WIREGUARD_GO} cannot take {}: a {WIREGUARD_GO} of another network namespace \
             serves that name (the socket directory is the whole host's, so WireGuard \
             interfaces of one host's namespaces need different names)",
            socket_path(name).display()
        )));
    }
    let mut child = Command::new(WIREGUARD_GO)
        .arg(name)
        .env("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            IoKind::NotFound => neither(format!(
                "{WIREGUARD_GO} is not on PATH (Debian and Ubuntu: apt-get install wireguard-go)"
            )),
            _ => neither(format!("{WIREGUARD_GO} cannot be started: {e}")),
        })?;
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(STEP),
            Ok(None) => {
                // Ours to end: it never got to leave its daemon.
                let _ = child.kill();
                let _ = child.wait();
                return Err(neither(format!(
                    "{WIREGUARD_GO} {name} did not finish starting within {LIMIT:?}"
                )));
            }
            Err(e) => return Err(neither(format!("waiting for {WIREGUARD_GO} failed: {e}"))),
        }
    };
    if !status.success() {
        return Err(neither(format!(
            "{WIREGUARD_GO} {name} failed ({status}; run it by hand to see why: a name or \
             socket {} in use?)",
            socket_path(name).display()
        )));
    }
    // The socket listens from the start (the first process made it), but
    // only the daemon answers, and only once it has set up the TUN link,
    // MTU included (to its own default): whatever is set on the link
    // before that may be undone. So wait for an answer to get=1.
    let deadline = Instant::now() + LIMIT;
    loop {
        let why = match exchange(name, uapi::GET.as_bytes()) {
            Ok(Answered::Text(_)) => return Ok(()),
            Ok(Answered::Absent) => "its socket is missing".to_owned(),
            Ok(Answered::Forbidden) => "this process may not open its socket".to_owned(),
            Err(e) => e.message().to_owned(),
        };
        if Instant::now() >= deadline {
            return Err(neither(format!(
                "{WIREGUARD_GO} {name} started, but did not answer on {} within {LIMIT:?}: \
                 {why}",
                socket_path(name).display()
            )));
        }
        std::thread::sleep(STEP);
    }
}

/// Waits at most [`LIMIT`] for `name`'s wireguard-go to go once its TUN
/// link is deleted: its socket is removed, or nobody listens on it any
/// more (then the stale file is removed here).
pub(in crate::backend::linux) fn await_stop(name: &str) -> Result<()> {
    let path = socket_path(name);
    let deadline = Instant::now() + LIMIT;
    loop {
        match UnixStream::connect(&path) {
            Err(e) if e.kind() == IoKind::NotFound => return Ok(()),
            // Another namespace's, of the same name: not the one stopping.
            Ok(_) if !listens_here(name)? => return Ok(()),
            Err(e) if e.kind() == IoKind::ConnectionRefused => {
                return match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != IoKind::NotFound => Err(backend(format!(
                        "the stale socket {} of {name} cannot be removed: {e}",
                        path.display()
                    ))),
                    _ => Ok(()),
                };
            }
            _ if Instant::now() < deadline => std::thread::sleep(STEP),
            _ => {
                return Err(backend(format!(
                    "{WIREGUARD_GO} of {name} still answers on {} {LIMIT:?} after its \
                     interface was deleted",
                    path.display()
                )));
            }
        }
    }
}
