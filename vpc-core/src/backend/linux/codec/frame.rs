//! Framing of the kernel's answers: a received datagram split into netlink
//! messages ([`NetlinkBuffer`]: checked length, header, payload), each
//! decoded into a [`Reply`], and the replies of one dump ([`Dump`]) or of
//! one batch of requests ([`Acks`]) gathered. Pure: the socket layer only
//! receives the bytes and hands them here.
//!
//! A message is 16 bytes of header in host order (length, type, flags,
//! sequence number, port), then its payload; the next one starts at the
//! length rounded up to 4. Anything that does not fit this is an error that
//! says where and what, never a panic.

use netlink_packet_core::{
    NLMSG_ALIGNTO, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NetlinkBuffer,
    ParseableParametrized,
};
use netlink_packet_route::RouteNetlinkMessage;

use super::malformed;
use crate::error::{Error, ErrorKind, Result};

/// Size of a netlink message header.
pub const HEADER: usize = 16;

/// `RTM_NEWLINK`: an entry of a link dump.
const RTM_NEWLINK: u16 = 16;
/// `RTM_NEWADDR`: an entry of an address dump.
const RTM_NEWADDR: u16 = 20;
/// `RTM_NEWNEIGH`: an entry of a neighbour dump.
const RTM_NEWNEIGH: u16 = 28;

/// One message of a datagram: where it starts, and its bytes, checked to
/// hold a header and the length that header claims.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    /// Offset of the message in its datagram.
    pub at: usize,
    /// The message's bytes (exactly its length, without padding).
    pub buffer: NetlinkBuffer<&'a [u8]>,
}

/// What one message of the kernel's answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A route message: an entry of a link, address or neighbour dump.
    Route(RouteNetlinkMessage),
    /// `NLMSG_ERROR` with code 0: the request was carried out.
    Ack,
    /// `NLMSG_ERROR` with a negative code, or `NLMSG_DONE` of a dump that
    /// failed part way: the request was refused with this errno.
    Refused(i32),
    /// `NLMSG_DONE`: the dump is complete.
    Done,
    /// `NLMSG_NOOP`: nothing.
    Noop,
}

/// A 32-bit code from the start of a control message's payload, as
/// `-errno`; `what` names the message for the error.
fn errno(frame: &Frame<'_>, payload: &[u8], what: &str) -> Result<Option<i32>> {
    let Some(code) = payload.first_chunk::<4>() else {
        return Err(frame.error(format_args!(
            "{what} has {} bytes of payload, its error code needs 4",
            payload.len()
        )));
    };
    match i32::from_ne_bytes(*code) {
        0 => Ok(None),
        c if c < 0 && c != i32::MIN => Ok(Some(-c)),
        c => Err(frame.error(format_args!(
            "{what} carries code {c}, which is not a negated errno"
        ))),
    }
}

impl<'a> Frame<'a> {
    /// The header's sequence number.
    pub fn seq(&self) -> u32 {
        self.buffer.sequence_number()
    }

    /// The header's message type.
    pub fn message_type(&self) -> u16 {
        self.buffer.message_type()
    }

