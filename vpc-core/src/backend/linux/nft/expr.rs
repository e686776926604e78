//! Rule expressions: `NFTA_EXPR_*` with the data of the six kinds vpc's
//! rules use (`meta` loads the L4 protocol, the family or the input
//! interface's name; `cmp` compares it). Read back as the same values, so a rule the kernel reports
//! is compared with the one vpc would write (counter values and the
//! batch-only set id aside).

use super::attr::{self, Attrs};

/// `NFTA_EXPR_NAME`.
const NAME: u16 = 1;
/// `NFTA_EXPR_DATA` (nested).
const DATA: u16 = 2;

/// `NFT_META_IIFNAME`: the name of the interface a packet came in on.
pub const META_IIFNAME: u32 = 6;
/// `NFT_META_NFPROTO`.
pub const META_NFPROTO: u32 = 15;
/// `NFT_META_L4PROTO`.
pub const META_L4PROTO: u32 = 16;
/// `NFT_PAYLOAD_NETWORK_HEADER`.
pub const BASE_NETWORK: u32 = 1;
/// `NFT_PAYLOAD_TRANSPORT_HEADER`.
pub const BASE_TRANSPORT: u32 = 2;
/// `NFT_CMP_EQ`.
pub const CMP_EQ: u32 = 0;
/// `NFT_CMP_NEQ`.
pub const CMP_NEQ: u32 = 1;
/// `NFT_CMP_LTE`.
pub const CMP_LTE: u32 = 3;
/// `NFT_CMP_GTE`.
pub const CMP_GTE: u32 = 5;
/// `NFT_LOOKUP_F_INV`: match when the key is not in the set.
pub const LOOKUP_INV: u32 = 1;
/// `NF_DROP`.
pub const DROP: u32 = 0;
/// `NFT_REG_VERDICT`.
pub const REG_VERDICT: u32 = 0;
/// `NFT_REG_1`.
pub const REG_1: u32 = 1;

/// `IFNAMSIZ`: an interface name with its terminating NUL fits in it.
pub const IFNAMSIZ: usize = 16;

/// Interface name `name` as a `cmp` against `meta iifname` holds it, as
/// `nft` sends it: the name, then NULs up to [`IFNAMSIZ`] bytes. (A name
/// of `IFNAMSIZ` bytes or more, which no interface has and `nft` refuses,
/// is left as it is; beyond 16 bytes the kernel refuses the rule.)
pub fn ifname(name: &str) -> Vec<u8> {
    let mut b = name.as_bytes().to_vec();
    if b.len() < IFNAMSIZ {
        b.resize(IFNAMSIZ, 0);
    }
    b
}

/// The interface name in `data` as [`ifname`] writes it: `None` for
/// anything else (unpadded, bytes after the NUL, not UTF-8).
pub fn ifname_of(data: &[u8]) -> Option<&str> {
    let end = data.iter().position(|&c| c == 0)?;
    let name = std::str::from_utf8(&data[..end]).ok()?;
    (ifname(name) == data).then_some(name)
}

/// One expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `meta load KEY => reg`.
    Meta {
        /// `NFT_META_*`.
        key: u32,
        /// Destination register.
        dreg: u32,
    },
    /// `cmp OP reg DATA`.
    Cmp {
        /// Source register.
        sreg: u32,
        /// `NFT_CMP_*`.
        op: u32,
        /// The value compared with, as the kernel holds it.
        data: Vec<u8>,
    },
    /// `payload load LEN @ BASE + OFFSET => reg`.
    Payload {
        /// Destination register.
        dreg: u32,
        /// `NFT_PAYLOAD_*_HEADER`.
        base: u32,
        /// Byte offset in that header.
        offset: u32,
        /// Bytes.
        len: u32,
    },
    /// `lookup reg set NAME FLAGS`.
    Lookup {
        /// Source register.
        sreg: u32,
        /// Set name.
        set: String,
        /// Batch id of the set (sent, never reported back).
        set_id: Option<u32>,
        /// `NFT_LOOKUP_F_*`.
        flags: u32,
    },
    /// `counter` (its values are not part of the rule).
    Counter,
    /// `immediate reg 0 VERDICT`.
    Verdict(u32),
}

