//! wireguard-go's configuration protocol, WireGuard's cross-platform
//! userspace API (<https://www.wireguard.com/xplatform/>), pure: the text
//! of one `set=1` request built from a [`WgDevice`], and the answers to
//! `get=1` and `set=1` read back. The socket is [`super::sys`]'s.
//!
//! A request is `get=1` or `set=1` on a line, `key=value` lines, and an
//! empty line; an answer is `key=value` lines ending with `errno=N` and an
//! empty line. Keys are lower-case hex; a peer's lines follow its
//! `public_key` line. The order of a request is wg(8)'s.
//!
//! Ours, not a crate's: no crate speaks just this text — the ones that do
//! come with a whole userspace device or management library and their own
//! key and peer types — and it is a few dozen lines of `key=value`.
//!
//! A private key is in the request's text and in a `get=1` answer; the
//! request's `Debug` hides it, and no error quotes a `private_key` line.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::IfAddr;
use crate::model::wgkey::{PrivateKey, PublicKey, from_hex};
use crate::plan::{WgDevice, WgPeer};

/// The whole `get=1` request.
pub const GET: &str = "get=1\n\n";

/// Whether `answer` is complete: it ends with an empty line.
pub fn complete(answer: &[u8]) -> bool {
    answer.ends_with(b"\n\n")
}

/// A `set=1` request. Its `Debug` shows its length, not its text, which
/// holds a private key.
pub struct SetText(String);

impl SetText {
    /// The bytes to write.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SetText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetText({} bytes)", self.0.len())
    }
}

/// `device`'s whole configuration as one `set=1` request replacing every
/// peer; an error if the device has no private key.
pub fn set(device: &WgDevice) -> Result<SetText> {
    use fmt::Write;
    let key = device.private_key.as_ref().ok_or_else(|| {
        Error::new(
            ErrorKind::Backend,
            format!(
                "WireGuard interface {} is given no private key",
                device.name
            ),
        )
    })?;
    let mut s = String::with_capacity(200 + 200 * device.peers.len());
    s.push_str("set=1\n");
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "private_key={}\nlisten_port={}\nreplace_peers=true\n",
        key.to_hex(),
        device.listen_port
    );
    for p in &device.peers {
        let _ = writeln!(s, "public_key={}", p.public_key.to_hex());
        if let Some(e) = p.endpoint {
            // `[address]:port` for IPv6, as wg(8) writes it.
            let _ = writeln!(s, "endpoint={e}");
        }
        let _ = writeln!(s, "persistent_keepalive_interval={}", p.keepalive);
        s.push_str("replace_allowed_ips=true\n");
        for a in &p.allowed_ips {
            let _ = writeln!(s, "allowed_ip={a}");
        }
    }
    s.push('\n');
    Ok(SetText(s))
}

fn malformed(name: &str, what: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("wireguard-go's answer for {name} is not understood: {what}"),
    )
}

/// A value for messages: at most 80 characters of it, and nothing of a
/// text that names a private key.
fn shown(value: &str) -> String {
    if value.contains("private_key") {
        return "(a text naming a private key, not shown)".to_owned();
    }
    match value.char_indices().nth(80) {
        Some((at, _)) => format!("{:?}…", &value[..at]),
        None => format!("{value:?}"),
    }
}

/// The number in an `errno=` line, as an errno (wireguard-go writes them
/// negated).
fn errno_of(name: &str, value: &str) -> Result<i64> {
    value
        .parse::<i64>()
        .map(i64::abs)
        .map_err(|_| malformed(name, format_args!("errno={} is not a number", shown(value))))
}

fn refused(name: &str, what: &str, errno: i64) -> Error {
    let why = i32::try_from(errno)
        .map(|e| std::io::Error::from_raw_os_error(e).to_string())
        .unwrap_or_else(|_| "unknown error".to_owned());
    Error::new(
        ErrorKind::Backend,
        format!("wireguard-go refused {what} of {name}: errno {errno} ({why})"),
    )
}

