//! Operations on the state directory alone: identities, node records,
//! specs, boot files. No kernel is read or changed.

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::IfAddr;
use crate::model::members::MemberSelection;
use crate::model::name::{NodeName, VpcName};
use crate::model::node::Node;
use crate::model::spec::{Options, Spec};
use crate::model::wgkey::{PrivateKey, PublicKey};
use crate::report::Replaced;
use crate::store::Outcome;
use crate::store::{Identity, Locked, NodeRecord, STATE_SCHEMA, Store};

/// Sets this host's identity. Renaming a host that holds VPCs is refused:
/// their specs name it.
pub fn node_init(store: &Store, node: Node) -> Result<Outcome> {
    node.check()?;
    let locked = store.lock()?;
    let id = Identity {
        schema_version: STATE_SCHEMA,
        name: node.name,
        ip4: node.ip4,
        ip6: node.ip6,
        local4: node.local4,
        local6: node.local6,
        inbound: node.inbound,
    };
    let outcome = match store.identity()? {
        Some(old) if old == id => return Ok(Outcome::Unchanged),
        Some(old) => {
            let vpcs = store.vpcs()?;
            if old.name != id.name && !vpcs.is_empty() {
                let names: Vec<String> = vpcs.iter().map(|s| s.name.to_string()).collect();
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "this host is {} and holds VPCs {}: renaming it to {} would orphan them; \
                         remove them first",
                        old.name,
                        names.join(", "),
                        id.name
                    ),
                ));
            }
            Outcome::Updated
        }
        None => Outcome::Created,
    };
    if store.node(&id.name)?.is_some() {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{} is already a known remote node: expected a name of its own for this host",
                id.name
            ),
        ));
    }
    locked.write_identity(&id)?;
    Ok(outcome)
}

/// Records a node without contacting it. A record of that name pinned to
/// another address or host key is refused ([`node_add_or_replace`] with
/// `replace` replaces it).
pub fn node_add_offline(store: &Store, record: NodeRecord) -> Result<Outcome> {
    node_add_or_replace(store, record, false).map(|(outcome, _)| outcome)
}

/// Records a node. A record of that name whose addresses or host key
/// differ from `record`'s is replaced only when `replace` (`replace=1`),
/// and then what it held is returned; otherwise it is a
/// [`ErrorKind::Conflict`] naming both. Other changes (port, user,
/// command) are updates.
pub fn node_add_or_replace(
    store: &Store,
    record: NodeRecord,
    replace: bool,
) -> Result<(Outcome, Option<Replaced>)> {
    record.check()?;
    let locked = store.lock()?;
    if store.identity()?.is_some_and(|id| id.name == record.name) {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{} is this host's own name: a host is never its own remote node",
                record.name
            ),
        ));
    }
    let (outcome, replaced) = match store.node(&record.name)? {
        Some(old) if old == record => return Ok((Outcome::Unchanged, None)),
        Some(old) => match Replaced::between(&old, &record) {
            Some(r) if !replace => {
                let new = Replaced::between(&record, &old)
                    .map_or_else(|| "no address or host key".to_owned(), |n| n.describe());
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "node {} is already recorded with {}, not {new}: expected the same                          host; replace=1 replaces the record (or forget it with                          vpc node mode=remove node={})",
                        record.name,
                        r.describe(),
                        record.name
                    ),
                ));
            }
            r => (Outcome::Updated, r),
        },
        None => (Outcome::Created, None),
    };
    locked.write_node(&record)?;
    Ok((outcome, replaced))
}

/// Forgets node `name`.
pub fn node_remove(store: &Store, name: &NodeName) -> Result<Outcome> {
    let locked = store.lock()?;
    if locked.remove_node(name)? {
        Ok(Outcome::Removed)
    } else {
        Err(Error::new(
            ErrorKind::NotFound,
            format!("node {name} is not known: see vpc node mode=list"),
        ))
    }
}