impl Expr {
    /// The expression's `NFTA_LIST_ELEM` payload.
    pub fn encode(&self) -> Attrs {
        let (name, data) = match self {
            Expr::Meta { key, dreg } => ("meta", Attrs::new().u32(2, *key).u32(1, *dreg)),
            Expr::Cmp { sreg, op, data } => (
                "cmp",
                Attrs::new()
                    .u32(1, *sreg)
                    .u32(2, *op)
                    .nest(3, Attrs::new().bytes(1, data)),
            ),
            Expr::Payload {
                dreg,
                base,
                offset,
                len,
            } => (
                "payload",
                Attrs::new()
                    .u32(1, *dreg)
                    .u32(2, *base)
                    .u32(3, *offset)
                    .u32(4, *len),
            ),
            Expr::Lookup {
                sreg,
                set,
                set_id,
                flags,
            } => {
                let mut a = Attrs::new().u32(2, *sreg).str(1, set);
                if let Some(id) = set_id {
                    a = a.u32(4, *id);
                }
                ("lookup", a.u32(5, *flags))
            }
            Expr::Counter => ("counter", Attrs::new()),
            Expr::Verdict(code) => (
                "immediate",
                Attrs::new()
                    .u32(1, REG_VERDICT)
                    .nest(2, Attrs::new().nest(2, Attrs::new().u32(1, *code))),
            ),
        };
        Attrs::new().str(NAME, name).nest(DATA, data)
    }

    /// Reads one expression; `Err` names what vpc does not write.
    pub fn decode(elem: &[u8]) -> Result<Expr, String> {
        let a = attr::parse(elem)?;
        let name = attr::get_str(&a, NAME).unwrap_or_default();
        let d = attr::parse(attr::get(&a, DATA).unwrap_or(&[]))?;
        let missing = || format!("a {name} expression lacks an attribute vpc writes");
        let u = |ty| attr::get_u32(&d, ty).ok_or_else(missing);
        Ok(match name {
            "meta" => Expr::Meta {
                key: u(2)?,
                dreg: u(1)?,
            },
            "cmp" => {
                let value = attr::parse(attr::get(&d, 3).ok_or_else(missing)?)?;
                Expr::Cmp {
                    sreg: u(1)?,
                    op: u(2)?,
                    data: attr::get(&value, 1).ok_or_else(missing)?.to_vec(),
                }
            }
            "payload" => Expr::Payload {
                dreg: u(1)?,
                base: u(2)?,
                offset: u(3)?,
                len: u(4)?,
            },
            "lookup" => Expr::Lookup {
                sreg: u(2)?,
                set: attr::get_str(&d, 1).ok_or_else(missing)?.to_owned(),
                set_id: None,
                flags: attr::get_u32(&d, 5).unwrap_or(0),
            },
            "counter" => Expr::Counter,
            "immediate" => {
                let data = attr::parse(attr::get(&d, 2).ok_or_else(missing)?)?;
                let verdict = attr::parse(attr::get(&data, 2).ok_or_else(missing)?)?;
                if u(1)? != REG_VERDICT {
                    return Err("an immediate expression loads a data register".to_owned());
                }
                Expr::Verdict(attr::get_u32(&verdict, 1).ok_or_else(missing)?)
            }
            other => return Err(format!("a {other} expression, which vpc does not write")),
        })
    }
}

/// The counter values of an expression list: `(packets, bytes)` summed over
/// its counters (for tests and status).
pub fn counters(elem: &[u8]) -> Option<(u64, u64)> {
    let a = attr::parse(elem).ok()?;
    if attr::get_str(&a, NAME)? != "counter" {
        return None;
    }
    let d = attr::parse(attr::get(&a, DATA)?).ok()?;
    let n = |ty| {
        Some(u64::from_be_bytes(
            attr::get(&d, ty)?.get(..8)?.try_into().ok()?,
        ))
    };
    Some((n(2)?, n(1)?))
}
