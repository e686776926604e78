//! Named sets and their elements: `NFTA_SET_*`, `NFTA_SET_ELEM_*`.

use super::attr::{self, Attrs};
use super::{Kind, Message};

/// `NFTA_SET_TABLE` (also `NFTA_SET_ELEM_LIST_TABLE`).
pub const TABLE: u16 = 1;
/// `NFTA_SET_NAME` (also `NFTA_SET_ELEM_LIST_SET`).
pub const NAME: u16 = 2;
/// `NFTA_SET_FLAGS`.
pub const FLAGS: u16 = 3;
/// `NFTA_SET_KEY_TYPE`.
pub const KEY_TYPE: u16 = 4;
/// `NFTA_SET_KEY_LEN`.
pub const KEY_LEN: u16 = 5;
/// `NFTA_SET_ID`.
pub const ID: u16 = 10;
/// `NFTA_SET_USERDATA`.
pub const USERDATA: u16 = 13;
/// `NFTA_SET_ELEM_LIST_ELEMENTS` (nested).
pub const ELEM_LIST_ELEMENTS: u16 = 3;
/// `NFTA_SET_ELEM_LIST_SET_ID`.
pub const ELEM_LIST_SET_ID: u16 = 4;
/// `NFTA_SET_ELEM_KEY` (nested).
pub const ELEM_KEY: u16 = 1;
/// `NFTA_DATA_VALUE`.
pub const DATA_VALUE: u16 = 1;

/// nft's `ipv4_addr` data type.
pub const TYPE_IPV4: u32 = 7;
/// nft's `ipv6_addr` data type.
pub const TYPE_IPV6: u32 = 8;

/// What `nft` stores beside a set it makes: the key's byte order
/// (`NFTNL_UDATA_SET_KEYBYTEORDER` = big-endian), so that `nft list`
/// prints the addresses as addresses.
const KEY_BIG_ENDIAN: [u8; 6] = [0, 4, 2, 0, 0, 0];

/// A set as vpc makes it: addresses of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set {
    /// Name.
    pub name: String,
    /// nft data type of the key.
    pub key_type: u32,
    /// Key length in bytes.
    pub key_len: u32,
    /// Flags.
    pub flags: u32,
}

/// Creates `set` in `table`, known in the batch as `id`.
pub fn add(table: &str, set: &Set, id: u32) -> Message {
    Message::new(
        Kind::NewSet,
        super::F_CREATE,
        Attrs::new()
            .str(TABLE, table)
            .str(NAME, &set.name)
            .u32(FLAGS, set.flags)
            .u32(KEY_TYPE, set.key_type)
            .u32(KEY_LEN, set.key_len)
            .u32(ID, id)
            .bytes(USERDATA, &KEY_BIG_ENDIAN)
            .done(),
    )
}

/// Adds `keys` to set `name` (batch id `id`) of `table`.
pub fn add_elements(table: &str, name: &str, id: u32, keys: &[Vec<u8>]) -> Message {
    // nft numbers the elements of the list from 1 (the kernel reads any
    // type there): the same, so the bytes are nft's.
    let elements = keys
        .iter()
        .zip(1u16..)
        .fold(Attrs::new(), |list, (key, n)| {
            list.nest(
                n,
                Attrs::new().nest(ELEM_KEY, Attrs::new().bytes(DATA_VALUE, key)),
            )
        });
    Message::new(
        Kind::NewSetElem,
        super::F_CREATE,
        Attrs::new()
            .str(TABLE, table)
            .str(NAME, name)
            .u32(ELEM_LIST_SET_ID, id)
            .nest(ELEM_LIST_ELEMENTS, elements)
            .done(),
    )
}

/// The filter of an element dump: set `name` of `table`.
pub fn elements_of(table: &str, name: &str) -> Vec<u8> {
    Attrs::new().str(TABLE, table).str(NAME, name).done()
}

/// Reads a set from a dump: its table and the set.
pub fn read(attrs: &[u8]) -> Result<(String, Option<Set>), String> {
    let a = attr::parse(attrs)?;
    let table = attr::get_str(&a, TABLE).unwrap_or_default().to_owned();
    let set = (|| {
        Some(Set {
            name: attr::get_str(&a, NAME)?.to_owned(),
            key_type: attr::get_u32(&a, KEY_TYPE)?,
            key_len: attr::get_u32(&a, KEY_LEN)?,
            flags: attr::get_u32(&a, FLAGS).unwrap_or(0),
        })
    })();
    Ok((table, set))
}

/// Reads an element dump message: the set's name and its keys.
pub fn read_elements(attrs: &[u8]) -> Result<(String, Vec<Vec<u8>>), String> {
    let a = attr::parse(attrs)?;
    let name = attr::get_str(&a, NAME).unwrap_or_default().to_owned();
    let mut keys = Vec::new();
    if let Some(list) = attr::get(&a, ELEM_LIST_ELEMENTS) {
        for (_, elem) in attr::parse(list)? {
            let e = attr::parse(elem)?;
            let key = attr::get(&e, ELEM_KEY)
                .map(attr::parse)
                .transpose()?
                .and_then(|k| attr::get(&k, DATA_VALUE).map(<[u8]>::to_vec))
                .ok_or_else(|| format!("an element of set {name} has no key"))?;
            keys.push(key);
        }
    }
    Ok((name, keys))
}