/// The spec `vpc_init` would store: this host as initiator, `members`
/// resolved against the known nodes, checked beside the other VPCs held.
/// Nothing is written.
pub fn define_vpc(
    store: &Store,
    name: VpcName,
    members: &MemberSelection,
    options: &Options,
) -> Result<Spec> {
    let me = store.this_node()?;
    let known = store.nodes()?;
    let others: Vec<Node> = match members {
        MemberSelection::All => known.iter().map(NodeRecord::node).collect(),
        MemberSelection::List(names) => names
            .iter()
            // This host is always slot 0; naming it again changes nothing.
            .filter(|n| **n != me.name)
            .map(|n| {
                known
                    .iter()
                    .find(|r| &r.name == n)
                    .map(NodeRecord::node)
                    .ok_or_else(|| {
                        let names: Vec<&str> = known.iter().map(|r| r.name.as_str()).collect();
                        Error::new(
                            ErrorKind::NotFound,
                            format!(
                                "node_member {n} is not a known node: expected one of [{}] \
                             (add it with vpc node mode=add)",
                                names.join(", ")
                            ),
                        )
                    })
            })
            .collect::<Result<_>>()?,
    };
    let held: Vec<Spec> = store
        .vpcs()?
        .into_iter()
        .filter(|s| s.name != name)
        .collect();
    Spec::define(name, me, others, options, &held)
}

/// Defines a VPC with this host as initiator. Repeating the same
/// definition is not an error; a different one for an existing name is.
pub fn vpc_init(
    store: &Store,
    name: VpcName,
    members: &MemberSelection,
    options: &Options,
) -> Result<(Outcome, Spec)> {
    let locked = store.lock()?;
    let mut spec = define_vpc(store, name, members, options)?;
    if let Some(old) = store.vpc(&spec.name)? {
        // Keys are made, not defined: the same definition keeps them.
        for (m, o) in spec.members.iter_mut().zip(&old.members) {
            if let (Some(m), Some(o)) = (m, o) {
                m.wg_key = o.wg_key;
            }
        }
        let same = Spec {
            generation: old.generation,
            ..spec.clone()
        };
        if same == old {
            return Ok((Outcome::Unchanged, old));
        }
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "VPC {} already exists with another definition (generation {}): \
                 change members with mode=add_member / mode=remove_member, or mode=remove it first",
                old.name, old.generation
            ),
        ));
    }
    if spec.wireguard.is_some() {
        let me = spec.members().next().map(|m| m.node.name.clone());
        let key = pending_wg_key(&locked, &spec.name)?;
        if let Some(me) = me
            && let Some(Some(m)) = spec.members.first_mut()
            && m.node.name == me
        {
            m.wg_key = Some(key);
        }
    }
    locked.write_vpc(&spec)?;
    Ok((Outcome::Created, spec))
}

/// This host's pending WireGuard key for `vpc`, made now when it has none:
/// the key the next spec will name for it.
fn pending_wg_key(locked: &Locked<'_>, vpc: &VpcName) -> Result<PublicKey> {
    let keys = locked.store().wg_keys(vpc)?;
    if let Some(k) = &keys.pending {
        return Ok(k.public());
    }
    let key = PrivateKey::generate();
    locked.write_wg_key(vpc, &key, true)?;
    Ok(key.public())
}

/// `mode=wg_key`: the public half of this host's WireGuard key for
/// encrypted VPC `vpc`. With `next`, the key for the next spec: the
/// pending one, made now if there is none — what the initiator's `deploy`
/// asks of each member that the spec gives no key (at the first deploy,
/// after `rotate_keys`). Without it: the key in use, else the pending one,
/// else a new pending one. The private half stays here. The VPC need not
/// be held yet: a member is asked before its first spec reaches it.
pub fn wg_key(store: &Store, vpc: &VpcName, next: bool) -> Result<PublicKey> {
    let locked = store.lock()?;
    if !next && let Some(k) = store.wg_keys(vpc)?.current {
        return Ok(k.public());
    }
    pending_wg_key(&locked, vpc)
}

/// `mode=rotate_keys` on the initiator: a new key for this host, and every
/// other member's key forgotten, so the next `deploy` asks each for a new
/// one and pushes the spec naming them all. Until a member applies that
/// spec it keeps its old key, so traffic stops for at most the time the
/// members take to apply it, plus one handshake.
pub fn rotate_keys(store: &Store, vpc: &VpcName) -> Result<Spec> {
    let locked = store.lock()?;
    let mut spec = store.require_vpc(vpc)?;
    let me = store.this_node()?;
    require_initiator(
        &spec,
        &me.name,
        &format!("vpc mode=rotate_keys vpc_name={vpc}"),
    )?;
    if spec.wireguard.is_none() {
        return Err(Error::invalid(format!(
            "VPC {vpc} is not encrypted (encrypt=none): it has no keys to rotate"
        )));
    }
    let key = PrivateKey::generate();
    spec.rotate_wg_keys(&me.name, key.public())?;
    locked.write_wg_key(vpc, &key, true)?;
    locked.write_vpc(&spec)?;
    Ok(spec)
}

