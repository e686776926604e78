"""The native module of :mod:`vpc` (``vpc-core`` through pyo3).

Written by hand; ``python -m mypy.stubtest vpc._vpc`` checks it against
the module. Addresses are returned as text (``"10.100.0.1/30"``); an
address argument may be text or an :mod:`ipaddress` object.
"""

import ipaddress
import os
import pathlib
from collections.abc import Sequence
from typing import Any, ClassVar, Final, Literal, NoReturn, final

__version__: Final[str]

__all__ = [
    "__version__",
    "VpcError",
    "InvalidError",
    "CapacityError",
    "ConflictError",
    "NotFoundError",
    "StaleError",
    "CorruptError",
    "QuotaError",
    "BackendError",
    "RemoteError",
    "UnsupportedError",
    "IoError",
    "ERROR_CLASSES",
    "_raise",
    "Node",
    "NodeRecord",
    "End",
    "Link",
    "Spec",
    "Quota",
    "Usage",
    "Plan",
    "TunnelHealth",
    "Health",
    "Report",
    "Store",
    "mtu",
    "overhead",
    "admit",
    "parse_size",
]

_Size = int | str
_Options = str | int | bool
_Ip4 = str | ipaddress.IPv4Address
_Ip6 = str | ipaddress.IPv6Address

class VpcError(Exception):
    """Every error vpc raises; each kind has a subclass, whose ``kind``
    names it. The message names the offending value and what was
    expected."""

class InvalidError(VpcError):
    """A value breaks a rule: a malformed name, address, number or key."""

    kind: ClassVar[Literal["invalid"]]

class CapacityError(VpcError):
    """The peer network or the VNI space cannot hold what is asked."""

    kind: ClassVar[Literal["capacity"]]

class ConflictError(VpcError):
    """The request clashes with something that exists."""

    kind: ClassVar[Literal["conflict"]]

class NotFoundError(VpcError):
    """A VPC, node, member or interface that is not there."""

    kind: ClassVar[Literal["not_found"]]

class StaleError(VpcError):
    """A received spec is not newer than the one held."""

    kind: ClassVar[Literal["stale"]]

class CorruptError(VpcError):
    """A state file that cannot be read as what it should be."""

    kind: ClassVar[Literal["corrupt"]]

class QuotaError(VpcError):
    """A quota limit would be exceeded."""

    kind: ClassVar[Literal["quota"]]

class BackendError(VpcError):
    """A kernel operation failed."""

    kind: ClassVar[Literal["backend"]]

class RemoteError(VpcError):
    """Another node failed over SSH: connection, host key, login, a timeout, or the remote command."""

    kind: ClassVar[Literal["remote"]]

class UnsupportedError(VpcError):
    """The operation is not available on this platform or build."""

    kind: ClassVar[Literal["unsupported"]]

class IoError(VpcError):
    """The file system failed (permissions, disk full…)."""

    kind: ClassVar[Literal["io"]]

ERROR_CLASSES: Final[dict[str, type[VpcError]]]
"""Each error kind's name (``"invalid"``, ``"not_found"``, …, as the CLI's
``--json`` errors name it) and its class."""

def _raise(kind: str, message: str) -> NoReturn:
    """Raises the class of ``kind`` with ``message`` (for tests of the
    map: some kinds never arise on some platforms)."""

