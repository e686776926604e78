//! The exception hierarchy: `VpcError`, and under it one class per
//! [`ErrorKind`], chosen by [`class_of`]. The message is the core's.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use pyo3::{PyTypeInfo, create_exception};
use vpc_core::{Error, ErrorKind};

create_exception!(
    vpc._vpc,
    VpcError,
    PyException,
    "Every error vpc raises; `kind` names the class's ErrorKind."
);
create_exception!(
    vpc._vpc,
    InvalidError,
    VpcError,
    "A value breaks a rule: a malformed name, address, number or key."
);
create_exception!(
    vpc._vpc,
    CapacityError,
    VpcError,
    "The peer network or the VNI space cannot hold what is asked."
);
create_exception!(
    vpc._vpc,
    ConflictError,
    VpcError,
    "The request clashes with something that exists."
);
create_exception!(
    vpc._vpc,
    NotFoundError,
    VpcError,
    "A VPC, node, member or interface that is not there."
);
create_exception!(
    vpc._vpc,
    StaleError,
    VpcError,
    "A received spec is not newer than the one held."
);
create_exception!(
    vpc._vpc,
    CorruptError,
    VpcError,
    "A state file that cannot be read as what it should be."
);
create_exception!(
    vpc._vpc,
    QuotaError,
    VpcError,
    "A quota limit would be exceeded."
);
create_exception!(
    vpc._vpc,
    BackendError,
    VpcError,
    "A kernel operation failed."
);
create_exception!(
    vpc._vpc,
    RemoteError,
    VpcError,
    "Another node failed over SSH: connection, host key, login, a timeout, or the remote command."
);
create_exception!(
    vpc._vpc,
    UnsupportedError,
    VpcError,
    "The operation is not available on this platform or build."
);
create_exception!(
    vpc._vpc,
    IoError,
    VpcError,
    "The file system failed (permissions, disk full…)."
);

/// The class of `kind`. No wildcard arm: a new kind does not compile
/// until it has a class of its own.
fn class_of(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    match kind {
        ErrorKind::Invalid => InvalidError::type_object(py),
        ErrorKind::Capacity => CapacityError::type_object(py),
        ErrorKind::Conflict => ConflictError::type_object(py),
        ErrorKind::NotFound => NotFoundError::type_object(py),
        ErrorKind::Stale => StaleError::type_object(py),
        ErrorKind::Corrupt => CorruptError::type_object(py),
        ErrorKind::Quota => QuotaError::type_object(py),
        ErrorKind::Backend => BackendError::type_object(py),
        ErrorKind::Remote => RemoteError::type_object(py),
        ErrorKind::Unsupported => UnsupportedError::type_object(py),
        ErrorKind::Io => IoError::type_object(py),
    }
}

/// The Python exception for a core error.
pub(crate) fn to_py(e: Error) -> PyErr {
    Python::attach(|py| PyErr::from_type(class_of(py, e.kind()), e.message().to_owned()))
}

/// `?` for core results inside Python-facing functions.
pub(crate) trait OrRaise<T> {
    /// The value, or the error as its Python exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for vpc_core::Result<T> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Raises the exception of the kind named `kind` with `message`: lets the
/// tests check the whole map, kinds this platform never raises included.
#[pyfunction]
fn _raise(kind: &str, message: &str) -> PyResult<()> {
    let known = ErrorKind::ALL.into_iter().find(|k| k.name() == kind);
    let kind = known.ok_or_else(|| to_py(Error::invalid(format!("kind {kind:?} is not known"))))?;
    Err(to_py(Error::new(kind, message)))
}

/// Adds the classes to the module, each with its `kind`, and
/// `ERROR_CLASSES` (kind name → class).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("VpcError", VpcError::type_object(py))?;
    let classes = PyDict::new(py);
    for kind in ErrorKind::ALL {
        let class = class_of(py, kind);
        class.setattr("kind", kind.name())?;
        classes.set_item(kind.name(), &class)?;
        m.add(class.name()?, class)?;
    }
    m.add("ERROR_CLASSES", classes)?;
    m.add_function(wrap_pyfunction!(_raise, m)?)
}
