//! Python arguments to core values. Errors are the core's, or worded like
//! the CLI's, so a bad value reads the same from either door.

use std::str::FromStr;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use serde::Serialize;
use vpc_core::Error;
use vpc_core::model::addr::Family;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::platform::Platform;
use vpc_core::model::quota;
use vpc_core::model::spec::{OPTION_KEYS, Options};
use vpc_core::plan::Scope;

use crate::errors::OrRaise;

/// A VPC name.
pub(crate) fn vpc_name(text: &str) -> PyResult<VpcName> {
    VpcName::new(text).or_raise()
}

/// A node name.
pub(crate) fn node_name(text: &str) -> PyResult<NodeName> {
    NodeName::new(text).or_raise()
}

/// An address from `str` or an `ipaddress` object (anything whose `str()`
/// is one); `key` names the argument in errors, as the CLI does.
pub(crate) fn ip<T: FromStr>(key: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<T>> {
    let Some(value) = value else { return Ok(None) };
    let text = value.str()?.to_string();
    let family = if key == "ip4" { "IPv4" } else { "IPv6" };
    let parsed = text.parse().map_err(|_| {
        Error::invalid(format!(
            "{key} {text:?} is not valid: expected an {family} address"
        ))
    });
    parsed.map(Some).or_raise()
}

/// A value given as a number or as text (`64g`), as `key=` words are
/// text: the CLI's `key=value` reading applies.
pub(crate) fn text(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if value.is_instance_of::<PyBool>() {
        Ok(if value.is_truthy()? { "1" } else { "0" }.to_owned())
    } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyString>() {
        Ok(value.str()?.to_string())
    } else {
        Err(Error::invalid(format!(
            "{key} {} is not valid: expected a str, int or bool",
            value.repr()?
        )))
        .or_raise()
    }
}

/// A size in bytes from an int or a text such as `64g`.
pub(crate) fn size(key: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    quota::parse_size(key, &text(key, value)?).or_raise()
}

/// `mode=init`'s options from keyword arguments, each read by
/// `Options::set` as the CLI reads `key=value`.
pub(crate) fn options(peer_network: &str, more: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut options = Options::default();
    options.set("peer_network", peer_network).or_raise()?;
    for (key, value) in more.into_iter().flat_map(|d| d.iter()) {
        let key: String = key.extract()?;
        if !options.set(&key, &text(&key, &value)?).or_raise()? {
            let known: Vec<&str> = OPTION_KEYS.iter().map(|(k, _)| *k).collect();
            return Err(Error::invalid(format!(
                "{key} is not an option of a VPC: expected one of {}",
                known.join(", ")
            )))
            .or_raise();
        }
    }
    Ok(options)
}

/// `node_member`: `"all"`, `"a,b"`, or a sequence of names.
pub(crate) fn members(value: &Bound<'_, PyAny>) -> PyResult<MemberSelection> {
    if let Ok(text) = value.cast::<PyString>() {
        return MemberSelection::parse(text.to_str()?).or_raise();
    }
    let names: Vec<String> = value.extract()?;
    let names = names
        .iter()
        .map(|n| NodeName::new(n).map_err(|e| e.context(format!("node_member {names:?}"))));
    names
        .collect::<vpc_core::Result<_>>()
        .map(MemberSelection::List)
        .or_raise()
}

/// `os=`: `freebsd` or `linux`; `None` is this host's.
pub(crate) fn platform(os: Option<&str>) -> PyResult<Platform> {
    os.map_or(Ok(Platform::host()), Platform::parse).or_raise()
}

/// The name of a platform, as `os=` takes it.
pub(crate) fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::FreeBsd => "freebsd",
        Platform::Linux => "linux",
    }
}

/// `scope=`: which half of a node's VPC, as `apply` / `init_vxlan` /
/// `init_bridge` choose it.
pub(crate) fn scope(text: &str) -> PyResult<Scope> {
    match text {
        "all" => Ok(Scope::All),
        "tunnels" => Ok(Scope::Tunnels),
        "bridge" => Ok(Scope::Bridge),
        _ => Err(Error::invalid(format!(
            "scope {text:?} is not valid: expected all, tunnels or bridge"
        )))
        .or_raise(),
    }
}

/// An underlay family, `v4` or `v6` (as the peer map's JSON names it).
pub(crate) fn family(text: &str) -> PyResult<Family> {
    match text {
        "v4" => Ok(Family::V4),
        "v6" => Ok(Family::V6),
        _ => Err(Error::invalid(format!(
            "family {text:?} is not valid: expected v4 or v6"
        )))
        .or_raise(),
    }
}

/// The name [`family`] reads.
pub(crate) fn family_name(family: Family) -> &'static str {
    match family {
        Family::V4 => "v4",
        Family::V6 => "v6",
    }
}

/// Plain data (a change, a health report) as Python dicts and lists: the
/// JSON the CLI prints with `--json`.
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    value: &impl Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (json,))
}
