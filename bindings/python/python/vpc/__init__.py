"""Stretched layer-2 VPCs over VXLAN, from Python.

The same library as the ``vpc`` command (``vpc-core``), so both give the
same answers: a :class:`Store` is a state directory (``$VPC_STATE_DIR`` by
default) with this host's identity, the hosts it knows and the VPCs it
holds; a :class:`Spec` is one VPC's definition, from which every member
computes the same peer map and plan. Every error is a :class:`VpcError`,
one subclass per kind.
"""

from vpc._vpc import (
    ERROR_CLASSES,
    BackendError,
    CapacityError,
    ConflictError,
    CorruptError,
    End,
    Health,
    InvalidError,
    IoError,
    Link,
    Node,
    NodeRecord,
    NotFoundError,
    Plan,
    Quota,
    QuotaError,
    RemoteError,
    Spec,
    StaleError,
    Store,
    TunnelHealth,
    UnsupportedError,
    Usage,
    VpcError,
    __version__,
    admit,
    mtu,
    overhead,
    parse_size,
)

__all__ = [
    "ERROR_CLASSES",
    "BackendError",
    "CapacityError",
    "ConflictError",
    "CorruptError",
    "End",
    "Health",
    "InvalidError",
    "IoError",
    "Link",
    "Node",
    "NodeRecord",
    "NotFoundError",
    "Plan",
    "Quota",
    "QuotaError",
    "RemoteError",
    "Spec",
    "StaleError",
    "Store",
    "TunnelHealth",
    "UnsupportedError",
    "Usage",
    "VpcError",
    "__version__",
    "admit",
    "mtu",
    "overhead",
    "parse_size",
]
