//! Netlink attributes: `nlattr` (length u16, type u16, payload padded to
//! four bytes); nested ones carry `NLA_F_NESTED`. Numbers inside
//! nftables' attributes are big-endian.

/// `NLA_F_NESTED`.
pub const NESTED: u16 = 0x8000;
/// The type bits of `nla_type`.
const TYPE_MASK: u16 = 0x3fff;

/// Builds an attribute list.
#[derive(Debug, Default, Clone)]
pub struct Attrs(Vec<u8>);

impl Attrs {
    /// An empty list.
    pub fn new() -> Attrs {
        Attrs(Vec::new())
    }

    /// Appends attribute `ty` holding `payload`.
    pub fn bytes(mut self, ty: u16, payload: &[u8]) -> Attrs {
        let len = 4 + payload.len();
        self.0.extend_from_slice(&(len as u16).to_ne_bytes());
        self.0.extend_from_slice(&ty.to_ne_bytes());
        self.0.extend_from_slice(payload);
        self.0.resize((self.0.len() + 3) & !3, 0);
        self
    }

    /// Appends a NUL-terminated string.
    pub fn str(self, ty: u16, s: &str) -> Attrs {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.bytes(ty, &b)
    }

    /// Appends a big-endian u32.
    pub fn u32(self, ty: u16, v: u32) -> Attrs {
        self.bytes(ty, &v.to_be_bytes())
    }

    /// Appends a nested list.
    pub fn nest(self, ty: u16, inner: Attrs) -> Attrs {
        self.bytes(ty | NESTED, &inner.0)
    }

    /// The encoded list.
    pub fn done(self) -> Vec<u8> {
        self.0
    }
}

/// Reads an attribute list: `(type, payload)` pairs, flags stripped.
pub fn parse(mut b: &[u8]) -> Result<Vec<(u16, &[u8])>, String> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]) & TYPE_MASK;
        if len < 4 || len > b.len() {
            return Err(format!(
                "netlink attribute {ty} claims {len} bytes of {}",
                b.len()
            ));
        }
        out.push((ty, &b[4..len]));
        b = &b[((len + 3) & !3).min(b.len())..];
    }
    Ok(out)
}

/// The payload of attribute `ty`, if present.
pub fn get<'a>(attrs: &[(u16, &'a [u8])], ty: u16) -> Option<&'a [u8]> {
    attrs.iter().find(|(t, _)| *t == ty).map(|(_, p)| *p)
}

/// Attribute `ty` as a NUL-terminated string.
pub fn get_str<'a>(attrs: &[(u16, &'a [u8])], ty: u16) -> Option<&'a str> {
    let p = get(attrs, ty)?;
    let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
    std::str::from_utf8(&p[..end]).ok()
}

/// Attribute `ty` as a big-endian u32.
pub fn get_u32(attrs: &[(u16, &[u8])], ty: u16) -> Option<u32> {
    Some(u32::from_be_bytes(
        get(attrs, ty)?.get(..4)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_pad_and_parse_back() {
        let b = Attrs::new().str(1, "vpc_t1").u32(2, 0).done();
        assert_eq!(
            b,
            [
                11, 0, 1, 0, b'v', b'p', b'c', b'_', b't', b'1', 0, 0, 8, 0, 2, 0, 0, 0, 0, 0
            ]
        );
        let a = parse(&b).unwrap();
        assert_eq!(get_str(&a, 1), Some("vpc_t1"));
        assert_eq!(get_u32(&a, 2), Some(0));
        assert!(parse(&[9, 0, 1, 0]).is_err());
    }
}
