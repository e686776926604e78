//! Tables: `NFTA_TABLE_*`.

use super::attr::Attrs;
use super::{Kind, Message};

/// `NFTA_TABLE_NAME`.
pub const NAME: u16 = 1;
/// `NFTA_TABLE_FLAGS`.
pub const FLAGS: u16 = 2;

/// Creates table `name` (no `NLM_F_EXCL`: an existing one is kept, which
/// makes the delete that follows it in a batch a delete-if-exists).
pub fn add(name: &str) -> Message {
    Message::new(
        Kind::NewTable,
        0,
        Attrs::new().str(NAME, name).u32(FLAGS, 0).done(),
    )
}

/// Deletes table `name` and everything in it.
pub fn delete(name: &str) -> Message {
    Message::new(Kind::DelTable, 0, Attrs::new().str(NAME, name).done())
}