/// Reads the answer to a `set=1` request: `errno=0` and an empty line.
pub fn read_set(name: &str, answer: &str) -> Result<()> {
    let Some(value) = answer
        .strip_suffix("\n\n")
        .and_then(|l| l.strip_prefix("errno="))
        .filter(|v| !v.contains('\n'))
    else {
        return Err(malformed(
            name,
            format_args!("expected errno=N and an empty line, got {}", shown(answer)),
        ));
    };
    match errno_of(name, value)? {
        0 => Ok(()),
        e => Err(refused(name, "the configuration", e)),
    }
}

fn key_of(name: &str, line: usize, key: &str, value: &str) -> Result<[u8; 32]> {
    // from_hex's message never quotes the text.
    from_hex(key, value).map_err(|e| malformed(name, format_args!("line {line}: {}", e.message())))
}

fn number<T: std::str::FromStr>(name: &str, line: usize, key: &str, value: &str) -> Result<T> {
    value.parse().map_err(|_| {
        malformed(
            name,
            format_args!(
                "line {line}: {key}={} is not a number in range",
                shown(value)
            ),
        )
    })
}

fn allowed_ip(name: &str, line: usize, value: &str) -> Result<IfAddr> {
    let bad = || {
        malformed(
            name,
            format_args!(
                "line {line}: allowed_ip={} is not ADDRESS/PREFIX",
                shown(value)
            ),
        )
    };
    let (addr, prefix) = value.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let bits = match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    if prefix > bits {
        return Err(bad());
    }
    Ok(IfAddr { addr, prefix })
}

