//! Writers for the one report that grows with the square of the members,
//! the peer map (half a million links at 1000 members): its JSON document
//! link by link, the same bytes `report::to_json` makes of it, and the
//! line buffer its text is made in. At that size the formatting machinery
//! and serde_json's key escaping cost more than making the links, so each
//! link is made in place, digit by digit, and written at once.

use std::io::{self, Write};
use std::net::IpAddr;

use crate::model::addr::IfAddr;
use crate::model::mesh::{End, Link, VXLAN_PREFIX};
use crate::report::{self, PeerMap};

/// Room for one link made as text or JSON: four names of at most
/// [`NODE_NAME_MAX`](crate::model::name::NODE_NAME_MAX) bytes, the longest
/// addresses and numbers, and the words around them, with room to spare.
const LINE_MAX: usize = 8192;

/// One link's bytes, made in place and written at once.
#[derive(Debug)]
pub struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Default for Line {
    fn default() -> Line {
        Line {
            buf: [0; LINE_MAX],
            len: 0,
        }
    }
}

impl Line {
    /// Starts the next line.
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// What was made since [`Line::clear`].
    #[inline]
    pub fn made(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Adds `bytes`.
    #[inline]
    pub fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
    }

    /// Adds `n` in decimal, as `Display` writes it, each digit in its
    /// place (a copy of a digit string per number costs more).
    #[inline]
    pub fn decimal(&mut self, mut n: u64) {
        let end = self.len + n.checked_ilog10().unwrap_or(0) as usize + 1;
        for i in (self.len..end).rev() {
            self.buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.len = end;
    }

    /// Adds `addr` as its `Display` writes it; IPv4 digit by digit.
    #[inline]
    pub fn ip(&mut self, addr: IpAddr) {
        match addr {
            IpAddr::V4(v4) => {
                let [a, b, c, d] = v4.octets();
                self.decimal(u64::from(a));
                self.put(b".");
                self.decimal(u64::from(b));
                self.put(b".");
                self.decimal(u64::from(c));
                self.put(b".");
                self.decimal(u64::from(d));
            }
            IpAddr::V6(v6) => {
                let mut rest = io::Cursor::new(&mut self.buf[self.len..]);
                // LINE_MAX leaves room for the longest IPv6 address.
                let _ = write!(rest, "{v6}");
                self.len += rest.position() as usize;
            }
        }
    }

    /// Adds `a` as its `Display` writes it (`10.100.0.1/30`).
    #[inline]
    pub fn if_addr(&mut self, a: &IfAddr) {
        self.ip(a.addr);
        self.put(b"/");
        self.decimal(u64::from(a.prefix));
    }
}

/// Writes `map`'s JSON document, the bytes [`report::to_json`] makes of
/// it (serde_json's pretty form), to `out` link by link.
pub fn peer_map_json(map: &PeerMap<'_>, out: &mut impl Write) -> io::Result<()> {
    // All but the links is serde_json's own rendering, of the map without
    // links: it ends with `"links": []` and the closing brace.
    let head = report::to_json(&map.without_links()).map_err(io::Error::other)?;
    let Some(spec) = map.links.spec().filter(|_| !map.links.is_empty()) else {
        out.write_all(head.as_bytes())?;
        return Ok(());
    };
    let open = head
        .strip_suffix("[]\n}")
        .ok_or_else(|| io::Error::other("the peer map's links are not its last field"))?;
    out.write_all(open.as_bytes())?;
    out.write_all(b"[")?;
    let mut line = Line::default();
    for (i, link) in spec.links().map_err(io::Error::other)?.enumerate() {
        let link = link.map_err(io::Error::other)?;
        line.clear();
        line.put(if i == 0 { b"\n" } else { b",\n" });
        link_json(&mut line, &link);
        out.write_all(line.made())?;
    }
    out.write_all(b"\n  ]\n}")
}

/// One link as an element of the map's `links`, indented as serde_json
/// indents it there (the fields of `Link`'s `Serialize`, in its order).
fn link_json(line: &mut Line, link: &Link<'_>) {
    line.put(b"    {\n      \"pair\": ");
    line.decimal(link.pair);
    line.put(b",\n      \"vni\": ");
    line.decimal(u64::from(link.vni));
    line.put(b",\n      \"interface\": \"");
    line.put(VXLAN_PREFIX.as_bytes());
    line.decimal(u64::from(link.vni));
    line.put(b"\",\n      \"family\": \"");
    line.put(link.family.as_str().as_bytes());
    line.put(b"\",\n      \"ends\": [\n");
    end_json(line, &link.ends[0]);
    line.put(b",\n");
    end_json(line, &link.ends[1]);
    line.put(b"\n      ]\n    }");
}

/// One end of a link, inside `ends`.
fn end_json(line: &mut Line, end: &End<'_>) {
    line.put(b"        {\n          \"slot\": ");
    line.decimal(end.slot as u64);
    line.put(b",\n          \"node\": ");
    json_str(line, end.node.as_str());
    line.put(b",\n          \"underlay\": \"");
    line.ip(end.underlay);
    line.put(b"\",\n          \"link_addr\": \"");
    line.if_addr(&end.link_addr);
    line.put(b"\"\n        }");
}

/// `s` as a JSON string, escaped as serde_json escapes it. A node name
/// never needs escaping (letters, digits, '.', '-', '_'); the general
/// case is serde_json's.
fn json_str(line: &mut Line, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        line.put(b"\"");
        line.put(s.as_bytes());
        line.put(b"\"");
    } else {
        // Serializing a string cannot fail; escaped, two names of
        // NODE_NAME_MAX bytes still fit in LINE_MAX.
        line.put(serde_json::to_string(s).unwrap_or_default().as_bytes());
    }
}
