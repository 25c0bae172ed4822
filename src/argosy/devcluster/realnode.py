"""A real node of a local cluster: containerd, kubelet and kube-proxy in the node's namespace.

What it takes on these machines (see ``shared/notes/containers.md``): cgroup v1 with the
``cgroupfs`` driver (the kubelet refuses v1 unless ``failCgroupV1: false``), containerd 1.6
from Debian with ``restrict_oom_score_adj`` (root lacks ``CAP_SYS_RESOURCE``, so neither
containerd nor the kubelet may lower OOM scores), the CNI bridge from Debian's
``containernetworking-plugins``, and kube-proxy in iptables mode (no IPVS here).

Every file a node uses is under ``<cluster dir>/nodes/<node>``; its processes run in its
network namespace (:mod:`argosy.devcluster.nodenet`) through ``nsenter --net`` — not
``ip netns exec``, whose private mount namespace would hide the kubelet's volume mounts from
containerd. Pods' cgroups live under ``/argosy-<cluster>-<node>`` in every hierarchy, so
two clusters' kubelets never share ``/kubepods``. :func:`teardown` undoes all of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from argosy.devcluster import image_set, images, pki
from argosy.devcluster.nodenet import NetworkPlan, NodeAddress, netns_path

SANDBOX_IMAGE = image_set.PAUSE_REF
CNI_BIN_DIR = "/usr/lib/cni"
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: Debian packages a real node needs, and the file that shows each is installed.
PACKAGES = {
    "containerd": "/usr/bin/containerd",
    "runc": "/usr/sbin/runc",
    "containernetworking-plugins": f"{CNI_BIN_DIR}/bridge",
}
#: Taint kwok nodes carry once real nodes exist: only Pods tolerating it land on simulated nodes.
KWOK_TAINT = {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}


class NodeError(RuntimeError):
    """A real node could not be prepared or started; the message names the part and what to do."""


@dataclass(frozen=True)
class NodeFiles:
    """Paths of one node's configuration and runtime state."""

    root: Path

    @property
    def containerd_config(self) -> Path:
        return self.root / "containerd.toml"

    @property
    def containerd_socket(self) -> Path:
        return self.root / "containerd.sock"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "kubelet.yaml"

    @property
    def kubelet_kubeconfig(self) -> Path:
        return self.root / "kubelet.kubeconfig"

    @property
    def proxy_config(self) -> Path:
        return self.root / "kube-proxy.yaml"

    @property
    def proxy_kubeconfig(self) -> Path:
        return self.root / "kube-proxy.kubeconfig"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"


def check_packages() -> None:
    missing = [pkg for pkg, probe in PACKAGES.items() if not Path(probe).exists()]
    if missing:
        raise NodeError(
            f"real nodes need Debian's {', '.join(missing)}: run `bash dev/setup.sh` "
            f"(or apt-get install {' '.join(missing)})"
        )


def cgroup_name(cluster: str, node: NodeAddress) -> str:
    return f"argosy-{cluster}-{node.name}"


def _hierarchies() -> list[Path]:
    """The cgroup v1 hierarchies (one directory per mounted controller set)."""
    if not CGROUP_ROOT.is_dir():
        return []
    return [p for p in CGROUP_ROOT.iterdir() if p.is_dir() and not p.is_symlink()]


def create_cgroup(name: str) -> None:
    """The kubelet wants its ``cgroupRoot`` to exist in every hierarchy already."""
    for hierarchy in _hierarchies():
        with contextlib.suppress(FileExistsError):
            (hierarchy / name).mkdir()


def remove_cgroup(name: str) -> None:
    """Remove the node's cgroup trees, deepest first (only empty cgroups can be removed)."""
    for hierarchy in _hierarchies():
        top = hierarchy / name
        if not top.is_dir():
            continue
        dirs = sorted((Path(d) for d, _, _ in os.walk(top)), key=lambda p: len(p.parts), reverse=True)
        for d in dirs:
            with contextlib.suppress(OSError):
                d.rmdir()


def containerd_config(files: NodeFiles) -> str:
    """containerd's TOML (version 2): private root/state/socket, CRI with the node's CNI dir."""
    root = files.root / "containerd"
    return f"""version = 2
root = "{root / "root"}"
state = "{root / "state"}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{files.containerd_socket}"

[ttrpc]
  address = "{files.containerd_socket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{root / "opt"}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{SANDBOX_IMAGE}"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails ("can't get final
  # child's PID from pipe"), as containerd would give the pause container OOM score -998.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{files.cni_conf_dir}"
"""


