//! `node_member=`: which nodes a new VPC spans.

use crate::error::Result;
use crate::model::name::NodeName;

/// Which nodes a new VPC spans besides this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberSelection {
    /// Every known node, in ascending byte order of name.
    All,
    /// These nodes, in this order.
    List(Vec<NodeName>),
}

impl MemberSelection {
    /// Parses `all` or a comma-separated list of names (`node_member=`).
    pub fn parse(text: &str) -> Result<MemberSelection> {
        if text == "all" {
            return Ok(MemberSelection::All);
        }
        let names = text
            .split(',')
            .map(|n| NodeName::new(n).map_err(|e| e.context(format!("node_member {text:?}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(MemberSelection::List(names))
    }
}
