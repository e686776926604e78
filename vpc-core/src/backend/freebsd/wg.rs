//! wg(4) on FreeBSD (13.2 and later): what the executor runs besides the
//! interface ioctls. The module is loaded with `kldload -n if_wg`; the
//! configuration goes in whole with `wg setconf <name> /dev/stdin` (the
//! private key on that pipe only) and comes back with `wg show <name>
//! dump`, read by [`parse_dump`] (its private and preshared keys are
//! skipped, never kept or quoted). wg(8) is wireguard-tools (`pkg install
//! wireguard-tools`): it speaks wg(4)'s nvlist ioctls, which vpc leaves to
//! it.
//!
//! Pure; the dump parser is tested on output wg(8) wrote
//! (`testdata/wg-show-dump-*.txt`, captured from wireguard-go interfaces
//! in throwaway network namespaces: the format is wg(8)'s own, the same
//! over every kernel).

use std::net::SocketAddr;

use super::program::{Input, Program, Secret, wipe};
use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::IfAddr;
use crate::model::wgkey::PublicKey;
use crate::plan::{WgDevice, WgPeer};

/// The kernel module of wg(4).
pub const MODULE: &str = "if_wg";

/// Loads wg(4) unless it is loaded (`-n`). Not required to succeed: a
/// kernel with wg(4) built in has no module file, and the create that
/// follows says whether the cloner exists.
pub fn load_module() -> Program {
    let mut p = Program::new(
        format!("load the WireGuard kernel module {MODULE}"),
        "kldload",
        &["-n", MODULE],
    );
    p.required = false;
    p
}

/// Gives `device` its whole configuration: key, port and peers, the ones
/// it had replaced (`wg setconf`). The private key is on standard input
/// only.
pub fn setconf(device: &WgDevice) -> Result<Program> {
    let key = device.private_key.as_ref().ok_or_else(|| {
        Error::new(
            ErrorKind::Backend,
            format!(
                "{} is given no private key: this host's WireGuard key is missing from the \
                 state directory",
                device.name
            ),
        )
    })?;
    let mut text = key.to_file_text();
    let secret = text.trim_end().to_owned();
    wipe(&mut text);
    let lines = crate::backend::dryrun::wg_config(device, &secret);
    let mut p = Program::new(
        format!("configure WireGuard interface {}", device.name),
        "wg",
        &["setconf", &device.name, "/dev/stdin"],
    );
    p.input = Input::Secret(Secret::new(lines, secret));
    Ok(p)
}

/// Reads `name`'s configuration.
pub fn show_dump(name: &str) -> Program {
    Program::new(
        format!("read the configuration of WireGuard interface {name}"),
        "wg",
        &["show", name, "dump"],
    )
}

fn bad(name: &str, line: usize, detail: &str) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("wg show {name} dump, line {line}: {detail}; expected wg(8)'s dump format"),
    )
}

