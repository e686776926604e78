//! Python arguments to core values. Errors are the core's, or worded like
//! the CLI's, so a bad value reads the same from either door.

use std::ops::RangeInclusive;
use std::str::FromStr;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use serde::Serialize;
use vpc_core::Error;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::quota;
use vpc_core::model::spec::{Options, parse_number};
use vpc_core::request::{FromPairs, SpecOptions};

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

/// A size in bytes from an int or a text such as `64g` (not a bool).
pub(crate) fn size(key: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() {
        return Err(not_a_number(key, value)?).or_raise();
    }
    quota::parse_size(key, &text(key, value)?).or_raise()
}

fn not_a_number(key: &str, value: &Bound<'_, PyAny>) -> PyResult<Error> {
    Ok(Error::invalid(format!(
        "{key} {} is not valid: expected an int",
        value.repr()?
    )))
}

/// A whole number in `range` from an int — not a bool, which Python
/// counts as an int but is never a count here — or `default` when left
/// out; out of range is refused as the CLI refuses it.
pub(crate) fn whole<T>(
    key: &str,
    value: Option<&Bound<'_, PyAny>>,
    default: T,
    range: RangeInclusive<T>,
) -> PyResult<T>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(value) = value else {
        return Ok(default);
    };
    parse_number(key, &int_text(key, value)?, range).or_raise()
}

/// An int's decimal text, for the core's number readers; a bool or any
/// other type is refused naming `key`.
pub(crate) fn int_text(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(not_a_number(key, value)?).or_raise();
    }
    Ok(value.str()?.to_string())
}

/// `mode=init`'s options from keyword arguments, read by the core as
/// the CLI's `key=value` words are.
pub(crate) fn options(peer_network: &str, more: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut pairs = vec![("peer_network".to_owned(), peer_network.to_owned())];
    for (key, value) in more.into_iter().flat_map(|d| d.iter()) {
        let key: String = key.extract()?;
        let text = text(&key, &value)?;
        pairs.push((key, text));
    }
    let pairs = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    Ok(SpecOptions::from_pairs(pairs).or_raise()?.0)
}

/// A str-parsed core value (`os`, `scope`, `family`…), as the CLI reads it.
pub(crate) fn word<T: FromStr<Err = Error>>(text: &str) -> PyResult<T> {
    text.parse().or_raise()
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
