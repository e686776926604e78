//! ICMP echo (RFC 792): type `0`, code `1`, checksum `2..4` over the
//! whole message, identifier `4..6`, sequence `6..8`, data.

use super::checksum;

/// IPv4 protocol number of ICMP.
pub const PROTOCOL: u8 = 1;
const ECHO_REQUEST: u8 = 8;
const ECHO_REPLY: u8 = 0;

const TYPE: usize = 0;
const CODE: usize = 1;
const CHECKSUM: std::ops::Range<usize> = 2..4;
const IDENT: std::ops::Range<usize> = 4..6;
const SEQ: std::ops::Range<usize> = 6..8;
/// Length of the echo header.
pub const HEADER: usize = 8;
/// The data every probe carries.
pub const DATA: &[u8; 8] = b"vpc-prob";

fn echo(kind: u8, ident: u16, seq: u16) -> Vec<u8> {
    let mut m = vec![0u8; HEADER];
    m[TYPE] = kind;
    m[IDENT].copy_from_slice(&ident.to_be_bytes());
    m[SEQ].copy_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(DATA);
    let sum = checksum(&[&m]);
    m[CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    m
}

/// An echo request.
pub fn echo_request(ident: u16, seq: u16) -> Vec<u8> {
    echo(ECHO_REQUEST, ident, seq)
}

/// The reply a far end gives to [`echo_request`] (for tests and the
/// fuzzer's seeds).
pub fn echo_reply_of(ident: u16, seq: u16) -> Vec<u8> {
    echo(ECHO_REPLY, ident, seq)
}

/// The identifier and sequence of an echo reply with a correct checksum;
/// `None` for anything else.
pub fn echo_reply(m: &[u8]) -> Option<(u16, u16)> {
    let h = m.get(..HEADER)?;
    if h[TYPE] != ECHO_REPLY || h[CODE] != 0 || checksum(&[m]) != 0 {
        return None;
    }
    Some((
        u16::from_be_bytes([h[4], h[5]]),
        u16::from_be_bytes([h[6], h[7]]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes() {
        let m = echo_request(0x1234, 7);
        assert_eq!(m[..4], [8, 0, 0x2c, 0x52]);
        assert_eq!(m[4..8], [0x12, 0x34, 0, 7]);
        assert_eq!(&m[8..], DATA);
        assert_eq!(checksum(&[&m]), 0);
        assert_eq!(echo_reply(&m), None, "a request is no reply");
    }

    #[test]
    fn reply_reading() {
        let r = echo_reply_of(0xbeef, 0xffff);
        assert_eq!(echo_reply(&r), Some((0xbeef, 0xffff)));
        assert_eq!(echo_reply(&r[..7]), None);
        let mut code = r.clone();
        code[1] = 1;
        assert_eq!(echo_reply(&code), None);
        let mut data = r;
        data[9] ^= 0xff;
        assert_eq!(echo_reply(&data), None, "checksum");
    }
}
