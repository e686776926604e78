//! One SSH connection to a node, with libssh2: the host key checked
//! against the pinned fingerprint, password or key login, a command run
//! with data on stdin, and this host's public key installed over SFTP (no
//! remote shell command is built for it).

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ssh2::{BlockDirections, Channel, ErrorCode, HashType, OpenFlags, OpenType, Session};

use crate::cluster::keys;
use crate::error::{Error, ErrorKind, Result};
use crate::request::Timeouts;

/// How to log in.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// A password.
    Password(&'a str),
    /// A private key file.
    Key(&'a Path),
}

fn ssh_error(at: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Remote, format!("{at}: {what}: {e}"))
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// `d` in seconds as a timeout is written: whole when it is whole.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// libssh2's `LIBSSH2_ERROR_EAGAIN` (ssh2 does not re-export its `-sys`
/// crate; io errors carry it as `WouldBlock`).
const EAGAIN: i32 = -37;

fn would_block(e: &ssh2::Error) -> bool {
    e.code() == ErrorCode::Session(EAGAIN)
}

/// The most of a remote's stdout kept: its reports are far smaller.
const MAX_STDOUT: usize = 16 << 20;

/// The most of a remote's stderr kept: its end, for the message.
const TAIL_BYTES: usize = 4096;

/// Keeps the start of a stream, up to one byte past [`MAX_STDOUT`] (so
/// that too long is told apart from exactly full).
fn keep_head(into: &mut Vec<u8>, bytes: &[u8]) {
    let room = (MAX_STDOUT + 1).saturating_sub(into.len());
    into.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// The last [`TAIL_BYTES`] of a stream.
#[derive(Debug, Clone, Default)]
struct Tail(Vec<u8>);

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
        if self.0.len() > 2 * TAIL_BYTES {
            self.0.drain(..self.0.len() - TAIL_BYTES);
        }
    }

    fn text(&self) -> String {
        let from = self.0.len().saturating_sub(TAIL_BYTES);
        String::from_utf8_lossy(&self.0[from..]).into_owned()
    }

    /// The last `n` non-empty lines, joined.
    fn lines(&self, n: usize) -> String {
        last_lines(&self.text(), n)
    }
}

