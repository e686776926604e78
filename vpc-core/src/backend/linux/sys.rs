//! The netlink socket: dumps, and batches of requests sent with one
//! `send(2)` each and answered by acknowledgements read back in bulk.

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use super::codec::Mode;
use super::codec::frame::{Acks, Dump};
use super::nft;
use crate::error::{Error, ErrorKind, Result};

/// Most bytes of requests in one `send(2)`: well under the socket's send
/// buffer, so a batch is never refused for its size.
const BATCH_BYTES: usize = 32 * 1024;

/// Most requests in one `send(2)`. Every acknowledgement is charged to the
/// socket's receive buffer at the size of a whole socket buffer (about a
/// kilobyte, whatever its length), so a batch is kept well below what the
/// default receive buffer (208 KiB) holds, or the kernel drops answers
/// (ENOBUFS).
const BATCH_MESSAGES: usize = 96;

/// Receive buffer: a dump datagram is at most a few pages.
const RECV_BYTES: usize = 256 * 1024;

fn os_error(what: &str, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Backend, format!("netlink {what} failed: {e}"))
}

/// A netlink socket of `protocol`, bound and connected to the kernel.
pub(super) fn connected(protocol: isize) -> Result<Socket> {
    let mut socket = Socket::new(protocol).map_err(|e| os_error("socket", &e))?;
    socket.bind_auto().map_err(|e| os_error("bind", &e))?;
    socket
        .connect(&SocketAddr::new(0, 0))
        .map_err(|e| os_error("connect", &e))?;
    // Acknowledgements without a copy of the request: smaller answers.
    socket
        .set_cap_ack(true)
        .map_err(|e| os_error("setsockopt", &e))?;
    Ok(socket)
}