    /// The bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        self.buffer.payload()
    }

    /// The header's flags (`NLM_F_MULTI`, `NLM_F_DUMP_INTR`, …).
    pub fn flags(&self) -> u16 {
        self.buffer.flags()
    }

    /// Decodes a control message (`NLMSG_NOOP`, `NLMSG_ERROR`,
    /// `NLMSG_DONE`; `NLMSG_OVERRUN` is an error); `None` for any other
    /// type, which belongs to the protocol of the socket (route, generic).
    pub fn control(&self) -> Result<Option<Reply>> {
        let payload = self.payload();
        match self.message_type() {
            NLMSG_NOOP => Ok(Some(Reply::Noop)),
            NLMSG_ERROR => Ok(Some(match errno(self, payload, "NLMSG_ERROR")? {
                None => Reply::Ack,
                Some(e) => Reply::Refused(e),
            })),
            // The kernel may send NLMSG_DONE without a payload.
            NLMSG_DONE if payload.is_empty() => Ok(Some(Reply::Done)),
            NLMSG_DONE => Ok(Some(match errno(self, payload, "NLMSG_DONE")? {
                None => Reply::Done,
                Some(e) => Reply::Refused(e),
            })),
            NLMSG_OVERRUN => {
                Err(self.error("NLMSG_OVERRUN: the kernel dropped messages of this answer"))
            }
            _ => Ok(None),
        }
    }

    /// Says what is wrong with this message.
    pub fn error(&self, what: impl std::fmt::Display) -> Error {
        malformed(format_args!(
            "message of type {} ({} bytes at byte {}): {what}",
            self.message_type(),
            self.buffer.length(),
            self.at
        ))
    }

    /// Decodes the message.
    pub fn decode(&self) -> Result<Reply> {
        if let Some(reply) = self.control()? {
            return Ok(reply);
        }
        let payload = self.payload();
        match self.message_type() {
            RTM_NEWLINK => {
                // Only what the decoder reads is parsed (see `trim`).
                let trimmed = super::trim::link(payload);
                let bytes = trimmed.as_deref().unwrap_or(payload);
                RouteNetlinkMessage::parse_with_param(bytes, RTM_NEWLINK)
                    .map(Reply::Route)
                    .map_err(|e| self.error(e))
            }
            t @ (RTM_NEWADDR | RTM_NEWNEIGH) => RouteNetlinkMessage::parse_with_param(payload, t)
                .map(Reply::Route)
                .map_err(|e| self.error(e)),
            t => Err(self.error(format_args!(
                "unknown message type {t}: expected NLMSG_NOOP (1), NLMSG_ERROR (2), \
                 NLMSG_DONE (3), RTM_NEWLINK (16), RTM_NEWADDR (20) or RTM_NEWNEIGH (28)"
            ))),
        }
    }
}

/// The messages of a datagram, in order; see [`frames`].
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    datagram: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.datagram.len();
        let at = self.at;
        let rest = self.datagram.get(at..).filter(|r| !r.is_empty())?;
        // After an error nothing more is read.
        self.at = n;
        if let Err(e) = NetlinkBuffer::new_checked(rest) {
            return Some(Err(explain(rest, at, n, &e)));
        }
        let len = NetlinkBuffer::new(rest).length() as usize;
        let Some(bytes) = rest.get(..len) else {
            return Some(Err(explain(rest, at, n, &"length")));
        };
        let align = usize::from(NLMSG_ALIGNTO);
        // The last message's padding may be left out.
        self.at = at.saturating_add(len.next_multiple_of(align)).min(n);
        Some(Ok(Frame {
            at,
            buffer: NetlinkBuffer::new(bytes),
        }))
    }
}

/// Says what is wrong with the message at `at` whose bytes to the end of the
/// `n`-byte datagram are `rest`, which [`NetlinkBuffer::new_checked`]
/// refused (with `why`, less precise than what is said here).
fn explain(rest: &[u8], at: usize, n: usize, why: &dyn std::fmt::Display) -> Error {
    let len = rest
        .first_chunk::<4>()
        .map(|l| u32::from_ne_bytes(*l) as usize);
    let what = match len {
        _ if rest.len() < HEADER => format!(
            "truncated header: {} bytes left at byte {at} of {n}, a netlink header is {HEADER}",
            rest.len()
        ),
        Some(len) if len < HEADER => format!(
            "message at byte {at} of {n} claims {len} bytes, less than its {HEADER}-byte header"
        ),
        Some(len) if len > rest.len() => format!(
            "message at byte {at} of {n} claims {len} bytes, but only {} are left",
            rest.len()
        ),
        _ => format!("message at byte {at} of {n}: {why}"),
    };
    malformed(what)
}

/// Splits `datagram` into its messages. The iterator yields an error where
/// a message does not fit (a truncated header, a length below the header's
/// size or beyond the datagram) and ends after it.
pub fn frames(datagram: &[u8]) -> Frames<'_> {
    Frames { datagram, at: 0 }
}

/// Every message of `datagram` with its sequence number, decoded; the first
/// error if any message is malformed.
pub fn replies(datagram: &[u8]) -> Result<Vec<(u32, Reply)>> {
    frames(datagram)
        .map(|f| {
            let f = f?;
            Ok((f.seq(), f.decode()?))
        })
        .collect()
}

fn refused(what: &str, errno: i32) -> Error {
    let why = std::io::Error::from_raw_os_error(errno);
    Error::new(ErrorKind::Backend, format!("netlink {what} failed: {why}"))
}

