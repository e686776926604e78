//! `vpc mode=init_peers`: the peer map in CBSD's text format, or as JSON,
//! written link by link (a 1000-member map is half a million links).

use std::io::{self, Write};
use std::net::IpAddr;

use vpc_core::model::addr::IfAddr;
use vpc_core::model::name::NODE_NAME_MAX;
use vpc_core::ops::run;
use vpc_core::report::PeerMap;
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::{self, Out, Reply};

pub fn init_peers(store: &Store, req: &request::InitPeers) -> Outcome {
    let spec = run::spec(store, &req.vpc)?;
    // Every check of the map is made here, before the first byte is out;
    // the reply makes the map again, from the spec it owns.
    PeerMap::of(&spec)?;
    Ok(Reply::writing(move |out, json| {
        let map = PeerMap::of(&spec).map_err(io::Error::other)?;
        if json {
            output::document(out, &map)
        } else {
            text(&map, out)
        }
    }))
}

/// The map as CBSD prints it: the members, the peer network, then both
/// directions of every link.
pub(super) fn text(map: &PeerMap<'_>, out: &mut Out<'_>) -> io::Result<()> {
    out.write_all(b"nodes: ")?;
    for (i, n) in map.nodes.iter().enumerate() {
        if i > 0 {
            out.write_all(b" ")?;
        }
        out.write_all(n.as_str().as_bytes())?;
    }
    writeln!(out, "\npeer_network: {}", map.peer_network)?;
    let mut lines = Lines::new();
    for link in map.links.iter().map_err(io::Error::other)? {
        let link = link.map_err(io::Error::other)?;
        let [a, b] = &link.ends;
        let (a_name, b_name) = (a.node.as_str().as_bytes(), b.node.as_str().as_bytes());
        // CBSD's spacing, kept so that habits and scripts keep working:
        // "A -> B , ep: ADDR  (VX ID: VNI)", "  B -> A, ep: ADDR  (VX ID: VNI)".
        lines.len = 0;
        lines.put(a_name);
        lines.put(b" -> ");
        lines.put(b_name);
        lines.put(b" , ep: ");
        lines.if_addr(&a.link_addr);
        lines.put(b"  (VX ID: ");
        lines.decimal(link.vni);
        lines.put(b")\n  ");
        lines.put(b_name);
        lines.put(b" -> ");
        lines.put(a_name);
        lines.put(b", ep: ");
        lines.if_addr(&b.link_addr);
        lines.put(b"  (VX ID: ");
        lines.decimal(link.vni);
        lines.put(b")\n");
        out.write_all(lines.made())?;
    }
    if let Some(e) = &map.encryption {
        for line in e.lines() {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// The longest a link's two lines can be: four names, two link
/// addresses (IPv6 with its prefix: at most 43 bytes), two VNIs (at most 8
/// digits) and CBSD's words (36 bytes).
const LINES_MAX: usize = 4 * NODE_NAME_MAX + 2 * 43 + 2 * 8 + 36;

/// One link's two lines, made in place and written at once. Writing them
/// piece by piece (or through `format!`) costs more than making the link:
/// a 1000-member map is a million lines.
struct Lines {
    buf: [u8; LINES_MAX],
    len: usize,
}

impl Lines {
    fn new() -> Lines {
        Lines {
            buf: [0; LINES_MAX],
            len: 0,
        }
    }

    fn made(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
    }

    /// `n` in decimal, as `Display` writes it, each digit in its place.
    fn decimal(&mut self, mut n: u32) {
        let end = self.len + n.checked_ilog10().unwrap_or(0) as usize + 1;
        for i in (self.len..end).rev() {
            self.buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.len = end;
    }

    /// `a` as its `Display` writes it (`10.100.0.1/30`); an IPv4 address
    /// digit by digit.
    fn if_addr(&mut self, a: &IfAddr) {
        let IpAddr::V4(v4) = a.addr else {
            let mut rest = io::Cursor::new(&mut self.buf[self.len..]);
            // LINES_MAX leaves room for the longest IPv6 address.
            let _ = write!(rest, "{a}");
            self.len += rest.position() as usize;
            return;
        };
        let [o1, o2, o3, o4] = v4.octets();
        self.decimal(u32::from(o1));
        self.put(b".");
        self.decimal(u32::from(o2));
        self.put(b".");
        self.decimal(u32::from(o3));
        self.put(b".");
        self.decimal(u32::from(o4));
        self.put(b"/");
        self.decimal(u32::from(a.prefix));
    }
}
