//! This host's SSH identity: an ed25519 key pair made on first need (no
//! `ssh-keygen` needed) and kept in the state directory with mode 0600, and
//! the SHA256 fingerprints hosts are pinned by.
//!
//! A private key, once made, is never replaced: a missing public half is
//! derived from it again, and a private key that cannot be read is refused
//! with nothing written. The pair is made under the store's lock, so two
//! first `node mode=add` at once end with one pair.

use std::path::{Path, PathBuf};

use base64ct::{Base64Unpadded, Encoding};
use ssh_key::{Algorithm, LineEnding, PrivateKey};

use crate::error::{Error, ErrorKind, Result};
use crate::store::Outcome;
use crate::store::Store;

/// The subdirectory of the state directory that holds the pair.
const DIR: &str = "ssh";
/// The private key's file name.
const PRIVATE: &str = "id_ed25519";
/// The public key's file name.
const PUBLIC: &str = "id_ed25519.pub";

/// The paths of this host's key pair.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// The private key (OpenSSH format, mode 0600).
    pub private: PathBuf,
    /// The public key, one `ssh-ed25519 AAAA… comment` line.
    pub public: PathBuf,
    /// The public key line, as read or written.
    line: String,
}

impl KeyPair {
    /// The public key line.
    pub fn public_line(&self) -> Result<String> {
        Ok(self.line.clone())
    }
}

fn encoding_error(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("cannot encode the key: {e}"))
}

/// The private key found in the store, checked: mode 0600 and a readable
/// OpenSSH key. `None` when there is none.
fn read_private(store: &Store, path: &Path) -> Result<Option<PrivateKey>> {
    let Some((bytes, mode)) = store.read_file_in(DIR, PRIVATE)? else {
        return Ok(None);
    };
    if mode & 0o077 != 0 {
        return Err(Error::new(
            ErrorKind::Corrupt,
            format!(
                "{} has mode {:o}: expected 600 (a private key others can read is spent)",
                path.display(),
                mode & 0o777
            ),
        ));
    }
    let key = std::str::from_utf8(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| PrivateKey::from_openssh(text).map_err(|e| e.to_string()))
        .map_err(|why| {
            Error::new(
                ErrorKind::Corrupt,
                format!(
                    "{} is not a valid OpenSSH private key ({why}): expected the key vpc made; \
                     it is left as it is (move it away to have a new pair made)",
                    path.display()
                ),
            )
        })?;
    Ok(Some(key))
}

/// The public key line in the store, if any.
fn read_public(store: &Store) -> Result<Option<String>> {
    Ok(store
        .read_file_in(DIR, PUBLIC)?
        .map(|(bytes, _)| String::from_utf8_lossy(&bytes).trim().to_owned())
        .filter(|line| !line.is_empty()))
}

/// This host's key pair, made now if it does not exist yet (outcome
/// `created`), its public half derived again from the private key when
/// missing (`updated`).
pub fn ensure(store: &Store, comment: &str) -> Result<(Outcome, KeyPair)> {
    let dir = store.dir().join(DIR);
    let private_path = dir.join(PRIVATE);
    let pair = |line: String| KeyPair {
        private: private_path.clone(),
        public: dir.join(PUBLIC),
        line,
    };
    // Without the lock first: the pair exists on every call but the first.
    if read_private(store, &private_path)?.is_some()
        && let Some(line) = read_public(store)?
    {
        return Ok((Outcome::Unchanged, pair(line)));
    }
    let locked = store.lock()?;
    // Again under the lock: another process may have made it meanwhile.
    if let Some(key) = read_private(store, &private_path)? {
        if let Some(line) = read_public(store)? {
            return Ok((Outcome::Unchanged, pair(line)));
        }
        let line = key.public_key().to_openssh().map_err(encoding_error)?;
        locked.write_file_in(DIR, PUBLIC, format!("{line}\n").as_bytes())?;
        return Ok((Outcome::Updated, pair(line)));
    }
    let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot make an ed25519 key: {e}")))?;
    key.set_comment(comment);
    let private = key.to_openssh(LineEnding::LF).map_err(encoding_error)?;
    let line = key.public_key().to_openssh().map_err(encoding_error)?;
    locked.write_file_in(DIR, PRIVATE, private.as_bytes())?;
    locked.write_file_in(DIR, PUBLIC, format!("{line}\n").as_bytes())?;
    Ok((Outcome::Created, pair(line)))
}

/// `SHA256:…` of a SHA-256 digest, as OpenSSH prints host key fingerprints.
pub fn fingerprint(sha256: &[u8]) -> String {
    format!("SHA256:{}", Base64Unpadded::encode_string(sha256))
}

/// Checks a `fingerprint=` value's form.
pub fn parse_fingerprint(text: &str) -> Result<String> {
    let ok = text
        .strip_prefix("SHA256:")
        .and_then(|b| Base64Unpadded::decode_vec(b).ok())
        .is_some_and(|d| d.len() == 32);
    if ok {
        Ok(text.to_owned())
    } else {
        Err(Error::invalid(format!(
            "fingerprint {text:?} is not valid: expected SHA256: and 43 base64 characters, \
             as ssh-keygen -lf prints"
        )))
    }
}

/// Where the key of a file given with `identity=` is.
pub fn identity_path(text: &str) -> Result<PathBuf> {
    let p = Path::new(text);
    if p.is_file() {
        Ok(p.to_path_buf())
    } else {
        Err(Error::invalid(format!(
            "identity {text:?} is not a readable file: expected a private key"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn fingerprints() {
        let fp = fingerprint(&[0u8; 32]);
        assert_eq!(fp, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert!(parse_fingerprint(&fp).is_ok());
        for bad in [
            "",
            "SHA256:",
            "MD5:aa",
            "SHA256:AAAA",
            "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(parse_fingerprint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_pair_is_made_once_with_mode_600() {
        let dir = std::env::temp_dir().join(format!("vpc-keys-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = Store::open(&dir);
        let (first, pair) = ensure(&store, "vpc@a").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first, Outcome::Created);
        let mode = fs::metadata(&pair.private)
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(mode, Some(0o600));
        let line = pair.public_line().unwrap_or_default();
        assert!(
            line.starts_with("ssh-ed25519 AAAA") && line.ends_with(" vpc@a"),
            "{line}"
        );
        let (again, pair2) = ensure(&store, "vpc@a").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, Outcome::Unchanged);
        assert_eq!(pair2.public_line().unwrap_or_default(), line);
        fs::set_permissions(&pair.private, fs::Permissions::from_mode(0o644)).ok();
        assert_eq!(
            ensure(&store, "vpc@a").map(|r| r.0).map_err(|e| e.kind()),
            Err(ErrorKind::Corrupt)
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