def cni_config(node: NodeAddress, files: NodeFiles) -> dict[str, Any]:
    """The node's Pod network: a bridge inside its namespace, addresses from its Pod CIDR."""
    return {
        "cniVersion": "1.0.0",
        "name": "argosy",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,  # a Pod reaching itself through its own Service
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": node.pod_cidr}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": str(files.root / "cni" / "ipam"),
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def kubelet_config(
    cluster: str, plan: NetworkPlan, node: NodeAddress, files: NodeFiles, ca: Path
) -> dict[str, Any]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": node.ip,
        "port": 10250,  # inside the node's namespace: no clash between nodes or clusters
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(ca)},
        },
        "authorization": {"mode": "Webhook"},
        "containerRuntimeEndpoint": f"unix://{files.containerd_socket}",
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": f"/{cgroup_name(cluster, node)}",
        "failCgroupV1": False,
        "failSwapOn": False,
        "oomScoreAdj": 0,  # see restrict_oom_score_adj
        "clusterDNS": [plan.gateway],
        "clusterDomain": "cluster.local",
        "resolvConf": str(files.root / "resolv.conf"),
        "podLogsDir": str(files.root / "pod-logs"),
        "podCIDR": node.pod_cidr,
        "serializeImagePulls": False,
        "maxPods": 110,
        # A dev machine's disk is often fuller than a node's would be: evict only when really full,
        # and never garbage-collect the locally built images (nothing could pull them back).
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%"},
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "nodeStatusReportFrequency": "10s",
        "registerNode": True,
        "enforceNodeAllocatable": ["pods"],
        "localStorageCapacityIsolation": True,
        "protectKernelDefaults": False,
    }


def proxy_config(plan: NetworkPlan, node: NodeAddress, files: NodeFiles) -> dict[str, Any]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clusterCIDR": plan.pod_network,
        "hostnameOverride": node.name,
        "bindAddress": node.ip,
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        "clientConnection": {"kubeconfig": str(files.proxy_kubeconfig)},
        # Leave the machine-wide conntrack limits alone (they are not per namespace).
        "conntrack": {"maxPerCore": 0, "min": 0},
        "nodePortAddresses": [f"{node.ip}/32"],
    }


def prepare(
    cluster: str, plan: NetworkPlan, node: NodeAddress, root: Path, certs: pki.ClusterPKI, server: str
) -> NodeFiles:
    """Write every file the node's processes are started with."""
    files = NodeFiles(root)
    files.cni_conf_dir.mkdir(parents=True, exist_ok=True)
    (root / "pod-logs").mkdir(exist_ok=True)
    (root / "resolv.conf").write_text(f"nameserver {plan.gateway}\n")
    files.containerd_config.write_text(containerd_config(files))
    (files.cni_conf_dir / "10-argosy.conflist").write_text(json.dumps(cni_config(node, files), indent=2))
    kubelet_cert, kubelet_key = pki.client_cert(
        certs, f"kubelet-{cluster}-{node.name}", f"system:node:{node.name}", "system:nodes"
    )
    files.kubelet_kubeconfig.write_text(
        pki.kubeconfig_yaml(
            server, certs.ca_cert, kubelet_cert, kubelet_key, context="local", user=f"system:node:{node.name}"
        )
    )
    files.kubelet_config.write_text(yaml.safe_dump(kubelet_config(cluster, plan, node, files, certs.ca_cert)))
    proxy_cert, proxy_key = pki.client_cert(certs, "kube-proxy", "system:kube-proxy")
    files.proxy_kubeconfig.write_text(
        pki.kubeconfig_yaml(server, certs.ca_cert, proxy_cert, proxy_key, context="local", user="kube-proxy")
    )
    files.proxy_config.write_text(yaml.safe_dump(proxy_config(plan, node, files)))
    return files


def in_netns(node: NodeAddress, argv: list[str]) -> list[str]:
    return ["nsenter", f"--net={netns_path(node)}", "--", *argv]


def containerd_argv(node: NodeAddress, files: NodeFiles) -> list[str]:
    return in_netns(node, ["containerd", "--config", str(files.containerd_config), "--log-level", "warn"])