/// The answer to one dump request, gathered over the datagrams it comes in.
#[derive(Debug, Clone)]
pub struct Dump {
    seq: u32,
    entries: Vec<RouteNetlinkMessage>,
    done: bool,
}

impl Dump {
    /// The answer to the dump request sent with sequence number `seq`.
    pub fn new(seq: u32) -> Dump {
        Dump {
            seq,
            entries: Vec::new(),
            done: false,
        }
    }

    /// Reads one datagram of the answer: `Ok(true)` once the dump is
    /// complete (`NLMSG_DONE`). Messages of other requests are skipped, and
    /// so is what follows the end of the dump.
    pub fn read(&mut self, datagram: &[u8]) -> Result<bool> {
        for frame in frames(datagram) {
            let frame = frame?;
            let reply = frame.decode()?;
            if self.done || frame.seq() != self.seq {
                continue;
            }
            match reply {
                Reply::Route(m) => self.entries.push(m),
                Reply::Done => self.done = true,
                Reply::Refused(errno) => return Err(refused("dump", errno)),
                Reply::Ack => {
                    return Err(
                        frame.error("an acknowledgement where the entries of a dump were expected")
                    );
                }
                Reply::Noop => {}
            }
        }
        Ok(self.done)
    }

    /// Whether `NLMSG_DONE` has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The entries read so far, in the kernel's order.
    pub fn into_entries(self) -> Vec<RouteNetlinkMessage> {
        self.entries
    }
}

/// The answers to one send of `count` requests with consecutive sequence
/// numbers from `first_seq`, each acknowledged (`NLM_F_ACK`).
#[derive(Debug, Clone)]
pub struct Acks {
    first_seq: u32,
    answered: Vec<bool>,
    waiting: usize,
    refused: Option<(usize, i32)>,
}

impl Acks {
    /// Waits for the answers to requests `first_seq`, `first_seq + 1`, …
    /// (`count` of them).
    pub fn new(first_seq: u32, count: usize) -> Acks {
        Acks {
            first_seq,
            answered: vec![false; count],
            waiting: count,
            refused: None,
        }
    }

    /// Reads one datagram of answers: `Ok(true)` once every request is
    /// answered. Messages of other requests, and a second answer to the
    /// same request, are skipped.
    pub fn read(&mut self, datagram: &[u8]) -> Result<bool> {
        for frame in frames(datagram) {
            let frame = frame?;
            let reply = frame.decode()?;
            let offset = frame.seq().wrapping_sub(self.first_seq) as usize;
            let Some(answered) = self.answered.get_mut(offset) else {
                continue;
            };
            let errno = match reply {
                Reply::Ack => None,
                Reply::Refused(errno) => Some(errno),
                Reply::Route(_) | Reply::Done | Reply::Noop => continue,
            };
            if std::mem::replace(answered, true) {
                continue;
            }
            self.waiting -= 1;
            if let Some(errno) = errno
                && self.refused.is_none_or(|(first, _)| offset < first)
            {
                self.refused = Some((offset, errno));
            }
        }
        Ok(self.waiting == 0)
    }

    /// The first refused request of the send, as `(offset in the send,
    /// errno)`: the kernel carries out a send's requests in order, so the
    /// ones before it were carried out.
    pub fn refused(&self) -> Option<(usize, i32)> {
        self.refused
    }
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::Parseable;
    use netlink_packet_route::link::{LinkAttribute, LinkMessage};

    use super::*;

    // The byte-exact inputs below are little-endian, as the committed dumps
    // are; the headers built by `message` are in host order.

    /// A message: header (host order) then `payload`, padded to 4.
    fn message(ty: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(HEADER + payload.len()).unwrap();
        let mut b = Vec::new();
        b.extend_from_slice(&len.to_ne_bytes());
        b.extend_from_slice(&ty.to_ne_bytes());
        b.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
        b.extend_from_slice(&seq.to_ne_bytes());
        b.extend_from_slice(&77u32.to_ne_bytes());
        b.extend_from_slice(payload);
        b.resize(b.len().next_multiple_of(4), 0);
        b
    }

