//! One SSH connection to a node, with libssh2: the host key checked
//! against the pinned fingerprint, password or key login, a command run
//! with data on stdin, and this host's public key installed over SFTP (no
//! remote shell command is built for it).

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use ssh2::{HashType, OpenFlags, OpenType, Session};

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

/// An SSH session whose handshake is done.
pub struct Connection {
    session: Session,
    at: String,
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
        let mut session = Session::new().map_err(|e| ssh_error(&at, "cannot start SSH", e))?;
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
            at,
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
    /// names only), feeds it `stdin`, and returns its exit status, stdout
    /// and stderr.
    pub fn exec(&self, command: &str, stdin: &[u8]) -> Result<(i32, String, String)> {
        let fail = |what: &str, e: ssh2::Error| ssh_error(&self.at, what, e);
        let mut ch = self
            .session
            .channel_session()
            .map_err(|e| fail("cannot open a channel", e))?;
        ch.exec(command)
            .map_err(|e| fail("cannot run the command", e))?;
        ch.write_all(stdin)
            .map_err(|e| ssh_error(&self.at, "cannot send the input", e))?;
        ch.send_eof()
            .map_err(|e| fail("cannot send the input", e))?;
        let mut out = String::new();
        ch.read_to_string(&mut out)
            .map_err(|e| ssh_error(&self.at, "cannot read the answer", e))?;
        let mut err = String::new();
        ch.stderr()
            .read_to_string(&mut err)
            .map_err(|e| ssh_error(&self.at, "cannot read the answer", e))?;
        ch.wait_close()
            .map_err(|e| fail("the command did not finish", e))?;
        let status = ch.exit_status().map_err(|e| fail("no exit status", e))?;
        Ok((status, out, err))
    }

    /// Adds `public_line` to the user's `~/.ssh/authorized_keys` over SFTP
    /// (made with modes 0700 / 0600 if missing), unless it is there.
    /// Returns whether it was added.
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
        if !current.is_empty() && !current.ends_with('\n') {
            current.push('\n');
        }
        current.push_str(public_line);
        current.push('\n');
        let tmp = dir.join("authorized_keys.vpc-new");
        let mut f = sftp
            .open_mode(
                &tmp,
                OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE,
                0o600,
                OpenType::File,
            )
            .map_err(|e| fail("cannot write ~/.ssh/authorized_keys", e))?;
        f.write_all(current.as_bytes())
            .map_err(|e| ssh_error(&self.at, "cannot write ~/.ssh/authorized_keys", e))?;
        drop(f);
        sftp.rename(&tmp, &file, None)
            .map_err(|e| fail("cannot write ~/.ssh/authorized_keys", e))?;
        Ok(true)
    }
}