/// The last `n` non-empty lines of `text`, oldest first, joined with
/// " | ", each cut to its last 300 characters.
pub fn last_lines(text: &str, n: usize) -> String {
    let mut lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .rev()
        .take(n)
        .collect();
    lines.reverse();
    lines
        .iter()
        .map(|l| {
            let chars = l.chars().count();
            if chars > 300 {
                let cut: String = l.chars().skip(chars - 300).collect();
                format!("…{cut}")
            } else {
                (*l).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What a remote command answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Its exit status (0 when it was killed by a signal).
    pub status: i32,
    /// The signal that killed it, if one did.
    pub signal: Option<String>,
    /// Its stdout.
    pub stdout: String,
    /// The end of its stderr (the last 4 KiB).
    pub stderr: String,
}

/// Why a command was not seen through.
enum Halt {
    /// The deadline passed; what stderr had said.
    Late(Tail),
    /// The session failed: at what, and why.
    Broken(&'static str, String),
}

/// An SSH session whose handshake is done.
pub struct Connection {
    session: Session,
    /// The session's socket: waited on while a command runs, cut when one
    /// is given up.
    tcp: TcpStream,
    at: String,
    /// How long one remote command may take, all of it.
    command_timeout: Duration,
    /// The host key's SHA256 fingerprint.
    pub fingerprint: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("at", &self.at)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl Connection {
    /// Connects and does the handshake, within `timeouts.connect`.
    pub fn open(addr: IpAddr, port: u16, timeouts: &Timeouts) -> Result<Connection> {
        let at = SocketAddr::new(addr, port).to_string();
        let tcp = TcpStream::connect_timeout(&SocketAddr::new(addr, port), timeouts.connect)
            .map_err(|e| ssh_error(&at, "cannot connect", e))?;
        // libssh2 writes a message in several small writes (a channel's
        // data, then its end): with Nagle's algorithm each would wait for
        // the acknowledgement of the one before, which the far end may
        // delay by tens of milliseconds. OpenSSH's client sets it too.
        tcp.set_nodelay(true)
            .map_err(|e| ssh_error(&at, "cannot connect", e))?;
        let mut session = Session::new().map_err(|e| ssh_error(&at, "cannot start SSH", e))?;
        let kept = tcp
            .try_clone()
            .map_err(|e| ssh_error(&at, "cannot connect", e))?;
        session.set_tcp_stream(tcp);
        session.set_timeout(millis(timeouts.connect));
        session
            .handshake()
            .map_err(|e| ssh_error(&at, "SSH handshake failed", e))?;
        let hash = session
            .host_key_hash(HashType::Sha256)
            .ok_or_else(|| ssh_error(&at, "SSH handshake failed", "no host key"))?;
        let fingerprint = keys::fingerprint(hash);
        session.set_timeout(millis(timeouts.command));
        Ok(Connection {
            session,
            tcp: kept,
            at,
            command_timeout: timeouts.command,
            fingerprint,
        })
    }

    /// Refuses a host key other than `expected`, naming both.
    pub fn verify(&self, expected: &str) -> Result<()> {
        if self.fingerprint == expected {
            return Ok(());
        }
        // Remote like every other SSH failure, not Conflict: a program
        // branching on Conflict expects "it exists already", not "this is
        // not the host you pinned".
        Err(Error::new(
            ErrorKind::Remote,
            format!(
                "host key of {} does not match: pinned {expected}, offered {}; \
                 if the host was reinstalled on purpose, add it again with replace=1 \
                 (checking the new fingerprint, e.g. with fingerprint=)",
                self.at, self.fingerprint
            ),
        ))
    }

    /// Logs in as `user`.
    pub fn login(&self, user: &str, auth: Auth<'_>) -> Result<()> {
        let done = match auth {
            Auth::Password(p) => self.session.userauth_password(user, p),
            Auth::Key(k) => self.session.userauth_pubkey_file(user, None, k, None),
        };
        done.map_err(|e| {
            let how = match auth {
                Auth::Password(_) => "with the password".to_owned(),
                Auth::Key(k) => format!("with the key {}", k.display()),
            };
            Error::new(
                ErrorKind::Remote,
                format!("{}: cannot log in as {user} {how}: {e}", self.at),
            )
        })?;
        if !self.session.authenticated() {
            return Err(Error::new(
                ErrorKind::Remote,
                format!("{}: login as {user} refused", self.at),
            ));
        }
        Ok(())
    }

    /// Runs `command` (built by the caller from fixed words and validated
    /// names only) and feeds it `stdin`. The whole command — input, both
    /// output streams, the exit status — must be done within the command
    /// timeout: a remote that hangs, or trickles output forever, is given
    /// up at that deadline (`Remote`), and the connection is then closed,
    /// as its state is unknown. stdout and stderr are read together, so a
    /// remote filling the channel's window on one of them cannot stall.
    pub fn exec(&self, command: &str, stdin: &[u8]) -> Result<Answer> {
        self.exec_streaming(command, stdin, &mut |_| {})
    }

    /// [`exec`](Self::exec), handing `on_stdout` each piece of stdout as it
    /// arrives (the answer still holds all of it): a remote that reports
    /// one step before it starts the next is heard at once.
    pub fn exec_streaming(
        &self,
        command: &str,
        stdin: &[u8],
        on_stdout: &mut dyn FnMut(&[u8]),
    ) -> Result<Answer> {
        let deadline = Instant::now() + self.command_timeout;
        self.session.set_blocking(false);
        let mut channel = None;
        let answer = self.exec_until(command, stdin, deadline, &mut channel, on_stdout);
        if answer.is_err() {
            // Cut: the channel's and the session's teardown then fail at
            // once instead of waiting on a remote that does not answer.
            let _ = self.tcp.shutdown(Shutdown::Both);
        }
        self.session.set_blocking(true);
        drop(channel);
        answer.map_err(|halt| match halt {
            Halt::Late(tail) => Error::new(
                ErrorKind::Remote,
                format!(
                    "{}: `{command}` was given up after {} s (command_timeout): \
                     it had not finished{}",
                    self.at,
                    seconds(self.command_timeout),
                    match tail.lines(1).as_str() {
                        "" => String::new(),
                        said => format!("; it last said: {said}"),
                    }
                ),
            ),
            Halt::Broken(what, e) => ssh_error(&self.at, what, e),
        })
    }

    fn exec_until(
        &self,
        command: &str,
        stdin: &[u8],
        deadline: Instant,
        channel: &mut Option<Channel>,
        on_stdout: &mut dyn FnMut(&[u8]),
    ) -> std::result::Result<Answer, Halt> {
        let mut stdout = Vec::new();
        let mut stderr = Tail::default();
        let ch = channel.insert(self.again(deadline, &stderr, "cannot open a channel", || {
            self.session.channel_session()
        })?);
        self.again(deadline, &stderr, "cannot run the command", || {
            ch.exec(command)
        })?;
        let mut sent = 0;
        let mut eof_sent = false;
        let (mut out_done, mut err_done) = (false, false);
        let mut buf = vec![0u8; 32 * 1024];
        while !(out_done && err_done) {
            if Instant::now() >= deadline {
                return Err(Halt::Late(stderr));
            }
            let mut moved = false;
            if sent < stdin.len() {
                match ch.write(&stdin[sent..]) {
                    Ok(n) => {
                        sent += n;
                        moved = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // A remote that exits without reading its input: what
                    // it said and its exit status tell why.
                    Err(_) => sent = stdin.len(),
                }
            } else if !eof_sent {
                match ch.send_eof() {
                    Ok(()) => {
                        eof_sent = true;
                        moved = true;
                    }
                    Err(e) if would_block(&e) => {}
                    Err(_) => eof_sent = true,
                }
            }
            for (done, id) in [(&mut out_done, 0), (&mut err_done, 1)] {
                if *done {
                    continue;
                }
                match ch.stream(id).read(&mut buf) {
                    // An end is progress too: waiting for the socket now
                    // could wait for nothing (the channel's close may
                    // have come with it) until the wait's slice is over.
                    Ok(0) => {
                        *done = true;
                        moved = true;
                    }
                    Ok(n) => {
                        moved = true;
                        if id == 0 {
                            on_stdout(&buf[..n]);
                            keep_head(&mut stdout, &buf[..n]);
                        } else {
                            stderr.push(&buf[..n]);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => {
                        return Err(Halt::Broken("cannot read the answer", e.to_string()));
                    }
                }
            }
            if !moved && !self.wait(deadline) {
                return Err(Halt::Late(stderr));
            }
        }
        self.again(deadline, &stderr, "the command did not finish", || {
            ch.wait_close()
        })?;
        let status = ch
            .exit_status()
            .map_err(|e| Halt::Broken("no exit status", e.to_string()))?;
        let signal = ch.exit_signal().ok().and_then(|s| s.exit_signal);
        if stdout.len() > MAX_STDOUT {
            return Err(Halt::Broken(
                "the answer is too long",
                format!("more than {MAX_STDOUT} bytes on stdout; expected a report"),
            ));
        }
        Ok(Answer {
            status,
            signal,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: stderr.text(),
        })
    }

    /// Calls `f` until it no longer asks to wait, waiting for the socket in
    /// between, until `deadline`.
    fn again<T>(
        &self,
        deadline: Instant,
        said: &Tail,
        what: &'static str,
        mut f: impl FnMut() -> std::result::Result<T, ssh2::Error>,
    ) -> std::result::Result<T, Halt> {
        loop {
            match f() {
                Ok(v) => return Ok(v),
                Err(e) if would_block(&e) => {
                    if !self.wait(deadline) {
                        return Err(Halt::Late(said.clone()));
                    }
                }
                Err(e) => return Err(Halt::Broken(what, e.to_string())),
            }
        }
    }

    /// Waits until the socket is ready the way libssh2 last asked for, a
    /// short while at most; false once `deadline` has passed.
    fn wait(&self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let events = match self.session.block_directions() {
            BlockDirections::Outbound => PollFlags::POLLOUT,
            BlockDirections::Both => PollFlags::POLLIN | PollFlags::POLLOUT,
            BlockDirections::Inbound | BlockDirections::None => PollFlags::POLLIN,
        };
        // Short slices: a wake-up libssh2 did not ask for costs one more
        // turn of the loop, nothing else.
        let slice = u16::try_from(left.min(Duration::from_millis(250)).as_millis()).unwrap_or(250);
        let mut fds = [PollFd::new(self.tcp.as_fd(), events)];
        let _ = poll(&mut fds, PollTimeout::from(slice.max(1)));
        true
    }

    /// Adds `public_line` to the user's `~/.ssh/authorized_keys` over SFTP
    /// (made with modes 0700 / 0600 if missing), unless it is there.
    /// Returns whether it was added. An existing file is appended to, in
    /// place: its lines, mode and owner stay, and no other file is made.
    pub fn install_key(&self, public_line: &str) -> Result<bool> {
        let fail = |what: &str, e: ssh2::Error| ssh_error(&self.at, what, e);
        let sftp = self
            .session
            .sftp()
            .map_err(|e| fail("cannot start SFTP", e))?;
        let dir = Path::new(".ssh");
        if sftp.stat(dir).is_err() {
            sftp.mkdir(dir, 0o700)
                .map_err(|e| fail("cannot make ~/.ssh", e))?;
        }
        let file = dir.join("authorized_keys");
        let mut current = String::new();
        if let Ok(mut f) = sftp.open(&file) {
            f.read_to_string(&mut current)
                .map_err(|e| ssh_error(&self.at, "cannot read ~/.ssh/authorized_keys", e))?;
        }
        // The key is its type and blob; the comment may differ.
        let key_of = |l: &str| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        let ours = key_of(public_line);
        if current.lines().any(|l| key_of(l) == ours) {
            return Ok(false);
        }
        let mut line = String::new();
        if !current.is_empty() && !current.ends_with('\n') {
            line.push('\n');
        }
        line.push_str(public_line);
        line.push('\n');
        // Appending keeps the file's mode and owner (a new file and a
        // rename would need both restored, and SFTP version 3 does not
        // rename over an existing file); the mode is used only when the
        // file is made.
        let mut f = sftp
            .open_mode(
                &file,
                OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::CREATE,
                0o600,
                OpenType::File,
            )
            .map_err(|e| fail("cannot write ~/.ssh/authorized_keys", e))?;
        f.write_all(line.as_bytes())
            .map_err(|e| ssh_error(&self.at, "cannot write ~/.ssh/authorized_keys", e))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_and_lines() {
        let mut t = Tail::default();
        for _ in 0..1000 {
            t.push(&[b'e'; 1024]);
        }
        t.push(b"\nsecond to last\n\nthe end\n");
        assert_eq!(t.text().len(), TAIL_BYTES);
        assert!(t.0.len() <= 2 * TAIL_BYTES);
        let said = t.lines(2);
        assert!(said.ends_with("second to last | the end"), "{said}");
        assert_eq!(
            t.lines(3).split(" | ").next().map(|l| l.chars().count()),
            Some(301)
        );
        assert_eq!(last_lines("  \n\n", 3), "");
    }

    #[test]
    fn the_head_of_stdout_is_kept_one_byte_past_the_limit() {
        let mut out = Vec::new();
        keep_head(&mut out, &vec![b'x'; MAX_STDOUT]);
        keep_head(&mut out, b"yz");
        assert_eq!(out.len(), MAX_STDOUT + 1);
        assert_eq!(seconds(Duration::from_secs(3)), "3");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5");
    }
}