/// The spec's key for this node must be one it holds: a spec naming
/// another would cut it off from every peer.
pub(crate) fn check_wg_key(store: &Store, spec: &Spec, me: &NodeName) -> Result<()> {
    if spec.wireguard.is_none() {
        return Ok(());
    }
    let Some(want) = spec.member(me)?.wg_key else {
        return Ok(());
    };
    if store.wg_keys(&spec.name)?.matching(&want).is_none() {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "VPC {}'s spec names WireGuard key {want} for node {me}, which this host does \
                 not hold ({}): expected the key this host made; run vpc mode=deploy \
                 vpc_name={} on the initiator, which asks this host for its key",
                spec.name,
                crate::store::wg_key_file_of(&spec.name),
                spec.name
            ),
        ));
    }
    Ok(())
}

/// Refuses a change of `spec` on a host that is not its initiator (slot
/// 0): one writer per VPC, so two hosts never raise one generation to two
/// different specs. `instead` is the command that makes the change on the
/// initiator.
pub fn require_initiator(spec: &Spec, me: &NodeName, instead: &str) -> Result<()> {
    let Some(Some(initiator)) = spec.members.first() else {
        return Ok(());
    };
    if initiator.node.name == *me {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Conflict,
        format!(
            "VPC {} is defined on {} (its initiator); this host only receives it: \
             run there `{instead}`, then `vpc mode=sync vpc_name={}`",
            spec.name, initiator.node.name, spec.name
        ),
    ))
}

/// The `set_member` command that gives `node` the bridge addresses `addrs`.
pub fn set_member_command(vpc: &VpcName, node: &NodeName, addrs: &[IfAddr]) -> String {
    let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    let list = if list.is_empty() {
        "0".to_owned()
    } else {
        list.join(",")
    };
    format!("vpc mode=set_member vpc_name={vpc} node={node} bridge_ips={list}")
}

/// Changes a held spec with `change` under the lock, and stores it if it
/// changed. Returns whether it did, and the spec. Only the initiator
/// changes a spec ([`require_initiator`]; `instead` is the command to run
/// there).
fn modify(
    store: &Store,
    name: &VpcName,
    instead: &str,
    change: impl FnOnce(&mut Spec) -> Result<()>,
) -> Result<(bool, Spec)> {
    let locked: Locked<'_> = store.lock()?;
    let held = store.require_vpc(name)?;
    require_initiator(&held, &store.this_node()?.name, instead)?;
    let mut spec = held.clone();
    change(&mut spec)?;
    let changed = spec != held;
    if changed {
        locked.write_vpc(&spec)?;
    }
    Ok((changed, spec))
}

/// Adds a known node to a VPC, in the first vacant slot.
pub fn add_member(store: &Store, vpc: &VpcName, node: &NodeName) -> Result<Spec> {
    let record = store.node(node)?.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("node {node} is not known: add it with vpc node mode=add first"),
        )
    })?;
    let instead = format!("vpc mode=add_member vpc_name={vpc} node={node}");
    let (_, spec) = modify(store, vpc, &instead, |spec| {
        spec.add_member(record.node())?;
        // Read under the lock, so a VPC defined meanwhile is seen.
        spec.check_beside(&store.vpcs()?)
    })?;
    Ok(spec)
}

/// Removes a member from a VPC; its slot stays vacant.
pub fn remove_member(store: &Store, vpc: &VpcName, node: &NodeName) -> Result<Spec> {
    let instead = format!("vpc mode=remove_member vpc_name={vpc} node={node}");
    Ok(modify(store, vpc, &instead, |spec| spec.remove_member(node))?.1)
}

/// Sets this node's bridge addresses in a VPC.
pub fn set_bridge_addrs(
    store: &Store,
    vpc: &VpcName,
    addrs: Vec<IfAddr>,
) -> Result<(Outcome, Spec)> {
    set_member(store, vpc, &store.this_node()?.name, Some(addrs), None)
}

