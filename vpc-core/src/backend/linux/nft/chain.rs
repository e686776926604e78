//! Base chains: `NFTA_CHAIN_*` and `NFTA_HOOK_*`.

use super::attr::{self, Attrs};
use super::{Kind, Message};

/// `NFTA_CHAIN_TABLE`.
pub const TABLE: u16 = 1;
/// `NFTA_CHAIN_HOOK` (nested).
pub const HOOK: u16 = 4;
/// `NFTA_CHAIN_NAME`.
pub const NAME: u16 = 3;
/// `NFTA_CHAIN_POLICY`.
pub const POLICY: u16 = 5;
/// `NFTA_CHAIN_TYPE`.
pub const TYPE: u16 = 7;
/// `NFTA_HOOK_HOOKNUM`.
pub const HOOK_NUM: u16 = 1;
/// `NFTA_HOOK_PRIORITY`.
pub const HOOK_PRIORITY: u16 = 2;

/// `NF_INET_LOCAL_IN`: packets for a local socket, VXLAN's included.
pub const HOOK_INPUT: u32 = 1;
/// `NF_ACCEPT`.
pub const ACCEPT: u32 = 1;

/// A base chain as vpc makes it and the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Name.
    pub name: String,
    /// Chain type (`filter`).
    pub kind: String,
    /// Hook number.
    pub hook: u32,
    /// Priority.
    pub priority: i32,
    /// Policy verdict.
    pub policy: u32,
}

/// Creates `chain` in `table`.
pub fn add(table: &str, chain: &Chain) -> Message {
    let hook = Attrs::new()
        .u32(HOOK_NUM, chain.hook)
        .u32(HOOK_PRIORITY, chain.priority as u32);
    Message::new(
        Kind::NewChain,
        super::F_CREATE,
        Attrs::new()
            .str(TABLE, table)
            .str(NAME, &chain.name)
            .str(TYPE, &chain.kind)
            .u32(POLICY, chain.policy)
            .nest(HOOK, hook)
            .done(),
    )
}

/// Reads a chain from a dump; `None` for a chain without a hook.
pub fn read(attrs: &[u8]) -> Result<(String, Option<Chain>), String> {
    let a = attr::parse(attrs)?;
    let table = attr::get_str(&a, TABLE).unwrap_or_default().to_owned();
    let chain = (|| {
        let hook = attr::parse(attr::get(&a, HOOK)?).ok()?;
        Some(Chain {
            name: attr::get_str(&a, NAME)?.to_owned(),
            kind: attr::get_str(&a, TYPE)?.to_owned(),
            hook: attr::get_u32(&hook, HOOK_NUM)?,
            priority: attr::get_u32(&hook, HOOK_PRIORITY)? as i32,
            policy: attr::get_u32(&a, POLICY)?,
        })
    })();
    Ok((table, chain))
}
