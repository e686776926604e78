//! nftables over nfnetlink, pure: the members-only rule set of one VPC as
//! the bytes of one batch, and the kernel's dumps read back into a
//! [`Firewall`]. No socket here (that is `super::sys`), so every byte is
//! tested against what `nft` itself sends (`testdata/`, captured with
//! `strace -e write=3 nft -f …` in a throwaway namespace).
//!
//! One wire object, one file: [`attr`] (netlink attributes), [`table`],
//! [`chain`], [`set`] (sets and their elements), [`expr`] (rule
//! expressions), [`rule`]; [`ruleset`] puts them together.

pub mod attr;
pub mod chain;
pub mod expr;
pub mod rule;
pub mod ruleset;
pub mod set;
pub mod table;

/// `NFNL_SUBSYS_NFTABLES`.
pub const SUBSYS: u16 = 10;
/// `NFPROTO_INET`: tables of family `inet` see IPv4 and IPv6.
pub const FAMILY_INET: u8 = 1;
/// `NFNL_MSG_BATCH_BEGIN`.
pub const BATCH_BEGIN: u16 = 0x10;
/// `NFNL_MSG_BATCH_END`.
pub const BATCH_END: u16 = 0x11;

/// `NLM_F_REQUEST`.
pub const F_REQUEST: u16 = 0x1;
/// `NLM_F_ACK`.
pub const F_ACK: u16 = 0x4;
/// `NLM_F_DUMP`.
pub const F_DUMP: u16 = 0x300;
/// `NLM_F_APPEND`.
pub const F_APPEND: u16 = 0x800;
/// `NLM_F_CREATE`.
pub const F_CREATE: u16 = 0x400;
/// `NLMSG_ERROR`.
pub const MSG_ERROR: u16 = 2;
/// `NLMSG_DONE`.
pub const MSG_DONE: u16 = 3;

/// The `NFT_MSG_*` message kinds vpc sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Kind {
    /// `NFT_MSG_NEWTABLE`.
    NewTable = 0,
    /// `NFT_MSG_GETTABLE`.
    GetTable = 1,
    /// `NFT_MSG_DELTABLE`.
    DelTable = 2,
    /// `NFT_MSG_NEWCHAIN`.
    NewChain = 3,
    /// `NFT_MSG_GETCHAIN`.
    GetChain = 4,
    /// `NFT_MSG_NEWRULE`.
    NewRule = 6,
    /// `NFT_MSG_GETRULE`.
    GetRule = 7,
    /// `NFT_MSG_NEWSET`.
    NewSet = 9,
    /// `NFT_MSG_GETSET`.
    GetSet = 10,
    /// `NFT_MSG_NEWSETELEM`.
    NewSetElem = 12,
    /// `NFT_MSG_GETSETELEM`.
    GetSetElem = 13,
}

impl Kind {
    /// The netlink message type: subsystem in the high byte.
    pub fn msg_type(self) -> u16 {
        (SUBSYS << 8) | self as u16
    }
}

/// One nfnetlink message before framing: kind, flags beyond
/// `NLM_F_REQUEST`, family and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message type (`NFT_MSG_*` in the subsystem's byte, or a batch
    /// marker).
    pub msg_type: u16,
    /// Flags added to `NLM_F_REQUEST`.
    pub flags: u16,
    /// `nfgen_family`.
    pub family: u8,
    /// `res_id` (the subsystem, for batch markers; else 0).
    pub res_id: u16,
    /// The attributes, already encoded.
    pub attrs: Vec<u8>,
}

impl Message {
    /// A message of `kind` on the `inet` family.
    pub fn new(kind: Kind, flags: u16, attrs: Vec<u8>) -> Message {
        Message {
            msg_type: kind.msg_type(),
            flags,
            family: FAMILY_INET,
            res_id: 0,
            attrs,
        }
    }

