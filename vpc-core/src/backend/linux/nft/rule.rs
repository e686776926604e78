//! Rules: `NFTA_RULE_*`, a list of [`Expr`]s.

use super::attr::{self, Attrs};
use super::expr::Expr;
use super::{Kind, Message};

/// `NFTA_RULE_TABLE`.
pub const TABLE: u16 = 1;
/// `NFTA_RULE_CHAIN`.
pub const CHAIN: u16 = 2;
/// `NFTA_RULE_EXPRESSIONS` (nested list).
pub const EXPRESSIONS: u16 = 4;
/// `NFTA_LIST_ELEM`.
const LIST_ELEM: u16 = 1;

/// Appends a rule of `exprs` to `chain` of `table`.
pub fn add(table: &str, chain: &str, exprs: &[Expr]) -> Message {
    let list = exprs
        .iter()
        .fold(Attrs::new(), |l, e| l.nest(LIST_ELEM, e.encode()));
    Message::new(
        Kind::NewRule,
        super::F_CREATE | super::F_APPEND,
        Attrs::new()
            .str(TABLE, table)
            .str(CHAIN, chain)
            .nest(EXPRESSIONS, list)
            .done(),
    )
}

/// The filter of a rule dump: `table`'s rules.
pub fn of_table(table: &str) -> Vec<u8> {
    Attrs::new().str(TABLE, table).done()
}

/// A rule from a dump: its table, chain, and expressions (`Err` in the
/// list for one vpc does not write), and the packets its counters saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Table.
    pub table: String,
    /// Chain.
    pub chain: String,
    /// Expressions, or why they are not vpc's.
    pub exprs: Result<Vec<Expr>, String>,
    /// Packets counted.
    pub packets: u64,
}

/// Reads a rule from a dump.
pub fn read(attrs: &[u8]) -> Result<Read, String> {
    let a = attr::parse(attrs)?;
    let list = attr::parse(attr::get(&a, EXPRESSIONS).unwrap_or(&[]))?;
    let packets = list
        .iter()
        .filter_map(|(_, e)| super::expr::counters(e))
        .map(|(p, _)| p)
        .sum();
    Ok(Read {
        table: attr::get_str(&a, TABLE).unwrap_or_default().to_owned(),
        chain: attr::get_str(&a, CHAIN).unwrap_or_default().to_owned(),
        exprs: list.iter().map(|(_, e)| Expr::decode(e)).collect(),
        packets,
    })
}