/// `name`'s configuration from `wg show <name> dump`: a line of the
/// interface's tab-separated private key, public key, listen port and
/// fwmark, then one line per peer (public key, preshared key, endpoint,
/// allowed IPs, latest handshake, received and sent bytes, persistent
/// keepalive). `(none)` and `off` stand for nothing. Keys that are
/// secrets are neither kept nor quoted in errors; the private key is
/// [`WgDevice::private_key`]'s business, so it stays `None`.
pub fn parse_dump(name: &str, text: &str) -> Result<WgDevice> {
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let first = lines
        .next()
        .ok_or_else(|| bad(name, 1, "nothing was printed"))?;
    let fields: Vec<&str> = first.split('\t').collect();
    let [_private, public, port, _fwmark] = fields.as_slice() else {
        return Err(bad(name, 1, &format!("{} fields, not 4", fields.len())));
    };
    let public_key = match *public {
        "(none)" => None,
        k => Some(
            PublicKey::parse("the interface's public key", k)
                .map_err(|e| bad(name, 1, e.message()))?,
        ),
    };
    let listen_port = port
        .parse()
        .map_err(|_| bad(name, 1, &format!("listen port {port:?} is not a port")))?;
    let mut peers = Vec::new();
    for (i, line) in lines.enumerate() {
        let at = i + 2;
        let fields: Vec<&str> = line.split('\t').collect();
        let [
            public,
            _preshared,
            endpoint,
            allowed,
            _handshake,
            _rx,
            _tx,
            keepalive,
        ] = fields.as_slice()
        else {
            return Err(bad(name, at, &format!("{} fields, not 8", fields.len())));
        };
        let public_key = PublicKey::parse("a peer's public key", public)
            .map_err(|e| bad(name, at, e.message()))?;
        let endpoint = match *endpoint {
            "(none)" => None,
            e => Some(e.parse::<SocketAddr>().map_err(|_| {
                bad(
                    name,
                    at,
                    &format!("endpoint {e:?} is not an address and port"),
                )
            })?),
        };
        let allowed_ips = match *allowed {
            "(none)" => Vec::new(),
            list => list
                .split(',')
                .map(|a| IfAddr::parse(a, "allowed IP").map_err(|e| bad(name, at, e.message())))
                .collect::<Result<Vec<_>>>()?,
        };
        let keepalive = match *keepalive {
            "off" => 0,
            k => k
                .parse()
                .map_err(|_| bad(name, at, &format!("keepalive {k:?} is not a number")))?,
        };
        peers.push(WgPeer {
            public_key,
            endpoint,
            allowed_ips,
            keepalive,
        });
    }
    peers.sort_by_key(|p| p.public_key);
    Ok(WgDevice {
        name: name.to_owned(),
        listen_port,
        private_key: None,
        public_key,
        peers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::wgkey::PrivateKey;

    const TWO_PEERS: &str = include_str!("testdata/wg-show-dump-two-peers.txt");
    const LEARNED: &str = include_str!("testdata/wg-show-dump-learned.txt");
    const FRESH: &str = include_str!("testdata/wg-show-dump-fresh.txt");
    const NO_PEERS: &str = include_str!("testdata/wg-show-dump-no-peers.txt");

    fn key(text: &str) -> PublicKey {
        text.parse().unwrap()
    }

    fn addr(text: &str) -> IfAddr {
        IfAddr::parse(text, "t").unwrap()
    }

    #[test]
    fn dumps_wg_wrote_are_read() {
        // vpcwg4096 as `wg setconf` left it, then after a handshake.
        let d = parse_dump("vpcwg4096", TWO_PEERS).unwrap();
        assert_eq!(
            d,
            WgDevice {
                name: "vpcwg4096".into(),
                listen_port: 51820,
                private_key: None,
                public_key: Some(key("fmB3dk2BdIBzDgVWijAgSKsNmyjF2/YRGtf6vzns3hE=")),
                // Ascending by key bytes (`Cv+d…` is 0x0a…, `8OQU…` 0xf0…),
                // as the planner orders them.
                peers: vec![
                    WgPeer {
                        public_key: key("Cv+d9Kxwg/W9lPDrZBtLNEQNZZo3mSLLlrg6PTK9Vi8="),
                        endpoint: Some("[fd00:1::2]:51820".parse().unwrap()),
                        allowed_ips: vec![addr("10.99.0.2/32"), addr("fd00:99::2/128")],
                        keepalive: 0,
                    },
                    WgPeer {
                        public_key: key("8OQUbHD0fRd0kl1oveyWTJA3NQuHi4Q69dvNNAWNqlw="),
                        endpoint: Some("198.51.100.7:51999".parse().unwrap()),
                        allowed_ips: vec![addr("10.99.0.3/32")],
                        keepalive: 25,
                    },
                ],
            }
        );
        // A peer configured without an endpoint, after it came to us:
        // wg(4) reports where it came from.
        let d = parse_dump("vpcwg8192", LEARNED).unwrap();
        assert_eq!(d.peers.len(), 1);
        assert_eq!(
            d.peers[0].endpoint,
            Some("[fd00:1::1]:51820".parse().unwrap())
        );
        assert_eq!(d.peers[0].keepalive, 25);
        let d = parse_dump("vpcwg4096", FRESH).unwrap();
        let peer = |k: &str| d.peers.iter().find(|p| p.public_key == key(k)).unwrap();
        let with = peer("GJLvynbEfj4LRe1hiEU8fYPpPVQM+f5KQJ70lXLtqx4=");
        assert_eq!(with.endpoint, Some("192.0.2.2:51820".parse().unwrap()));
        assert_eq!(with.keepalive, 0);
        let without = peer("DML7Kpi/67euBrfBNMJSohPwlBbHk2twBCAM9fek1Hs=");
        assert_eq!(without.endpoint, None);
        assert_eq!(without.allowed_ips, [addr("fd00:99::3/128")]);
        assert_eq!(without.keepalive, 25);
        let d = parse_dump("vpcwg4096", NO_PEERS).unwrap();
        assert!(d.peers.is_empty());
        assert_eq!(d.listen_port, 52897);
    }

    #[test]
    fn secrets_are_not_quoted() {
        let private = TWO_PEERS.split('\t').next().unwrap();
        // A truncated first line, a peer line cut short.
        let first: Vec<&str> = TWO_PEERS.lines().next().unwrap().split('\t').collect();
        for broken in [
            format!("{}\t{}\n", first[0], first[1]),
            format!("{}\t{}\tnotaport\toff\n", first[0], first[1]),
            format!("{}\tnot a key\t51820\toff\n", first[0]),
            format!(
                "{}{private}\t(none)\n",
                TWO_PEERS.lines().next().unwrap().to_owned() + "\n"
            ),
        ] {
            let e = parse_dump("vpcwg4096", &broken).unwrap_err();
            assert!(!e.message().contains(private), "{e}");
        }
        assert!(parse_dump("vpcwg4096", "").is_err());
        // A peer line with a preshared key in its second field: never quoted.
        let psk = "4NKxA1bPaBhXsXIuVK7EyxVdPwb41kVFRzP8jEXfS4E=";
        let line = format!(
            "{}\n{}\t{psk}\tbogus\t(none)\t0\t0\t0\toff\n",
            TWO_PEERS.lines().next().unwrap(),
            "Cv+d9Kxwg/W9lPDrZBtLNEQNZZo3mSLLlrg6PTK9Vi8="
        );
        let e = parse_dump("vpcwg4096", &line).unwrap_err();
        assert!(!e.message().contains(psk), "{e}");
    }

    #[test]
    fn setconf_puts_the_key_on_the_pipe_only() {
        let private = PrivateKey::parse("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=").unwrap();
        let mut device = parse_dump("vpcwg4096", TWO_PEERS).unwrap();
        assert!(setconf(&device).is_err(), "no key, no run");
        device.private_key = Some(private.clone());
        let p = setconf(&device).unwrap();
        assert_eq!(p.command_line(), "wg setconf vpcwg4096 /dev/stdin");
        assert!(p.required);
        let b64 = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
        assert!(!p.command_line().contains(b64));
        assert!(!format!("{p:?}").contains(b64));
        let Input::Secret(s) = &p.input else {
            panic!("{:?}", p.input)
        };
        assert_eq!(
            s.lines(),
            [
                "[Interface]",
                &format!("PrivateKey = {b64}"),
                "ListenPort = 51820",
                "[Peer]",
                "PublicKey = Cv+d9Kxwg/W9lPDrZBtLNEQNZZo3mSLLlrg6PTK9Vi8=",
                "Endpoint = [fd00:1::2]:51820",
                "AllowedIPs = 10.99.0.2/32, fd00:99::2/128",
                "[Peer]",
                "PublicKey = 8OQUbHD0fRd0kl1oveyWTJA3NQuHi4Q69dvNNAWNqlw=",
                "Endpoint = 198.51.100.7:51999",
                "AllowedIPs = 10.99.0.3/32",
                "PersistentKeepalive = 25",
            ]
        );
        let m = load_module();
        assert_eq!(m.command_line(), "kldload -n if_wg");
        assert!(!m.required);
        assert_eq!(
            show_dump("vpcwg4096").command_line(),
            "wg show vpcwg4096 dump"
        );
    }
}