/// Reads the answer to [`GET`] for interface `name`: peers ascending by
/// public key, each one's allowed IPs ascending; the public key is the
/// private key's public half. Keys this reader does not need (counters,
/// handshake times, a preshared key, ones a newer wireguard-go adds) are
/// skipped; a line that is not `key=value`, a value that does not read,
/// a peer's key before any `public_key`, a missing or non-zero `errno`,
/// anything after it, or a missing empty line is an error.
pub fn read_get(name: &str, answer: &str) -> Result<WgDevice> {
    let body = answer
        .strip_suffix("\n\n")
        .ok_or_else(|| malformed(name, "it does not end with an empty line"))?;
    let mut device = WgDevice {
        name: name.to_owned(),
        listen_port: 0,
        private_key: None,
        public_key: None,
        peers: Vec::new(),
    };
    let mut peer: Option<WgPeer> = None;
    let mut errno = None;
    for (i, text) in body.split('\n').enumerate() {
        let line = i + 1;
        if errno.is_some() {
            return Err(malformed(name, format_args!("line {line} follows errno")));
        }
        let Some((key, value)) = text.split_once('=') else {
            return Err(malformed(
                name,
                format_args!("line {line} is not key=value"),
            ));
        };
        match (key, peer.as_mut()) {
            ("errno", _) => errno = Some(errno_of(name, value)?),
            ("private_key" | "listen_port" | "fwmark", Some(_)) => {
                return Err(malformed(
                    name,
                    format_args!("line {line}: {key} after the first public_key"),
                ));
            }
            ("private_key", None) => {
                device.private_key = Some(PrivateKey::from_bytes(key_of(
                    name,
                    line,
                    "private_key",
                    value,
                )?));
            }
            ("listen_port", None) => device.listen_port = number(name, line, key, value)?,
            ("public_key", _) => {
                let key = PublicKey::from_bytes(key_of(name, line, key, value)?);
                device.peers.extend(peer.replace(WgPeer {
                    public_key: key,
                    endpoint: None,
                    allowed_ips: Vec::new(),
                    keepalive: 0,
                }));
            }
            ("endpoint", Some(p)) => {
                let e: SocketAddr = value.parse().map_err(|_| {
                    malformed(
                        name,
                        format_args!("line {line}: endpoint={} is not ADDRESS:PORT", shown(value)),
                    )
                })?;
                p.endpoint = Some(e);
            }
            ("persistent_keepalive_interval", Some(p)) => {
                p.keepalive = number(name, line, key, value)?;
            }
            ("allowed_ip", Some(p)) => p.allowed_ips.push(allowed_ip(name, line, value)?),
            ("endpoint" | "persistent_keepalive_interval" | "allowed_ip", None) => {
                return Err(malformed(
                    name,
                    format_args!("line {line}: {key} before any public_key"),
                ));
            }
            _ => {}
        }
    }
    match errno {
        None => return Err(malformed(name, "no errno line")),
        Some(0) => {}
        Some(e) => return Err(refused(name, "to show the configuration", e)),
    }
    device.peers.extend(peer);
    for p in &mut device.peers {
        p.allowed_ips.sort();
    }
    device.peers.sort_by_key(|a| a.public_key);
    if let Some(w) = device
        .peers
        .windows(2)
        .find(|w| w[0].public_key == w[1].public_key)
    {
        return Err(malformed(
            name,
            format_args!("peer {} is listed twice", w[0].public_key),
        ));
    }
    device.public_key = device.private_key.as_ref().map(PrivateKey::public);
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The pair of model::wgkey's tests (`wg genkey`, `wg pubkey`).
    const PRIVATE: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    const PRIVATE_HEX: &str = "c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669";

    /// wireguard-go 0.0.20220316's answer to `get=1`, captured here after
    /// `wg set vpcwg7777 private-key … listen-port 51821 peer … endpoint
    /// 198.18.0.2:51820 allowed-ips fd00::2/128 persistent-keepalive 25
    /// peer … endpoint [2001:db8::3]:51820 allowed-ips
    /// fd00::3/128,10.9.0.3/32` (the private key is the test pair's).
    const CAPTURED: &str = include_str!("testdata/uapi-get-wireguard-go.txt");

    fn key() -> PrivateKey {
        PrivateKey::parse(PRIVATE).unwrap()
    }

    fn pk(hex: &str) -> PublicKey {
        PublicKey::from_bytes(from_hex("test", hex).unwrap())
    }

    fn ifaddr(s: &str) -> IfAddr {
        IfAddr::parse(s, "test").unwrap()
    }

    fn device() -> WgDevice {
        WgDevice {
            name: "vpcwg1".into(),
            listen_port: 51820,
            private_key: Some(key()),
            public_key: Some(key().public()),
            peers: vec![
                WgPeer {
                    public_key: PublicKey::from_bytes([0x11; 32]),
                    endpoint: Some("198.18.0.2:51820".parse().unwrap()),
                    allowed_ips: vec![ifaddr("fd00::2/128")],
                    keepalive: 25,
                },
                WgPeer {
                    public_key: PublicKey::from_bytes([0x22; 32]),
                    endpoint: Some("[2001:db8::3]:51821".parse().unwrap()),
                    allowed_ips: vec![ifaddr("10.9.0.3/32"), ifaddr("fd00::3/128")],
                    keepalive: 0,
                },
                WgPeer {
                    public_key: PublicKey::from_bytes([0x33; 32]),
                    endpoint: None,
                    allowed_ips: vec![],
                    keepalive: 25,
                },
            ],
        }
    }

    #[test]
    fn set_text_is_exact() {
        let text = set(&device()).unwrap();
        let want = format!(
            "set=1\n\
             private_key={PRIVATE_HEX}\n\
             listen_port=51820\n\
             replace_peers=true\n\
             public_key={k1}\n\
             endpoint=198.18.0.2:51820\n\
             persistent_keepalive_interval=25\n\
             replace_allowed_ips=true\n\
             allowed_ip=fd00::2/128\n\
             public_key={k2}\n\
             endpoint=[2001:db8::3]:51821\n\
             persistent_keepalive_interval=0\n\
             replace_allowed_ips=true\n\
             allowed_ip=10.9.0.3/32\n\
             allowed_ip=fd00::3/128\n\
             public_key={k3}\n\
             persistent_keepalive_interval=25\n\
             replace_allowed_ips=true\n\
             \n",
            k1 = "11".repeat(32),
            k2 = "22".repeat(32),
            k3 = "33".repeat(32),
        );
        assert_eq!(std::str::from_utf8(text.as_bytes()).unwrap(), want);
        // Shown, the request hides its key.
        let shown = format!("{text:?}");
        assert_eq!(shown, format!("SetText({} bytes)", want.len()));
    }

    #[test]
    fn set_without_a_key_is_an_error() {
        let mut d = device();
        d.private_key = None;
        let e = set(&d).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(
            e.message().contains("vpcwg1 is given no private key"),
            "{e}"
        );
    }

    #[test]
    fn set_answers() {
        read_set("vpcwg1", "errno=0\n\n").unwrap();
        let e = read_set("vpcwg1", "errno=-22\n\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(
            e.message().starts_with(
                "wireguard-go refused the configuration of vpcwg1: errno 22 (Invalid argument"
            ),
            "{e}"
        );
        for bad in [
            "",
            "errno=0\n",
            "errno=0",
            "ok\n\n",
            "errno=0\nx=1\n\n",
            "errno=x\n\n",
        ] {
            let e = read_set("vpcwg1", bad).unwrap_err();
            assert!(
                e.message()
                    .starts_with("wireguard-go's answer for vpcwg1 is not understood"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn the_captured_answer_reads() {
        let d = read_get("vpcwg7777", CAPTURED).unwrap();
        assert_eq!(d.name, "vpcwg7777");
        assert_eq!(d.listen_port, 51821);
        assert_eq!(d.private_key, Some(key()));
        assert_eq!(d.public_key, Some(key().public()));
        let want = vec![
            WgPeer {
                public_key: pk("815b0c23060b379b06f6987033525899f0c4aacdac77a28557f80c54bf97b453"),
                endpoint: Some("[2001:db8::3]:51820".parse().unwrap()),
                allowed_ips: vec![ifaddr("10.9.0.3/32"), ifaddr("fd00::3/128")],
                keepalive: 0,
            },
            WgPeer {
                public_key: pk("a9ac55a292f17ad794348e84feca5b4ecaae75c2877199f64317894ae2674501"),
                endpoint: Some("198.18.0.2:51820".parse().unwrap()),
                allowed_ips: vec![ifaddr("fd00::2/128")],
                keepalive: 25,
            },
        ];
        assert_eq!(d.peers, want);
    }

    #[test]
    fn what_we_set_reads_back() {
        // What wireguard-go answers after our set=1, in its order: the
        // device, then per peer its key, counters and allowed IPs.
        let d = device();
        let mut answer = format!("private_key={PRIVATE_HEX}\nlisten_port=51820\n");
        for p in d.peers.iter().rev() {
            answer += &format!(
                "public_key={}\npreshared_key={}\nprotocol_version=1\n",
                p.public_key.to_hex(),
                "0".repeat(64)
            );
            if let Some(e) = p.endpoint {
                answer += &format!("endpoint={e}\n");
            }
            answer +=
                "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n";
            answer += &format!("persistent_keepalive_interval={}\n", p.keepalive);
            for a in p.allowed_ips.iter().rev() {
                answer += &format!("allowed_ip={a}\n");
            }
        }
        answer += "errno=0\n\n";
        let got = read_get("vpcwg1", &answer).unwrap();
        assert_eq!(got, d);
        assert!(got.same(&d) && d.same(&got));
    }

    #[test]
    fn a_fresh_device_reads_with_no_key_and_port_0() {
        let d = read_get("vpcwg1", "errno=0\n\n").unwrap();
        assert_eq!(
            (d.private_key.is_none(), d.public_key, d.listen_port),
            (true, None, 0)
        );
        assert!(d.peers.is_empty());
        // Keys it does not know are skipped.
        let d = read_get(
            "vpcwg1",
            "listen_port=5\nfwmark=7\nnew_thing=1\nerrno=0\n\n",
        )
        .unwrap();
        assert_eq!(d.listen_port, 5);
    }

    fn refused(answer: &str) -> String {
        let e = read_get("vpcwg1", answer).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        let m = e.message().to_owned();
        assert!(
            m.starts_with("wireguard-go's answer for vpcwg1 is not understood: ")
                || m.starts_with("wireguard-go refused to show the configuration of vpcwg1"),
            "{m}"
        );
        m
    }

    #[test]
    fn malformed_answers_are_refused_by_name() {
        let peer = format!("public_key={}\n", "11".repeat(32));
        let cases: Vec<(String, &str)> = vec![
            ("errno=0\n".into(), "does not end with an empty line"),
            ("listen_port=1\n\n".into(), "no errno line"),
            ("errno=0\nlisten_port=1\n\n".into(), "line 2 follows errno"),
            ("listen_port\nerrno=0\n\n".into(), "line 1 is not key=value"),
            (
                "listen_port=70000\nerrno=0\n\n".into(),
                "line 1: listen_port=\"70000\" is not a number in range",
            ),
            ("errno=x\n\n".into(), "errno=\"x\" is not a number"),
            ("errno=-1\n\n".into(), "errno 1 (Operation not permitted"),
            (
                "allowed_ip=10.0.0.1/32\nerrno=0\n\n".into(),
                "line 1: allowed_ip before any public_key",
            ),
            (
                "endpoint=1.2.3.4:5\nerrno=0\n\n".into(),
                "line 1: endpoint before any public_key",
            ),
            (
                format!("{peer}listen_port=1\nerrno=0\n\n"),
                "line 2: listen_port after the first public_key",
            ),
            (
                format!("{peer}endpoint=1.2.3.4\nerrno=0\n\n"),
                "line 2: endpoint=\"1.2.3.4\" is not ADDRESS:PORT",
            ),
            (
                format!("{peer}allowed_ip=10.0.0.1/33\nerrno=0\n\n"),
                "line 2: allowed_ip=\"10.0.0.1/33\" is not ADDRESS/PREFIX",
            ),
            (
                format!("{peer}allowed_ip=10.0.0.1\nerrno=0\n\n"),
                "is not ADDRESS/PREFIX",
            ),
            (
                format!("{peer}persistent_keepalive_interval=-1\nerrno=0\n\n"),
                "is not a number in range",
            ),
            (format!("{peer}{peer}errno=0\n\n"), "is listed twice"),
            (
                "public_key=zz\nerrno=0\n\n".into(),
                "line 1: public_key is not valid: expected 64 hex digits",
            ),
        ];
        for (answer, want) in cases {
            let m = refused(&answer);
            assert!(m.contains(want), "{answer:?}: {m}");
        }
    }

    #[test]
    fn a_private_key_is_never_quoted() {
        // A key one digit short, or not hex.
        let short = &PRIVATE_HEX[..63];
        let m = refused(&format!("private_key={short}\nerrno=0\n\n"));
        assert!(
            m.contains("line 1: private_key is not valid: expected 64 hex digits"),
            "{m}"
        );
        assert!(!m.contains(&short[..16]), "{m}");
        let m = refused(&format!("private_key={}g\nerrno=0\n\n", &PRIVATE_HEX[..63]));
        assert!(!m.contains(&PRIVATE_HEX[..16]), "{m}");
        // Nor any line naming one, in any error.
        let m = read_set("vpcwg1", &format!("private_key={PRIVATE_HEX}\n\n")).unwrap_err();
        assert!(!m.message().contains(&PRIVATE_HEX[..16]), "{m}");
        let d = read_get("vpcwg1", CAPTURED).unwrap();
        assert!(!format!("{d:?}").contains(&PRIVATE_HEX[..16]));
    }
}
