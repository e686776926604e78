//! `vpc._vpc`: the native half of the Python package `vpc` (pyo3, built by
//! maturin; `bindings/python/python/vpc/` re-exports it).
//!
//! Every function here is a thin door into `vpc-core`, so that Python, the
//! CLI and the C ABI answer alike:
//!
//! - [`errors`]: one exception class per `ErrorKind`, under `VpcError`,
//!   chosen by one exhaustive match.
//! - [`args`]: Python arguments to core values (names, addresses, options).
//! - [`model`]: value objects (`Node`, `Spec`, `Link`, `Quota`, …) and the
//!   pure functions (`mtu`, `overhead`, `admit`, `parse_size`).
//! - [`report`]: the core's reports (`Plan`, `Health`, `Report`), each
//!   with `to_json()`.
//! - [`store`]: `Store`, a state directory and the local operations on it;
//!   the kernel is called with the interpreter released.

mod args;
mod errors;
mod model;
mod report;
mod store;

use pyo3::prelude::*;

/// The module `vpc._vpc`.
#[pymodule]
fn _vpc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<model::Node>()?;
    m.add_class::<model::NodeRecord>()?;
    m.add_class::<model::End>()?;
    m.add_class::<model::Link>()?;
    m.add_class::<model::Spec>()?;
    m.add_class::<model::Quota>()?;
    m.add_class::<model::Usage>()?;
    m.add_class::<report::Plan>()?;
    m.add_class::<report::TunnelHealth>()?;
    m.add_class::<report::Health>()?;
    m.add_class::<report::Report>()?;
    m.add_class::<store::Store>()?;
    m.add_function(wrap_pyfunction!(model::mtu, m)?)?;
    m.add_function(wrap_pyfunction!(model::overhead, m)?)?;
    m.add_function(wrap_pyfunction!(model::admit, m)?)?;
    m.add_function(wrap_pyfunction!(model::parse_size, m)?)?;
    Ok(())
}
