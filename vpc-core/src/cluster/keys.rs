//! This host's SSH identity: an ed25519 key pair made on first need (no
//! `ssh-keygen` needed) and kept in the state directory with mode 0600, and
//! the SHA256 fingerprints hosts are pinned by.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64ct::{Base64Unpadded, Encoding};
use ssh_key::{Algorithm, LineEnding, PrivateKey};

use crate::error::{Error, ErrorKind, Result};
use crate::store::Outcome;
use crate::store::{self, Store};

/// The paths of this host's key pair.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// The private key (OpenSSH format, mode 0600).
    pub private: PathBuf,
    /// The public key, one `ssh-ed25519 AAAA… comment` line.
    pub public: PathBuf,
}

impl KeyPair {
    /// The public key line.
    pub fn public_line(&self) -> Result<String> {
        fs::read_to_string(&self.public)
            .map(|s| s.trim().to_owned())
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot read {}: {e}", self.public.display()),
                )
            })
    }
}

/// This host's key pair, made now if it does not exist yet.
pub fn ensure(store: &Store, comment: &str) -> Result<(Outcome, KeyPair)> {
    let dir = store.dir().join("ssh");
    let pair = KeyPair {
        private: dir.join("id_ed25519"),
        public: dir.join("id_ed25519.pub"),
    };
    if pair.private.exists() && pair.public.exists() {
        let mode = fs::metadata(&pair.private)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        if mode & 0o077 != 0 {
            return Err(Error::new(
                ErrorKind::Corrupt,
                format!(
                    "{} has mode {mode:o}: expected 600 (a private key others can read is spent)",
                    pair.private.display()
                ),
            ));
        }
        return Ok((Outcome::Unchanged, pair));
    }
    let _locked = store.lock()?;
    fs::create_dir_all(&dir)
        .and_then(|()| fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)))
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
    let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot make an ed25519 key: {e}")))?;
    key.set_comment(comment);
    let private = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot encode the key: {e}")))?;
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot encode the key: {e}")))?;
    store::write_file(&pair.private, &private, 0o600)?;
    store::write_file(&pair.public, &format!("{public}\n"), 0o644)?;
    Ok((Outcome::Created, pair))
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