/// Sets member `node`'s bridge addresses in a VPC (`set_member`).
pub fn set_member(
    store: &Store,
    vpc: &VpcName,
    node: &NodeName,
    addrs: Option<Vec<IfAddr>>,
    wg_key: Option<PublicKey>,
) -> Result<(Outcome, Spec)> {
    let instead = match (&addrs, wg_key) {
        (Some(a), _) => set_member_command(vpc, node, a),
        (None, Some(k)) => format!("vpc mode=set_member vpc_name={vpc} node={node} wg_key={k}"),
        (None, None) => format!("vpc mode=set_member vpc_name={vpc} node={node}"),
    };
    let (changed, spec) = modify(store, vpc, &instead, |spec| {
        if let Some(addrs) = addrs {
            spec.set_bridge_addrs(node, addrs)?;
        }
        if let Some(key) = wg_key {
            spec.set_wg_key(node, key)?;
        }
        Ok(())
    })?;
    let outcome = if changed {
        Outcome::Updated
    } else {
        Outcome::Unchanged
    };
    Ok((outcome, spec))
}

/// Forgets a VPC's spec, its guest records, and its boot files in `boot_dirs`
/// (interfaces are not touched and not looked at: `mode=remove`, which
/// refuses while this host holds any, is [`super::kernel::remove`]).
pub fn vpc_remove(
    store: &Store,
    name: &VpcName,
    boot_dirs: &[(crate::model::platform::Platform, std::path::PathBuf)],
) -> Result<Outcome> {
    forget(&store.lock()?, name, boot_dirs)
}

/// [`vpc_remove`] under a lock already held, for the kernel operations
/// that tear down first and must not let go of the lock in between.
pub(super) fn forget(
    locked: &Locked<'_>,
    name: &VpcName,
    boot_dirs: &[(crate::model::platform::Platform, std::path::PathBuf)],
) -> Result<Outcome> {
    locked.store().require_vpc(name)?;
    for (platform, dir) in boot_dirs {
        crate::store::remove_file(&dir.join(crate::boot::file_name(*platform, name)))?;
    }
    locked.write_guests(&crate::store::Guests {
        schema_version: crate::store::STATE_SCHEMA,
        vpc: name.clone(),
        ports: Vec::new(),
    })?;
    locked.remove_owned(name)?;
    locked.remove_wg_keys(name)?;
    locked.remove_vpc(name)?;
    Ok(Outcome::Removed)
}

/// Accepts a spec received from a peer: validated like local input, for a
/// VPC this host is a member of, with a VNI range free on this host, and
/// newer than the one held (or identical to it).
pub fn receive(store: &Store, json: &str) -> Result<(Outcome, Spec)> {
    let spec = Spec::from_json(json)?;
    let locked = store.lock()?;
    let outcome = received(store, &spec)?;
    if outcome != Outcome::Unchanged {
        locked.write_vpc(&spec)?;
    }
    Ok((outcome, spec))
}

/// What receiving `spec` would do here, checked as [`receive`] checks
/// it; nothing is written.
pub fn received(store: &Store, spec: &Spec) -> Result<Outcome> {
    let me = store.this_node()?;
    spec.member(&me.name)?;
    check_wg_key(store, spec, &me.name)?;
    let outcome = match store.vpc(&spec.name)? {
        Some(old) if old == *spec => return Ok(Outcome::Unchanged),
        Some(old) if spec.generation <= old.generation => {
            return Err(Error::new(
                ErrorKind::Stale,
                format!(
                    "received VPC {} generation {} is not newer than the held generation {}{}",
                    spec.name,
                    spec.generation,
                    old.generation,
                    if spec.generation == old.generation {
                        " (and differs from it)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Some(_) => Outcome::Updated,
        None => Outcome::Created,
    };
    spec.check_beside(&store.vpcs()?)?;
    Ok(outcome)
}

/// Writes `vpc`'s boot file for `platform` into `dir`: it runs `program`
/// with this store's directory. Returns the file's path and whether it
/// changed.
pub fn init_rc(
    store: &Store,
    vpc: &VpcName,
    platform: crate::model::platform::Platform,
    dir: &std::path::Path,
    program: &std::path::Path,
) -> Result<(Outcome, std::path::PathBuf)> {
    let _locked = store.lock()?;
    store.require_vpc(vpc)?;
    let state_dir = std::path::absolute(store.dir()).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot resolve {}: {e}", store.dir().display()),
        )
    })?;
    let text = crate::boot::render(platform, vpc, program, &state_dir)?;
    if !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "boot directory {} does not exist: expected the system's rc.d or systemd \
                 directory, or name one with rc_dir=",
                dir.display()
            ),
        ));
    }
    let path = dir.join(crate::boot::file_name(platform, vpc));
    let mode = match platform {
        crate::model::platform::Platform::FreeBsd => 0o755,
        crate::model::platform::Platform::Linux => 0o644,
    };
    let outcome = crate::store::write_file(&path, &text, mode)?;
    Ok((outcome, path))
}