    fn ack(seq: u32, code: i32) -> Vec<u8> {
        // Code, then the request's header (capped acknowledgement).
        let mut p = code.to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 16]);
        message(NLMSG_ERROR, seq, &p)
    }

    /// An `RTM_NEWLINK` for `lo`, index 1, as the kernel lays it out.
    fn lo(seq: u32) -> Vec<u8> {
        #[rustfmt::skip]
        let payload = [
            0, 0, 4, 3, // family AF_UNSPEC, pad, type ARPHRD_LOOPBACK (772)
            1, 0, 0, 0, // index 1
            0x49, 0, 1, 0, // flags UP | LOOPBACK | RUNNING | LOWER_UP
            0, 0, 0, 0, // change mask
            7, 0, 3, 0, b'l', b'o', 0, 0, // IFLA_IFNAME "lo"
            8, 0, 4, 0, 0, 0, 1, 0, // IFLA_MTU 65536
        ];
        message(RTM_NEWLINK, seq, &payload)
    }

    fn err(datagram: &[u8]) -> String {
        let e = replies(datagram).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        e.message().to_owned()
    }

    #[test]
    fn a_link_message_then_done() {
        let mut d = lo(1);
        d.extend(message(NLMSG_DONE, 1, &0i32.to_ne_bytes()));
        let r = replies(&d).unwrap();
        assert_eq!(r.len(), 2);
        let (1, Reply::Route(RouteNetlinkMessage::NewLink(l))) = &r[0] else {
            panic!("{r:?}")
        };
        assert_eq!(l.header.index, 1);
        assert!(l.attributes.contains(&LinkAttribute::IfName("lo".into())));
        assert!(l.attributes.contains(&LinkAttribute::Mtu(65536)));
        assert_eq!(r[1], (1, Reply::Done));
    }

    #[test]
    fn control_messages() {
        let mut d = ack(5, 0);
        d.extend(ack(6, -17));
        d.extend(message(NLMSG_DONE, 7, &[]));
        d.extend(message(NLMSG_DONE, 8, &(-4i32).to_ne_bytes()));
        d.extend(message(NLMSG_NOOP, 9, &[]));
        assert_eq!(
            replies(&d).unwrap(),
            vec![
                (5, Reply::Ack),
                (6, Reply::Refused(17)),
                (7, Reply::Done),
                (8, Reply::Refused(4)),
                (9, Reply::Noop),
            ]
        );
    }

    #[test]
    fn an_empty_datagram_holds_nothing() {
        assert_eq!(replies(&[]).unwrap(), vec![]);
    }

    #[test]
    fn the_last_message_may_lack_its_padding() {
        let mut d = ack(1, 0);
        d.extend(message(NLMSG_NOOP, 2, &[9, 9]));
        d.truncate(d.len() - 2);
        assert_eq!(
            replies(&d).unwrap(),
            vec![(1, Reply::Ack), (2, Reply::Noop)]
        );
    }

    #[test]
    fn truncated_header() {
        let e = err(&[20, 0, 0, 0, 2, 0, 0]);
        assert!(
            e.contains("truncated header: 7 bytes left at byte 0 of 7, a netlink header is 16"),
            "{e}"
        );
        // After a whole message.
        let mut d = ack(1, 0);
        d.extend_from_slice(&[0; 8]);
        let e = err(&d);
        assert!(e.contains("8 bytes left at byte 36 of 44"), "{e}");
    }

    #[test]
    fn length_beyond_the_datagram() {
        let mut d = ack(1, 0);
        d[0] = 200;
        let e = err(&d);
        assert!(
            e.contains("message at byte 0 of 36 claims 200 bytes, but only 36 are left"),
            "{e}"
        );
    }

    #[test]
    fn length_below_the_header() {
        for len in [0u8, 4, 15] {
            let mut d = ack(1, 0);
            d[0] = len;
            let e = err(&d);
            assert!(
                e.contains(&format!(
                    "message at byte 0 of 36 claims {len} bytes, less than its 16-byte header"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn unknown_types() {
        let e = err(&message(999, 1, &[0; 4]));
        assert!(
            e.contains("message of type 999 (20 bytes at byte 0): unknown message type 999"),
            "{e}"
        );
        // A route message type the backend never asks for.
        let e = err(&message(24, 1, &[0; 12]));
        assert!(e.contains("unknown message type 24"), "{e}");
        let e = err(&message(NLMSG_OVERRUN, 1, &[]));
        assert!(e.contains("NLMSG_OVERRUN"), "{e}");
    }

    #[test]
    fn malformed_control_messages() {
        let e = err(&message(NLMSG_ERROR, 1, &[0xff, 0xff]));
        assert!(
            e.contains("NLMSG_ERROR has 2 bytes of payload, its error code needs 4"),
            "{e}"
        );
        let e = err(&message(NLMSG_DONE, 1, &[1]));
        assert!(e.contains("NLMSG_DONE has 1 bytes of payload"), "{e}");
        for code in [5, i32::MIN] {
            let e = err(&ack(1, code));
            assert!(
                e.contains(&format!(
                    "carries code {code}, which is not a negated errno"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn malformed_route_payload() {
        // A link header cut short.
        let e = err(&message(RTM_NEWLINK, 1, &[0; 8]));
        assert!(e.contains("message of type 16 (24 bytes at byte 0)"), "{e}");
        // An attribute running past the message.
        let mut d = lo(1);
        d[32] = 60;
        let e = err(&d);
        assert!(e.contains("message of type 16"), "{e}");
    }

    #[test]
    fn errors_stop_the_frames() {
        let mut d = ack(1, 0);
        d.extend_from_slice(&[0; 3]);
        let got: Vec<bool> = frames(&d).map(|f| f.is_ok()).collect();
        assert_eq!(got, vec![true, false]);
    }

    #[test]
    fn a_dump_over_two_datagrams() {
        let mut dump = Dump::new(3);
        // Another request's entry first: skipped.
        let mut first = lo(2);
        first.extend(lo(3));
        assert!(!dump.read(&first).unwrap());
        let mut second = lo(3);
        second.extend(message(NLMSG_DONE, 3, &0i32.to_ne_bytes()));
        second.extend(lo(3));
        assert!(dump.read(&second).unwrap());
        assert!(dump.is_done());
        let entries = dump.into_entries();
        assert_eq!(entries.len(), 2, "what follows DONE is not part of it");
        let RouteNetlinkMessage::NewLink(l) = &entries[0] else {
            panic!("{entries:?}")
        };
        assert_eq!(l, &LinkMessage::parse(&lo(3)[16..]).unwrap());
    }

    #[test]
    fn a_refused_dump() {
        let mut dump = Dump::new(1);
        let e = dump.read(&ack(1, -1)).unwrap_err();
        assert!(e.message().starts_with("netlink dump failed: "), "{e}");
        let mut dump = Dump::new(1);
        let e = dump
            .read(&message(NLMSG_DONE, 1, &(-4i32).to_ne_bytes()))
            .unwrap_err();
        assert!(e.message().starts_with("netlink dump failed: "), "{e}");
        let mut dump = Dump::new(1);
        let e = dump.read(&ack(1, 0)).unwrap_err();
        assert!(e.message().contains("an acknowledgement where"), "{e}");
        // A malformed message fails the dump even if it is another's.
        let mut dump = Dump::new(1);
        let e = dump.read(&message(999, 2, &[])).unwrap_err();
        assert!(e.message().contains("unknown message type 999"), "{e}");
    }

    #[test]
    fn acks_of_a_batch() {
        // Requests 10, 11, 12: 11 and 12 refused, answered out of order,
        // with strays and a repeat.
        let mut acks = Acks::new(10, 3);
        let mut d = ack(12, -22);
        d.extend(ack(9, -1));
        d.extend(ack(13, -1));
        d.extend(ack(12, 0));
        assert!(!acks.read(&d).unwrap());
        assert_eq!(acks.refused(), Some((2, 22)));
        let mut d = ack(10, 0);
        d.extend(message(NLMSG_DONE, 11, &[]));
        d.extend(ack(11, -17));
        assert!(acks.read(&d).unwrap());
        assert_eq!(acks.refused(), Some((1, 17)));
        // More answers change nothing.
        assert!(acks.read(&ack(10, -1)).unwrap());
        assert_eq!(acks.refused(), Some((1, 17)));
    }

    #[test]
    fn sequence_numbers_wrap_in_a_batch() {
        let mut acks = Acks::new(u32::MAX, 2);
        let mut d = ack(u32::MAX, 0);
        d.extend(ack(0, -95));
        assert!(acks.read(&d).unwrap());
        assert_eq!(acks.refused(), Some((1, 95)));
    }

    #[test]
    fn malformed_acks_are_errors() {
        let mut acks = Acks::new(1, 1);
        let e = acks.read(&[1, 2, 3]).unwrap_err();
        assert!(e.message().contains("truncated header"), "{e}");
    }
}