    /// Appends the framed message with sequence number `seq` to `out`:
    /// `nlmsghdr` (bytes 0..16), `nfgenmsg` (16..20), attributes.
    pub fn write(&self, seq: u32, out: &mut Vec<u8>) {
        let len = 20 + self.attrs.len();
        out.extend_from_slice(&(len as u32).to_ne_bytes());
        out.extend_from_slice(&self.msg_type.to_ne_bytes());
        out.extend_from_slice(&(F_REQUEST | self.flags).to_ne_bytes());
        out.extend_from_slice(&seq.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.push(self.family);
        out.push(0); // NFNETLINK_V0
        out.extend_from_slice(&self.res_id.to_be_bytes());
        out.extend_from_slice(&self.attrs);
    }
}

/// The bytes of one transaction: `messages` between a batch begin and a
/// batch end, numbered from `seq`. The kernel makes all of them or none.
/// With `ack`, every message asks for an answer, so the sender learns
/// which one was refused and when the batch is done.
pub fn batch(messages: &[Message], seq: u32, ack: bool) -> Vec<u8> {
    let marker = |msg_type| Message {
        msg_type,
        flags: 0,
        family: 0,
        res_id: SUBSYS,
        attrs: Vec::new(),
    };
    let mut out = Vec::new();
    marker(BATCH_BEGIN).write(seq, &mut out);
    for (i, m) in messages.iter().enumerate() {
        let mut m = m.clone();
        if ack {
            m.flags |= F_ACK;
        }
        m.write(seq.wrapping_add(1 + i as u32), &mut out);
    }
    marker(BATCH_END).write(seq.wrapping_add(1 + messages.len() as u32), &mut out);
    out
}

/// One answer of the kernel: its type, sequence number and body after
/// the `nlmsghdr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<'a> {
    /// `nlmsg_type`.
    pub msg_type: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// What follows the header.
    pub body: &'a [u8],
}

impl Reply<'_> {
    /// For `NLMSG_ERROR`: the errno (0 for an acknowledgement) and the
    /// sequence number of the request it answers.
    pub fn error(&self) -> Option<i32> {
        if self.msg_type != MSG_ERROR {
            return None;
        }
        let code = self.body.get(..4)?;
        Some(-i32::from_ne_bytes(code.try_into().ok()?))
    }

    /// For an nftables object: its attributes (after the `nfgenmsg`).
    pub fn attrs(&self) -> &[u8] {
        self.body.get(4..).unwrap_or(&[])
    }
}

/// Splits one datagram into the kernel's answers.
pub fn replies(datagram: &[u8]) -> Result<Vec<Reply<'_>>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 16 <= datagram.len() {
        let h = &datagram[at..at + 16];
        let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len < 16 || at + len > datagram.len() {
            return Err(format!(
                "netfilter answer at byte {at} claims {len} bytes of {}",
                datagram.len() - at
            ));
        }
        out.push(Reply {
            msg_type: u16::from_ne_bytes([h[4], h[5]]),
            seq: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
            body: &datagram[at + 16..at + len],
        });
        at += (len + 3) & !3;
    }
    Ok(out)
}

/// A dump request for `kind` on the `inet` family, with `attrs` as
/// filter (a table, a set).
pub fn dump_request(kind: Kind, attrs: Vec<u8>, seq: u32) -> Vec<u8> {
    let mut out = Vec::new();
    Message::new(kind, F_DUMP, attrs).write(seq, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_markers_carry_the_subsystem() {
        let bytes = batch(&[], 7, false);
        assert_eq!(
            bytes,
            [
                20, 0, 0, 0, 0x10, 0, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, //
                20, 0, 0, 0, 0x11, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10,
            ]
        );
    }

    #[test]
    fn replies_split_and_read_errors() {
        let mut d = Vec::new();
        for (seq, errno) in [(1u32, 0i32), (2, -17)] {
            d.extend_from_slice(&36u32.to_ne_bytes());
            d.extend_from_slice(&MSG_ERROR.to_ne_bytes());
            d.extend_from_slice(&0u16.to_ne_bytes());
            d.extend_from_slice(&seq.to_ne_bytes());
            d.extend_from_slice(&0u32.to_ne_bytes());
            d.extend_from_slice(&errno.to_ne_bytes());
            d.extend_from_slice(&[0; 16]);
        }
        let r = replies(&d).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].seq, r[0].error()), (1, Some(0)));
        assert_eq!((r[1].seq, r[1].error()), (2, Some(17)));
        assert!(replies(&d[..20]).is_err());
    }
}