def kubelet_argv(binary: Path, node: NodeAddress, files: NodeFiles) -> list[str]:
    return in_netns(
        node,
        [
            str(binary),
            f"--config={files.kubelet_config}",
            f"--kubeconfig={files.kubelet_kubeconfig}",
            f"--root-dir={files.root / 'kubelet'}",
            f"--cert-dir={files.root / 'kubelet-pki'}",
            f"--hostname-override={node.name}",
            f"--node-ip={node.ip}",
            "--node-labels=argosy.dev/real-node=true",
            "--v=1",
        ],
    )


def proxy_argv(binary: Path, node: NodeAddress, files: NodeFiles) -> list[str]:
    return in_netns(node, [str(binary), f"--config={files.proxy_config}", "--v=1"])


def corefile(plan: NetworkPlan, kubeconfig: Path, context: str) -> str:
    """CoreDNS for the cluster domain, on the gateway (kubelets point Pods' resolv.conf there).

    Names outside the cluster get SERVFAIL quickly: this machine reaches no outside DNS.
    The binary has only the plugins named here compiled in (dev/coredns/main.go)."""
    return f""".:53 {{
    bind {plan.gateway}
    errors
    health 127.0.0.1:0
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        kubeconfig {kubeconfig} {context}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }}
    cache 5
}}
"""


def ctr(files: NodeFiles, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ctr", "--address", str(files.containerd_socket), "--namespace", "k8s.io", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def runtime_ready(files: NodeFiles) -> bool:
    try:
        return ctr(files, "version", timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def pod_netns_paths(files: NodeFiles) -> list[Path]:
    """The network namespaces containerd made for the node's Pods: bind mounts in ``/run/netns``
    (``cni-<uuid>``, a fixed place in containerd 1.6), read from each sandbox's OCI spec."""
    paths: set[Path] = set()
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        for cid in ctr(files, "containers", "list", "-q", timeout=10).stdout.split():
            info = ctr(files, "containers", "info", cid, timeout=10).stdout
            try:
                spec = json.loads(info).get("Spec") or {}
            except ValueError:
                continue
            for ns in (spec.get("linux") or {}).get("namespaces") or ():
                path = str(ns.get("path") or "")
                if ns.get("type") == "network" and "/netns/cni-" in path:
                    paths.add(Path(path))
    return sorted(paths)


def remove_netns_files(paths: list[Path]) -> None:
    for path in paths:
        subprocess.run(["umount", str(path)], capture_output=True, check=False)
        path.unlink(missing_ok=True)


def kill_containers(files: NodeFiles) -> None:
    """SIGKILL every task of the node's containerd and the shims it started (they outlive it)."""
    if files.containerd_socket.exists():
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            tasks = ctr(files, "tasks", "list", "-q", timeout=10).stdout.split()
            for task in tasks:
                ctr(files, "tasks", "kill", "-s", "SIGKILL", "--all", task, timeout=10)
            for task in tasks:
                ctr(files, "tasks", "delete", "-f", task, timeout=10)
    socket = str(files.containerd_socket)
    for pid in _shims(socket):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _shims(socket: str) -> list[int]:
    """PIDs of containerd shims started for ``socket`` (``-address <socket>`` on their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and socket.encode() in argv:
            found.append(int(entry.name))
    return found


def unmount_under(path: Path) -> list[str]:
    """Lazily unmount every mount point below ``path`` (deepest first): volumes, rootfs, shm."""
    prefix = str(path.resolve()) + "/"
    points = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                points.append(point)
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    return points


def wait_gone(pids: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.05)


def teardown(cluster: str, node: NodeAddress, files: NodeFiles) -> None:
    """After the node's processes stopped: containers, mounts, cgroups (the namespace goes later)."""
    kill_containers(files)
    wait_gone(_shims(str(files.containerd_socket)))
    unmount_under(files.root)
    remove_cgroup(cgroup_name(cluster, node))
    shutil.rmtree(files.root, ignore_errors=True)


def node_images(progress: Callable[[str], None] | None = None) -> list[Path]:
    """The locally built images every real node gets: the sandbox (pause), a shell (busybox) and
    the demo web server's versions — no registry outside is reachable, so nothing is pulled."""
    return list(image_set.all_images(progress).values())


def load_images(files: NodeFiles, archives: list[Path]) -> None:
    for archive in archives:
        images.load_into_containerd(archive, files.containerd_socket)