@final
class Node:
    """A host: its name and one or two underlay addresses."""

    def __new__(cls, name: str, ip4: _Ip4 | None = None, ip6: _Ip6 | None = None) -> Node:
        """A node; at least one address, each a unicast one."""

    @property
    def name(self) -> str:
        """The node's name."""

    @property
    def ip4(self) -> str | None:
        """The IPv4 underlay address, if any."""

    @property
    def ip6(self) -> str | None:
        """The IPv6 underlay address, if any."""

    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class NodeRecord:
    """A known host as the store records it: the node and how SSH reaches
    it."""

    @property
    def node(self) -> Node:
        """The node."""

    @property
    def name(self) -> str:
        """The node's name."""

    @property
    def ip4(self) -> str | None:
        """The IPv4 underlay address, if any."""

    @property
    def ip6(self) -> str | None:
        """The IPv6 underlay address, if any."""

    @property
    def port(self) -> int:
        """SSH port."""

    @property
    def user(self) -> str:
        """SSH user."""

    @property
    def command(self) -> str:
        """The ``vpc`` command run there."""

    @property
    def address(self) -> str | None:
        """The address SSH reaches it at, when not its underlay address."""

    @property
    def host_key(self) -> str | None:
        """The pinned SHA256 fingerprint of its host key, if any."""

    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class End:
    """One end of a link."""

    @property
    def slot(self) -> int:
        """The member's slot."""

    @property
    def node(self) -> str:
        """The member's name."""

    @property
    def underlay(self) -> str:
        """The member's underlay address used by this link."""

    @property
    def link_addr(self) -> str:
        """The link address this end puts on its tunnel, ``A/P``."""

    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Link:
    """One tunnel of the peer map."""

    @property
    def pair(self) -> int:
        """Pair index."""

    @property
    def vni(self) -> int:
        """VXLAN network identifier, the same on both ends."""

    @property
    def interface(self) -> str:
        """The tunnel's interface name on both ends, ``vxlan<vni>``."""

    @property
    def family(self) -> Literal["v4", "v6"]:
        """Underlay family."""

    @property
    def ends(self) -> tuple[End, End]:
        """The lower slot's end, then the higher slot's."""

    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Spec:
    """A VPC definition, as every member holds it. Always valid: it comes
    from :meth:`define`, :meth:`from_json` or a :class:`Store`, which all
    check it."""

    @staticmethod
    def define(name: str, members: Sequence[Node], *, peer_network: str, **options: _Options) -> Spec:
        """Defines a VPC over ``members`` (the first is the initiator, slot
        0) with ``vpc mode=init``'s options, without a store: no other VPC
        is considered, so ``vni_base`` defaults to 0."""

    @staticmethod
    def from_json(text: str) -> Spec:
        """Reads and checks a spec in JSON (as ``vpc mode=export`` prints
        it)."""

    def to_json(self) -> str:
        """The spec as JSON (``vpc mode=export``, without the final
        newline)."""

    @property
    def name(self) -> str:
        """The VPC's name (also its bridge's)."""

    @property
    def generation(self) -> int:
        """Incremented by every change."""

    @property
    def members(self) -> list[Node | None]:
        """Member slots in order; ``None`` is a vacant slot."""

    @property
    def peer_network(self) -> str:
        """The network link addresses are cut from."""

    @property
    def link_prefix(self) -> int:
        """Prefix of one link block."""

    @property
    def vni_base(self) -> int:
        """VNIs are ``vni_base + pair + 1``."""

    @property
    def vni_range(self) -> tuple[int, int]:
        """The VNIs the VPC reserves, first and last."""

    @property
    def port(self) -> int:
        """VXLAN UDP port."""

    @property
    def numbering(self) -> Literal["stable", "cbsd"]:
        """Pair numbering."""

    @property
    def underlay_mtu(self) -> int:
        """MTU of the underlay path between members."""

    @property
    def requested_mtu(self) -> int | None:
        """The MTU chosen with ``mtu=``, if any."""

    @property
    def mtu(self) -> int:
        """The VPC's MTU: of every tunnel, the bridge and guest ports."""

    @property
    def vlan(self) -> bool:
        """Whether guests carry 802.1Q tags."""

    @property
    def quota(self) -> Quota:
        """Cluster-wide limits on guests."""

    @property
    def departed(self) -> list[str]:
        """Removed members whose interfaces ``deploy`` still has to take
        down."""

    def bridge_ips(self, node: str) -> list[str]:
        """Member ``node``'s addresses on the VPC bridge."""

    def peer_map(self) -> list[Link]:
        """The peer map: one link per pair of members, by pair index."""

    def plan(
        self,
        node: str,
        *,
        os: Literal["freebsd", "linux"] | None = None,
        scope: Literal["all", "tunnels", "bridge"] = "all",
        teardown: bool = False,
    ) -> Plan:
        """Member ``node``'s plan against an empty node, with the commands
        of ``os`` (default this host's): ``vpc mode=apply dryrun=1 os=OS
        node=NODE``, or ``mode=teardown`` with ``teardown=True``."""

    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Quota:
    """Limits of a VPC; 0 means unlimited. Memory and disk are in bytes."""

    def __new__(cls, max_guests: int = 0, max_cpus: int = 0, max_mem: _Size | None = None, max_disk: _Size | None = None) -> Quota:
        """Limits; sizes as bytes or text such as ``"64g"``."""

    @property
    def max_guests(self) -> int:
        """Most guests attached at once."""

    @property
    def max_cpus(self) -> int:
        """Most virtual CPUs over all guests."""

    @property
    def max_mem(self) -> int:
        """Most memory over all guests, bytes."""

    @property
    def max_disk(self) -> int:
        """Most disk over all guests, bytes."""

    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Usage:
    """What a guest declares it uses, or what guests use together."""

    def __new__(cls, guests: int = 0, cpus: int = 0, mem: _Size | None = None, disk: _Size | None = None) -> Usage:
        """A usage; sizes as bytes or text such as ``"64g"``."""

    @staticmethod
    def guest(cpus: int = 0, mem: _Size | None = None, disk: _Size | None = None) -> Usage:
        """One guest with these resources."""

    @property
    def guests(self) -> int:
        """Number of guests."""

    @property
    def cpus(self) -> int:
        """Virtual CPUs."""

    @property
    def mem(self) -> int:
        """Memory, bytes."""

    @property
    def disk(self) -> int:
        """Disk, bytes."""

    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Plan:
    """A node's ordered changes for one VPC, and the same as commands."""

    @property
    def vpc(self) -> str:
        """The VPC."""

    @property
    def node(self) -> str:
        """The member the plan is for."""

    @property
    def os(self) -> Literal["freebsd", "linux"]:
        """Whose commands."""

    @property
    def changes(self) -> list[dict[str, Any]]:
        """The changes in order, as dicts with an ``op`` key (the CLI's
        ``--json`` ``changes``)."""

    @property
    def summary(self) -> list[str]:
        """Each change said in words (``create vxlan vxlan1 vni 1 …``)."""

    @property
    def warnings(self) -> list[str]:
        """Things to know (a tunnel the bridge waits for, …)."""

    @property
    def commands(self) -> list[str]:
        """The ``ifconfig`` or ``ip``/``bridge`` command lines of the
        changes: the CLI's ``dryrun=1`` output, one line each."""

    @property
    def dryrun(self) -> bool:
        """Whether it is a dry run (nothing was changed)."""

    def to_json(self) -> str:
        """The report as JSON, as the CLI prints it with ``--json`` and the
        C ABI returns it."""

    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class TunnelHealth:
    """One tunnel's health as the kernel shows it."""

    @property
    def peer(self) -> str:
        """The far end's node."""

    @property
    def interface(self) -> str:
        """Interface name."""

    @property
    def vni(self) -> int:
        """VNI."""

    @property
    def peer_addr(self) -> str:
        """The far end's link address (what the probe targets)."""

    @property
    def present(self) -> bool:
        """The interface exists as a vxlan."""

    @property
    def matching(self) -> bool:
        """Its VNI, addresses and port are the spec's."""

    @property
    def up(self) -> bool:
        """Administratively up."""

    @property
    def running(self) -> bool:
        """Operationally up."""

    @property
    def rtt_ms(self) -> float | None:
        """Round-trip time of the probe in milliseconds, if it answered."""

    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Health:
    """``status``: every difference between the spec and the kernel, and
    every tunnel's health."""

    @property
    def vpc(self) -> str:
        """The VPC."""

    @property
    def node(self) -> str:
        """This node."""

    @property
    def healthy(self) -> bool:
        """No difference, and every tunnel present, matching, up, running
        and answering."""

    @property
    def differences(self) -> list[str]:
        """Differences, one sentence each; ``apply`` repairs exactly these."""

    @property
    def warnings(self) -> list[str]:
        """What the operator should know that does not make the VPC
        unhealthy (pf not enabled, say)."""

    @property
    def tunnels(self) -> list[TunnelHealth]:
        """Tunnels, by VNI."""

    @property
    def probed(self) -> bool:
        """Whether the far ends were probed."""

    def to_json(self) -> str:
        """The report as JSON, as ``vpc mode=status --json`` prints it."""

    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Report:
    """Any operation's report, from :meth:`Store.run`: its JSON document."""

    def to_json(self) -> str:
        """The report as JSON, as the CLI prints it with ``--json`` and the
        C ABI's ``vpc_store_run`` returns it."""

    @property
    def data(self) -> Any:
        """The report as Python dicts and lists."""

    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Store:
    """A state directory: this host's identity, the hosts it knows and the
    VPCs it holds. Nothing is created until the first change."""

    def __new__(
        cls, path: str | os.PathLike[str] | None = None, *, lock_timeout: int = 30
    ) -> Store:
        """The store at ``path``; by default ``$VPC_STATE_DIR``, else the
        system's (``/var/lib/vpc``, ``/var/db/vpc`` on FreeBSD). A change waits
        at most ``lock_timeout`` seconds (0 to 3600) for another process's
        lock, then raises ``ConflictError`` naming the holder."""

    @property
    def lock_timeout(self) -> int:
        """How long a change waits for the lock, in seconds."""

    @property
    def path(self) -> pathlib.Path:
        """The directory."""

    def identity(self) -> Node | None:
        """This host's identity, if set."""

    def init_node(self, name: str, ip4: _Ip4 | None = None, ip6: _Ip6 | None = None) -> str:
        """Sets this host's identity (``vpc node mode=init``); returns
        ``created``, ``updated`` or ``unchanged``."""

    def add_node(
        self,
        name: str,
        ip4: _Ip4 | None = None,
        ip6: _Ip6 | None = None,
        *,
        port: int = 22,
        user: str = "root",
        command: str = "vpc",
        replace: bool = False,
    ) -> str:
        """Records a host without contacting it (``vpc node mode=add
        offline=1``); returns ``created``, ``updated`` or ``unchanged``. A name
        recorded with other addresses raises ``ConflictError`` unless
        ``replace``."""

    def remove_node(self, name: str) -> str:
        """Forgets a host; returns ``removed``."""

    def nodes(self) -> list[NodeRecord]:
        """Every known host, by name."""

    def vpcs(self) -> list[Spec]:
        """Every VPC held, by name."""

    def vpc(self, name: str) -> Spec:
        """The spec of VPC ``name``."""

    def init_vpc(self, name: str, node_member: str | Sequence[str] = "all", *, peer_network: str, **options: _Options) -> Spec:
        """Defines a VPC with this host as initiator (``vpc mode=init``):
        ``node_member`` is ``"all"``, ``"a,b"`` or a list of names;
        ``options`` are ``mode=init``'s (``vni_base``, ``port``,
        ``numbering``, ``link_prefix``, ``underlay_mtu``, ``mtu``,
        ``vlan``, ``max_guests``, ``max_cpus``, ``max_mem``,
        ``max_disk``). Repeating the same definition changes nothing."""

    def remove_vpc(self, name: str, *, force: bool = False) -> str:
        """Forgets a VPC's spec, guest records and boot files (``vpc
        mode=remove``): refused while this host holds its interfaces or
        guest ports, unless ``force``, which tears them down first; returns
        ``removed``."""

    def add_member(self, vpc: str, node: str) -> Spec:
        """Adds a known host to a VPC, in the first vacant slot."""

    def remove_member(self, vpc: str, node: str) -> Spec:
        """Removes a member from a VPC; its slot stays vacant."""

    def set_bridge_ips(self, vpc: str, addrs: Sequence[str]) -> str:
        """Sets this host's addresses on the VPC bridge (``bridge_ips=``);
        returns ``updated`` or ``unchanged``."""

    def export(self, vpc: str) -> str:
        """The spec of ``vpc`` as JSON, for another member's
        :meth:`receive`."""

    def receive(self, text: str) -> str:
        """Stores a spec received as JSON (``vpc mode=receive``) after
        checking it like local input; returns ``created``, ``updated`` or
        ``unchanged``."""

    def plan(
        self,
        vpc: str,
        *,
        node: str | None = None,
        os: Literal["freebsd", "linux"] | None = None,
        scope: Literal["all", "tunnels", "bridge"] = "all",
        teardown: bool = False,
    ) -> Plan:
        """The plan of ``vpc`` without changing anything (``vpc
        mode=apply dryrun=1``): against this host's kernel when ``node``
        and ``os`` are left out (or ``os`` is this host's), else against an
        empty ``node``."""

    def apply(self, vpc: str, scope: Literal["all", "tunnels", "bridge"] = "all") -> Plan:
        """Converges ``scope`` of ``vpc`` on this host's kernel (``vpc
        mode=apply``); returns what was done. Needs root."""

    def teardown(self, vpc: str, scope: Literal["all", "tunnels", "bridge"] = "all") -> Plan:
        """Removes ``scope`` of ``vpc``'s interfaces from this host (``vpc
        mode=teardown``); returns what was done. Needs root."""

    def status(self, vpc: str, timeout_ms: int = 1000) -> Health:
        """Compares this host's interfaces of ``vpc`` with the spec and
        probes every tunnel's far end, waiting ``timeout_ms`` for answers
        (``vpc mode=status``)."""

    def attach(self, vpc: str, iface: str, *, cpus: int = 0, mem: _Size | None = None, disk: _Size | None = None) -> str:
        """Attaches guest port ``iface`` to ``vpc``'s bridge after the
        quota admits what it declares (``vpc mode=attach``); returns
        ``created``, ``updated`` or ``unchanged``."""

    def detach(self, vpc: str, iface: str) -> str:
        """Takes guest port ``iface`` out of ``vpc``'s bridge and forgets it
        (``vpc mode=detach``); returns ``removed`` or ``unchanged``."""

    def run(self, op: str, *, input: str | None = None, **pairs: str | int | bool) -> Report:
        """Runs any operation as the command line does, with ``pairs`` as
        its ``key=value`` words: ``op`` is the words after ``vpc``, such as
        ``"node init"``, ``"init"`` or ``"apply"``; ``input`` is the
        document ``"receive"`` reads. Returns the report that ``vpc OP …
        --json`` prints."""

def mtu(underlay_mtu: int, families: Sequence[Literal["v4", "v6"]], vlan: bool = False, requested: int | None = None) -> int:
    """The VPC MTU for ``underlay_mtu`` over pairs of ``families`` (none
    counts as ``v6``), with 802.1Q tags if ``vlan``, or ``requested`` after
    checking it against that limit and 1280."""

def overhead(family: Literal["v4", "v6"], vlan: bool = False) -> int:
    """VXLAN's overhead in bytes over an underlay of ``family``."""

def admit(quota: Quota, used: Usage, request: Usage) -> Usage:
    """Checks that ``request`` fits beside ``used`` under ``quota``;
    returns the usage after it."""

def parse_size(key: str, text: str) -> int:
    """A size such as ``512m``, ``16g``, ``2t`` or a byte count, in bytes;
    ``key`` names it in errors."""
