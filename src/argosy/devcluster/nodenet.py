"""The network of a local cluster's real nodes: one network namespace per node, on a host bridge.

Why namespaces: kube-proxy owns fixed iptables chains (``KUBE-SERVICES`` …) and a kubelet
its port 10250, so two clusters with real nodes in the host's namespace would fight over
them. Each real node therefore lives in a network namespace of its own (kubelet, containerd,
kube-proxy and the node's Pods' CNI bridge are all inside), wired to a per-cluster bridge on
the host by a veth pair. Deleting the namespace removes everything inside it (iptables
rules, the CNI bridge, the Pods' veths); deleting the host bridge removes the rest.

Addresses (``index`` is the cluster's slot, 0-99, free on this machine when it starts):

* node network ``172.30.<index>.0/24``: the host bridge is ``.1`` (the API server and the
  cluster DNS listen there), node ``i`` is ``.(10 + i)``;
* Pods of node ``i``: ``10.<100 + index>.<i>.0/24`` (the cluster's Pod CIDR is the /16);
* Services: ``10.96.0.0/16`` in every cluster — each node's kube-proxy programs only its
  own namespace, so clusters never see each other's Service IPs.

Only loopback-like, host-local addresses are used: nothing is reachable from outside the
machine, and nothing outside is touched.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

MAX_CLUSTERS = 100
_NODE_NET = "172.30.{index}.0/24"
_POD_CIDR = "10.{octet}.{node}.0/24"


class NodeNetError(RuntimeError):
    """A network step failed; the message names the command and the kernel's answer."""


@dataclass(frozen=True)
class NodeAddress:
    """Where one real node lives."""

    name: str
    netns: str  # the network namespace's name (``ip netns``)
    host_veth: str  # the host end of the node's veth pair (on the bridge)
    ip: str  # the node's address on the node network
    pod_cidr: str


@dataclass(frozen=True)
class NetworkPlan:
    """A cluster's addresses: computed from its slot, so ``down`` can recompute the names."""

    cluster: str
    index: int

    @property
    def bridge(self) -> str:
        return f"argosy{self.index}"  # at most 8 characters (kernel limit: 15)

    @property
    def gateway(self) -> str:
        """The host's address on the node network: the API server and DNS listen here."""
        return f"172.30.{self.index}.1"

    @property
    def node_network(self) -> str:
        return _NODE_NET.format(index=self.index)

    @property
    def pod_network(self) -> str:
        return f"10.{100 + self.index}.0.0/16"

    def node(self, i: int) -> NodeAddress:
        if not 0 <= i < 200:
            raise ValueError(f"node index {i} out of range (0-199)")
        return NodeAddress(
            name=f"real-node-{i}",
            netns=f"argosy-{self.cluster}-{i}",
            host_veth=f"ar{self.index}n{i}",
            ip=f"172.30.{self.index}.{10 + i}",
            pod_cidr=_POD_CIDR.format(octet=100 + self.index, node=i),
        )


def _run(*argv: str, check: bool = True, netns: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = list(argv) if netns is None else ["ip", "netns", "exec", netns, *argv]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise NodeNetError(f"`{' '.join(cmd)}` failed: {(proc.stderr or proc.stdout).strip()}")
    return proc


def used_indexes() -> set[int]:
    """Slots taken by a cluster running on this machine (an ``argosyN`` bridge exists)."""
    out = _run("ip", "-o", "link", "show", "type", "bridge", check=False).stdout
    return {int(m.group(1)) for m in re.finditer(r"^\d+: argosy(\d+)[:@]", out, re.M)}


def free_index(taken: set[int] | None = None) -> int:
    taken = used_indexes() if taken is None else taken
    for index in range(MAX_CLUSTERS):
        if index not in taken:
            return index
    raise NodeNetError(f"all {MAX_CLUSTERS} real-node network slots are in use: stop a cluster first")


def check_kernel() -> None:
    """Name the missing kernel feature before anything is created."""
    if not Path("/proc/sys/net/bridge").is_dir():
        raise NodeNetError(
            "the kernel has no br_netfilter (/proc/sys/net/bridge is missing): Services of real nodes "
            "need it; load the module (modprobe br_netfilter) or use kwok nodes only"
        )
    if not Path("/run/netns").exists():
        Path("/run/netns").mkdir(parents=True, exist_ok=True)


def create_bridge(plan: NetworkPlan) -> None:
    """The host side: a bridge holding the gateway address."""
    check_kernel()
    _run("ip", "link", "add", plan.bridge, "type", "bridge")
    prefix = ipaddress.ip_network(plan.node_network).prefixlen
    _run("ip", "addr", "add", f"{plan.gateway}/{prefix}", "dev", plan.bridge)
    _run("ip", "link", "set", plan.bridge, "up")


def create_node(plan: NetworkPlan, i: int, count: int) -> NodeAddress:
    """A node's namespace, wired to the bridge, with routes to every other node's Pods."""
    node = plan.node(i)
    prefix = ipaddress.ip_network(plan.node_network).prefixlen
    _run("ip", "netns", "add", node.netns)
    _run("ip", "link", "add", node.host_veth, "type", "veth", "peer", "name", "eth0", "netns", node.netns)
    _run("ip", "link", "set", node.host_veth, "master", plan.bridge)
    _run("ip", "link", "set", node.host_veth, "up")
    for argv in (
        ("ip", "link", "set", "lo", "up"),
        ("ip", "addr", "add", f"{node.ip}/{prefix}", "dev", "eth0"),
        ("ip", "link", "set", "eth0", "up"),
        ("ip", "route", "add", "default", "via", plan.gateway),
        ("sysctl", "-qw", "net.ipv4.ip_forward=1"),
        ("sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"),
        # NodePorts reached on the node's address from the host, and Services whose endpoint
        # is on the same bridge, need the "route_localnet"-free defaults plus hairpin (CNI).
        ("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"),
    ):
        _run(*argv, netns=node.netns)
    for j in range(count):
        if j != i:
            other = plan.node(j)
            _run("ip", "route", "add", other.pod_cidr, "via", other.ip, netns=node.netns)
    # The host reaches Pods directly too (tests, debugging): via the node that holds them.
    _run("ip", "route", "replace", node.pod_cidr, "via", node.ip)
    return node


def remove(plan: NetworkPlan, count: int) -> list[str]:
    """Delete the namespaces and the bridge (whatever exists of them); return what was removed."""
    removed: list[str] = []
    for i in range(count):
        node = plan.node(i)
        if _run("ip", "netns", "delete", node.netns, check=False).returncode == 0:
            removed.append(f"netns {node.netns}")
        _run("ip", "link", "delete", node.host_veth, check=False)
    if _run("ip", "link", "delete", plan.bridge, check=False).returncode == 0:
        removed.append(f"bridge {plan.bridge}")
    return removed


def netns_path(node: NodeAddress) -> str:
    return f"/run/netns/{node.netns}"
