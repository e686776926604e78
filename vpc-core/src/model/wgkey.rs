//! WireGuard keys: X25519 pairs, written in base64 as wg(8) writes them.
//!
//! A [`PublicKey`] travels in specs and reports. A [`PrivateKey`] never
//! does: it is not `Serialize`, its `Debug` shows only its public half, and
//! it is read from and written to this host's store alone.

use std::fmt;

use base64ct::{Base64, Encoding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use x25519_dalek::{PublicKey as DalekPublic, StaticSecret};

use crate::error::{Error, Result};

/// Length of a key in base64, with its one `=` of padding.
pub const KEY_TEXT_LEN: usize = 44;

/// Decodes 32 key bytes from wg(8)'s base64; `what` names the value in
/// errors (never the text itself: it may be a private key).
fn decode(what: &str, text: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    match Base64::decode(text.as_bytes(), &mut out) {
        Ok(bytes) if bytes.len() == 32 && text.len() == KEY_TEXT_LEN => Ok(out),
        _ => Err(Error::invalid(format!(
            "{what} is not valid: expected 32 bytes in base64 ({KEY_TEXT_LEN} characters, as wg \
             genkey writes)"
        ))),
    }
}

/// A WireGuard public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Reads wg(8)'s base64; `what` names the value in errors.
    pub fn parse(what: &str, text: &str) -> Result<PublicKey> {
        decode(what, text).map(PublicKey)
    }

    /// The raw bytes, as the kernel takes them.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From raw bytes, as the kernel reports them.
    pub fn from_bytes(bytes: [u8; 32]) -> PublicKey {
        PublicKey(bytes)
    }

    /// Lower-case hex, as the cross-platform userspace API writes keys.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Decodes 64 hex digits, as the userspace API writes keys.
pub fn from_hex(what: &str, text: &str) -> Result<[u8; 32]> {
    let bad = || Error::invalid(format!("{what} is not valid: expected 64 hex digits"));
    if text.len() != 64 || !text.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Base64::encode_string(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl std::str::FromStr for PublicKey {
    type Err = Error;
    fn from_str(text: &str) -> Result<PublicKey> {
        PublicKey::parse("WireGuard public key", text)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<PublicKey, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A WireGuard private key. Made on this host, kept in its store (0600),
/// handed to its kernel, and shown to nobody.
#[derive(Clone)]
pub struct PrivateKey(StaticSecret);

impl PrivateKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> PrivateKey {
        PrivateKey(StaticSecret::random())
    }

    /// Reads wg(8)'s base64 (a `wg genkey` line, trailing newline allowed).
    pub fn parse(text: &str) -> Result<PrivateKey> {
        decode("the WireGuard private key", text.trim_end_matches('\n'))
            .map(|b| PrivateKey(StaticSecret::from(b)))
    }

    /// From raw bytes, as the kernel reports them.
    pub fn from_bytes(bytes: [u8; 32]) -> PrivateKey {
        PrivateKey(StaticSecret::from(bytes))
    }

    /// The key in base64 with a newline, as the store's key file holds it.
    pub fn to_file_text(&self) -> String {
        let mut s = Base64::encode_string(self.0.as_bytes());
        s.push('\n');
        s
    }

    /// The raw bytes, for the kernel.
    pub fn bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Lower-case hex, for the userspace API.
    pub fn to_hex(&self) -> String {
        hex(self.0.as_bytes())
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(DalekPublic::from(&self.0).to_bytes())
    }
}

impl PartialEq for PrivateKey {
    fn eq(&self, other: &PrivateKey) -> bool {
        self.public() == other.public()
    }
}

impl Eq for PrivateKey {}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(public {})", self.public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A pair made by `wg genkey | tee priv | wg pubkey`.
    const PRIVATE: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    const PUBLIC: &str = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

    #[test]
    fn public_half_matches_wg_pubkey() {
        let k = PrivateKey::parse(PRIVATE).unwrap();
        assert_eq!(k.public().to_string(), PUBLIC);
        assert_eq!(PrivateKey::parse(&k.to_file_text()).unwrap(), k);
    }

    #[test]
    fn private_key_never_shows() {
        let k = PrivateKey::parse(PRIVATE).unwrap();
        let shown = format!("{k:?}");
        assert!(!shown.contains(PRIVATE), "{shown}");
        assert!(shown.contains(PUBLIC), "{shown}");
        let e = PrivateKey::parse("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBm").unwrap_err();
        assert!(!e.message().contains("yAnz"), "{e}");
    }

    #[test]
    fn bad_keys_are_refused() {
        for bad in ["", "x", &PUBLIC[..43], &format!("{PUBLIC}A"), "!!!"] {
            let e = PublicKey::parse("wg_key of node a", bad).unwrap_err();
            assert!(
                e.message().starts_with("wg_key of node a is not valid"),
                "{e}"
            );
        }
        assert_eq!(
            from_hex("k", &PublicKey::parse("p", PUBLIC).unwrap().to_hex()).unwrap(),
            *PublicKey::parse("p", PUBLIC).unwrap().bytes()
        );
        assert!(from_hex("k", &"g".repeat(64)).is_err());
    }

    #[test]
    fn fresh_keys_differ() {
        assert_ne!(
            PrivateKey::generate().public(),
            PrivateKey::generate().public()
        );
    }
}