/// A route netlink socket.
pub(super) struct Netlink {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl Netlink {
    /// Opens and binds a socket.
    pub(super) fn open() -> Result<Netlink> {
        Ok(Netlink {
            socket: connected(NETLINK_ROUTE)?,
            seq: 0,
            buf: vec![0; RECV_BYTES],
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn serialize(&mut self, flags: u16, msg: RouteNetlinkMessage, out: &mut Vec<u8>) -> u32 {
        let seq = self.next_seq();
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = seq;
        let mut m = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(msg));
        m.finalize();
        let at = out.len();
        out.resize(at + m.buffer_len(), 0);
        m.serialize(&mut out[at..]);
        seq
    }

    /// Reads one datagram; the codec splits and reads it.
    fn receive(&mut self) -> Result<&[u8]> {
        let n = self
            .socket
            .recv(&mut &mut self.buf[..], 0)
            .map_err(|e| os_error("recv", &e))?;
        self.buf.get(..n).ok_or_else(|| {
            Error::new(
                ErrorKind::Backend,
                format!(
                    "netlink answer of {n} bytes larger than the {}-byte buffer",
                    self.buf.len()
                ),
            )
        })
    }

    /// Sends a dump request and collects every answer.
    pub(super) fn dump(
        &mut self,
        request: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        let mut bytes = Vec::new();
        let seq = self.serialize(NLM_F_REQUEST | NLM_F_DUMP, request, &mut bytes);
        self.socket
            .send(&bytes, 0)
            .map_err(|e| os_error("send", &e))?;
        let mut dump = Dump::new(seq);
        while !dump.read(self.receive()?)? {}
        Ok(dump.into_entries())
    }

    /// Sends `requests` in as few `send(2)` calls as the batch size allows,
    /// in order, and waits for every acknowledgement. The kernel carries
    /// out the messages of one send one after the other; the first refused
    /// one is returned as `(position, errno)`, and nothing after its send
    /// is sent.
    pub(super) fn batch(
        &mut self,
        requests: Vec<(Mode, RouteNetlinkMessage)>,
    ) -> Result<Option<(usize, i32)>> {
        let mut requests = requests.into_iter().enumerate().peekable();
        while requests.peek().is_some() {
            let mut bytes = Vec::new();
            // Sequence numbers of one send are consecutive, as are positions.
            let mut seqs: Vec<(u32, usize)> = Vec::new();
            while let Some((position, (mode, msg))) =
                requests.next_if(|_| bytes.len() < BATCH_BYTES && seqs.len() < BATCH_MESSAGES)
            {
                let flags = NLM_F_REQUEST
                    | NLM_F_ACK
                    | match mode {
                        Mode::Plain => 0,
                        Mode::Create => NLM_F_CREATE | NLM_F_EXCL,
                    };
                let seq = self.serialize(flags, msg, &mut bytes);
                seqs.push((seq, position));
            }
            self.socket
                .send(&bytes, 0)
                .map_err(|e| os_error("send", &e))?;
            let (seq0, position0) = seqs[0];
            let mut acks = Acks::new(seq0, seqs.len());
            while !acks.read(self.receive()?)? {}
            if let Some((offset, errno)) = acks.refused() {
                return Ok(Some((position0 + offset, errno)));
            }
        }
        Ok(None)
    }
}

/// A netfilter netlink socket (`NETLINK_NETFILTER`): nftables dumps and
/// transactions. The bytes are [`super::nft`]'s.
pub(super) struct Netfilter {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

/// `ENOENT`: the kernel's answer to a dump of a table or set that does
/// not exist.
const ENOENT: i32 = 2;

/// `EPERM`: nftables are shown only with `CAP_NET_ADMIN`.
const EPERM: i32 = 1;

/// `NETLINK_NETFILTER`.
const NETLINK_NETFILTER: isize = 12;

impl Netfilter {
    /// Opens and binds a socket.
    pub(super) fn open() -> Result<Netfilter> {
        Ok(Netfilter {
            socket: connected(NETLINK_NETFILTER)?,
            // Varied by process: a stale answer of another run never matches.
            seq: std::process::id() << 12,
            buf: vec![0; RECV_BYTES],
        })
    }

    fn receive(&mut self) -> Result<usize> {
        self.socket
            .recv(&mut &mut self.buf[..], 0)
            .map_err(|e| os_error("recv", &e))
    }

    /// Dumps `kind` of the `inet` family, filtered by `attrs`: the
    /// attributes of every object. A table or set that does not exist
    /// dumps nothing.
    pub(super) fn dump(&mut self, kind: nft::Kind, attrs: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        self.dump_or_refused(kind, attrs)?
            .ok_or_else(|| os_error("nftables dump", &std::io::Error::from_raw_os_error(EPERM)))
    }

    /// Like [`Netfilter::dump`], `None` when the kernel refuses to show
    /// nftables to this process (`EPERM`: no `CAP_NET_ADMIN`).
    pub(super) fn dump_or_refused(
        &mut self,
        kind: nft::Kind,
        attrs: Vec<u8>,
    ) -> Result<Option<Vec<Vec<u8>>>> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        self.socket
            .send(&nft::dump_request(kind, attrs, seq), 0)
            .map_err(|e| os_error("send", &e))?;
        let mut out = Vec::new();
        loop {
            let n = self.receive()?;
            for r in nft::replies(&self.buf[..n]).map_err(|m| Error::new(ErrorKind::Backend, m))? {
                if r.seq != seq {
                    continue;
                }
                match (r.msg_type, r.error()) {
                    (nft::MSG_DONE, _) => return Ok(Some(out)),
                    (_, Some(ENOENT)) => return Ok(Some(Vec::new())),
                    (_, Some(EPERM)) => return Ok(None),
                    (_, Some(0)) => {}
                    (_, Some(errno)) => {
                        return Err(os_error(
                            "nftables dump",
                            &std::io::Error::from_raw_os_error(errno),
                        ));
                    }
                    _ => out.push(r.attrs().to_vec()),
                }
            }
        }
    }

    /// Sends `messages` as one transaction, every one asking for an
    /// answer; the kernel commits all of them or none. Returns the
    /// position and errno of the first one refused.
    pub(super) fn transact(&mut self, messages: &[nft::Message]) -> Result<Option<(usize, i32)>> {
        let first = self.seq.wrapping_add(1);
        self.seq = self.seq.wrapping_add(messages.len() as u32 + 2);
        let bytes = nft::batch(messages, first, true);
        self.socket
            .send(&bytes, 0)
            .map_err(|e| os_error("send", &e))?;
        // Messages are numbered first + 1 ..= first + len.
        let mut answered = vec![false; messages.len()];
        let mut refused: Option<(usize, i32)> = None;
        while answered.iter().any(|a| !a) {
            let n = self.receive()?;
            for r in nft::replies(&self.buf[..n]).map_err(|m| Error::new(ErrorKind::Backend, m))? {
                let Some(errno) = r.error() else { continue };
                let at = r.seq.wrapping_sub(first).wrapping_sub(1) as usize;
                if r.seq == first {
                    // The batch itself was refused (no nf_tables, no
                    // permission): nothing else will answer.
                    return Ok(Some((0, errno)));
                }
                let Some(slot) = answered.get_mut(at) else {
                    continue;
                };
                *slot = true;
                if errno != 0 && refused.is_none_or(|(p, _)| at < p) {
                    refused = Some((at, errno));
                }
            }
            // A refused batch is aborted: once an error came, the kernel
            // may not answer what follows, so stop at the first error
            // when every message before it answered.
            if let Some((at, _)) = refused
                && answered[..at].iter().all(|a| *a)
            {
                break;
            }
        }
        Ok(refused)
    }
}
