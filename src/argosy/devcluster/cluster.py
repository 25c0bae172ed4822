"""Start, inspect and stop one named local cluster.

A cluster is etcd + kube-apiserver + kube-controller-manager + kube-scheduler
+ kwok, each a process of its own listening on loopback ports chosen at
``up``. Everything a cluster owns (certificates, etcd data, logs, kubeconfig,
the PIDs it started) lives in ``<state>/clusters/<name>``; ``down`` stops
exactly the recorded processes (checked by PID *and* start time, so a recycled
PID is never signalled) and removes that folder.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import re
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from argosy import procstat
from argosy.devcluster import build, nodenet, pki, realnode
from argosy.devcluster.paths import state_dir
from argosy.devcluster.ports import free_ports

COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")
SERVICE_CIDR = "10.96.0.0/16"
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
#: Lease duration kwok gives each node (renewed every quarter of it); the node monitor's grace
#: period below is this long too, as a kubelet's defaults pair them.
NODE_LEASE_SECONDS = 40

Progress = Callable[[str], None]


class ClusterError(RuntimeError):
    """A cluster could not be started or inspected; the message says which part and why."""


@dataclass
class ProcessRecord:
    pid: int
    start_time: str  # field 22 of /proc/PID/stat: tells a recycled PID apart
    log: str


@dataclass
class ClusterState:
    name: str
    ports: dict[str, int]
    processes: dict[str, ProcessRecord] = field(default_factory=dict)
    started_at: float = 0.0
    ready_seconds: float = 0.0
    #: Real nodes (kubelet + containerd) and their network slot (:mod:`nodenet`); -1: none.
    real_nodes: int = 0
    net_index: int = -1
    #: Where the API server listens: loopback, or the node network's gateway with real nodes
    #: (kubelets and Pods must reach it; loopback is not reachable from their namespaces).
    host: str = "127.0.0.1"
    #: kube-controller-manager's requests per second to the API server (burst twice that);
    #: 0: its own default, 20 (burst 30), which alone takes ~240 s to roll out 1,000 Deployments.
    controller_manager_qps: int = 0

    @property
    def server(self) -> str:
        return f"https://{self.host}:{self.ports['apiserver']}"

    @property
    def network(self) -> nodenet.NetworkPlan | None:
        return nodenet.NetworkPlan(self.name, self.net_index) if self.net_index >= 0 else None


def _proc_start_time(pid: int) -> str | None:
    return procstat.start_time(pid)


def process_running(pid: int) -> bool:
    """Whether ``pid`` exists and has not exited (a zombie counts as exited)."""
    return _proc_start_time(pid) is not None


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
    """Run the machine's kubectl against ``kubeconfig``; raise :class:`ClusterError` with its stderr."""
    proc = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise ClusterError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def _alive(record: ProcessRecord) -> bool:
    return _proc_start_time(record.pid) == record.start_time


def validate_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise ClusterError(
            f"invalid cluster name {name!r}: use lowercase letters, digits and '-', at most 32 characters"
        )


class LocalCluster:
    """One named cluster; cheap to construct, does nothing until a method is called."""

    def __init__(self, name: str = "argosy") -> None:
        validate_name(name)
        self.name = name
        self.dir = state_dir() / "clusters" / name
        self.state_file = self.dir / "state.json"
        self.kubeconfig = self.dir / "kubeconfig"
        self.logs_dir = self.dir / "logs"

    # ----------------------------------------------------------------- state
    def load_state(self) -> ClusterState | None:
        try:
            raw = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        procs = {k: ProcessRecord(**v) for k, v in raw.pop("processes", {}).items()}
        return ClusterState(processes=procs, **raw)

    def _save_state(self, state: ClusterState) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state), indent=2))
        tmp.replace(self.state_file)

    def component_status(self) -> dict[str, bool]:
        state = self.load_state()
        if state is None:
            return {}
        names = [*COMPONENTS, *(p for p in state.processes if p not in COMPONENTS)]
        return {c: (c in state.processes and _alive(state.processes[c])) for c in names}

    def is_up(self) -> bool:
        status = self.component_status()
        return bool(status) and all(status.values()) and self._readyz(timeout=2.0)

    # -------------------------------------------------------------- lifecycle
    def up(
        self,
        progress: Progress | None = None,
        nodes: int = 1,
        real_nodes: int = 0,
        controller_manager_qps: int = 0,
    ) -> ClusterState:
        """Start the cluster, or reuse it when it is already up.

        ``nodes`` kwok (simulated) nodes, plus ``real_nodes`` nodes that run containers
        (:mod:`argosy.devcluster.realnode`); with real nodes the kwok nodes are tainted so only
        Pods that tolerate it are placed there. ``controller_manager_qps`` lifts
        kube-controller-manager's client-side limit (a fleet benchmark must not measure it)."""
        say = progress or (lambda _m: None)
        existing = self.load_state()
        if existing is not None:
            if self.is_up():
                asked = controller_manager_qps or existing.controller_manager_qps
                if asked != existing.controller_manager_qps:
                    # A benchmark asking for a lifted limit must not silently measure the old one.
                    raise ClusterError(
                        f"cluster {self.name} is already up with kube-controller-manager QPS "
                        f"{existing.controller_manager_qps or 'default (20)'}, not {asked}: the QPS is "
                        f"set when a cluster starts; run `argosy dev cluster down {self.name}` first"
                    )
                say(f"cluster {self.name} is already up at {existing.server}; reusing it")
                # kwok nodes can be added to a running cluster (a fleet benchmark of 1,000 apps
                # reusing the cluster of a 100-app run left 250 of its Pods unschedulable)
                if not self._nodes_ready(nodes):
                    self._register_nodes(nodes, tainted=bool(existing.real_nodes))
                    self._wait(lambda: self._nodes_ready(nodes), "kwok nodes", existing, 60)
                return existing
            say(f"cluster {self.name} was partly up; stopping what is left and starting it again")
            self.down()

        if real_nodes:
            realnode.check_packages()
        binaries = build.ensure(build.CONTROL_PLANE + (build.NODE if real_nodes else ()), progress=say)
        started = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        names = ("etcd", "etcd-peer", "apiserver", "controller-manager", "scheduler", "kwok")
        state = ClusterState(name=self.name, ports=dict(zip(names, free_ports(len(names)), strict=True)))
        state.started_at = time.time()
        state.controller_manager_qps = controller_manager_qps
        self._save_state(state)
        try:
            extra_ips: tuple[str, ...] = ()
            if real_nodes:
                plan = nodenet.NetworkPlan(self.name, nodenet.free_index())
                state.net_index, state.real_nodes, state.host = plan.index, real_nodes, plan.gateway
                self._save_state(state)
                nodenet.create_bridge(plan)
                extra_ips = (plan.gateway,)
            certs = pki.generate(self.dir / "pki", self.name, extra_ips)
            self._start_etcd(state, binaries["etcd"])
            self._wait(lambda: self._etcd_healthy(state), "etcd", state, 60)
            self._start_apiserver(state, binaries["kube-apiserver"], certs)
            self._write_kubeconfig(state, certs)
            self._wait(lambda: self._readyz(timeout=2.0), "kube-apiserver", state, 120)
            say(f"kube-apiserver ready at {state.server}")
            self._start_controller_manager(state, binaries["kube-controller-manager"], certs)
            self._start_scheduler(state, binaries["kube-scheduler"])
            self._start_kwok(state, binaries["kwok"], certs)
            self._register_nodes(nodes, tainted=bool(real_nodes))
            self._wait(lambda: self._nodes_ready(nodes), "kwok nodes", state, 60)
            self._wait(self._default_service_account, "kube-controller-manager", state, 60)
            if real_nodes:
                self._start_real_nodes(state, binaries, certs, say)
        except (nodenet.NodeNetError, realnode.NodeError) as exc:
            self.down()
            raise ClusterError(f"cluster {self.name}: {exc}") from exc
        except BaseException:
            self.down()
            raise
        state.ready_seconds = round(time.monotonic() - started, 1)
        self._save_state(state)
        say(f"cluster {self.name} ready in {state.ready_seconds}s; kubeconfig: {self.kubeconfig}")
        return state

    def down(self) -> list[str]:
        """Stop the processes this cluster started and remove its state; no error when down.

        Real nodes first: their agents, then their containers (while containerd still answers),
        containerd, mounts, cgroups, and finally the network namespaces and the bridge."""
        state = self.load_state()
        stopped: list[str] = []
        if state is not None:
            stopped += self._stop_real_nodes(state)
            for comp in reversed(COMPONENTS):
                rec = state.processes.get(comp)
                if rec is not None and _alive(rec):
                    _terminate(rec)
                    stopped.append(comp)
        if self.dir.exists():
            _rmtree(self.dir)
        return stopped

    # ------------------------------------------------------------ real nodes
    def _node_files(self, node: nodenet.NodeAddress) -> realnode.NodeFiles:
        return realnode.NodeFiles(self.dir / "nodes" / node.name)

    def _start_real_nodes(
        self, state: ClusterState, binaries: dict[str, Path], certs: pki.ClusterPKI, say: Progress
    ) -> None:
        plan = state.network
        assert plan is not None
        corefile = self.dir / "Corefile"
        corefile.write_text(realnode.corefile(plan, self.kubeconfig, f"argosy-{self.name}"))
        self._spawn(state, "coredns", [str(binaries["coredns"]), "-conf", str(corefile)])
        archives = realnode.node_images(say)
        for i in range(state.real_nodes):
            node = nodenet.create_node(plan, i, state.real_nodes)
            realnode.create_cgroup(realnode.cgroup_name(self.name, node))
            files = realnode.prepare(self.name, plan, node, self._node_files(node).root, certs, state.server)
            containerd = f"containerd@{node.name}"
            self._spawn(state, containerd, realnode.containerd_argv(node, files))
            self._wait(functools.partial(realnode.runtime_ready, files), containerd, state, 60)
            realnode.load_images(files, archives)
            say(f"{node.name}: containerd up, images loaded")
            self._spawn(
                state, f"kubelet@{node.name}", realnode.kubelet_argv(binaries["kubelet"], node, files)
            )
            self._spawn(
                state, f"kube-proxy@{node.name}", realnode.proxy_argv(binaries["kube-proxy"], node, files)
            )
        for i in range(state.real_nodes):
            node = plan.node(i)
            self._wait(functools.partial(self._node_ready, node.name), f"kubelet@{node.name}", state, 120)
        say(f"{state.real_nodes} real node(s) Ready on {plan.node_network}")

    def load_images(self, archives: list[Path], progress: Progress | None = None) -> None:
        """Import image archives into every real node's containerd (no registry is reachable)."""
        state = self._require_state()
        plan = state.network
        if plan is None:
            raise ClusterError(f"cluster {self.name} has no real nodes: start it with --real-nodes N")
        for i in range(state.real_nodes):
            node = plan.node(i)
            if progress:
                progress(f"{node.name}: importing {len(archives)} image(s)")
            realnode.load_images(self._node_files(node), archives)

    def _node_ready(self, name: str) -> bool:
        try:
            node = self.request(f"/api/v1/nodes/{name}")
        except (OSError, urllib.error.URLError):
            return False
        return _is_ready(node)

    def _stop_real_nodes(self, state: ClusterState) -> list[str]:
        plan = state.network
        if plan is None:
            return []
        stopped: list[str] = []

        def stop(name: str) -> None:
            rec = state.processes.get(name)
            if rec is not None and _alive(rec):
                _terminate(rec)
                stopped.append(name)

        for i in range(state.real_nodes):
            node = plan.node(i)
            files = self._node_files(node)
            stop(f"kubelet@{node.name}")
            stop(f"kube-proxy@{node.name}")
            pod_netns = realnode.pod_netns_paths(files)  # while containerd still answers
            realnode.kill_containers(files)
            stop(f"containerd@{node.name}")
            realnode.teardown(self.name, node, files)
            realnode.remove_netns_files(pod_netns)
        stop("coredns")
        nodenet.remove(plan, state.real_nodes)
        return stopped

    def stop_component(self, component: str) -> None:
        """Stop one component (tests use it to make a cluster unreachable)."""
        state = self._require_state()
        rec = state.processes.get(component)
        if rec is not None and _alive(rec):
            _terminate(rec)

    def start_component(self, component: str) -> None:
        """Start a component stopped with :meth:`stop_component` again, on the same port."""
        state = self._require_state()
        binaries = build.ensure(build.CONTROL_PLANE)
        certs = pki.generate(self.dir / "pki", self.name)
        starters: dict[str, Callable[[], None]] = {
            "etcd": lambda: self._start_etcd(state, binaries["etcd"]),
            "kube-apiserver": lambda: self._start_apiserver(state, binaries["kube-apiserver"], certs),
            "kube-controller-manager": lambda: self._start_controller_manager(
                state, binaries["kube-controller-manager"], certs
            ),
            "kube-scheduler": lambda: self._start_scheduler(state, binaries["kube-scheduler"]),
            "kwok": lambda: self._start_kwok(state, binaries["kwok"], certs),
        }
        starters[component]()
        if component == "etcd":
            self._wait(lambda: self._etcd_healthy(state), component, state, 60)
        apiserver = state.processes.get("kube-apiserver")
        if component == "kube-apiserver" or (
            component == "etcd" and apiserver is not None and _alive(apiserver)
        ):
            # After etcd, a running API server is ready again once its storage answers.
            self._wait(lambda: self._readyz(timeout=2.0), "kube-apiserver", state, 120)

    def restart_component(self, component: str) -> float:
        """Stop and start one component (a fault for tests); return the seconds until it serves again."""
        started = time.monotonic()
        self.stop_component(component)
        self.start_component(component)
        return time.monotonic() - started

    def compact_etcd(self) -> int:
        """Write a marker key, then compact etcd's history up to it; return that revision.

        Every resourceVersion older than it is gone: a client resuming a watch from one
        gets ``410 Gone`` (tests use it to prove that caches list again). Uses etcd's
        JSON gateway on the client port, so it works while the API server is down."""
        state = self._require_state()
        base = f"http://127.0.0.1:{state.ports['etcd']}/v3/kv"

        def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
            req = urllib.request.Request(
                f"{base}/{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(req, timeout=10) as r:
                answer: dict[str, Any] = json.loads(r.read())
            return answer

        key = base64.b64encode(b"/argosy-devcluster/compaction-marker").decode()
        put = call("put", {"key": key, "value": base64.b64encode(str(time.time()).encode()).decode()})
        revision = int(put["header"]["revision"])
        call("compaction", {"revision": revision, "physical": True})
        return revision

    def log_path(self, component: str) -> Path:
        if component not in COMPONENTS and not _NODE_COMPONENT_RE.match(component):
            raise ClusterError(f"unknown component {component!r}; one of: {', '.join(COMPONENTS)}")
        return self.logs_dir / f"{component}.log"

    def _require_state(self) -> ClusterState:
        state = self.load_state()
        if state is None:
            raise ClusterError(f"cluster {self.name} is not up: run `argosy dev cluster up {self.name}`")
        return state

    # ------------------------------------------------------------- processes
    def _spawn(self, state: ClusterState, component: str, argv: list[str]) -> None:
        log = self.log_path(component)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.dir,
                start_new_session=True,  # survives the CLI that started it; not killed by its Ctrl-C
            )
        start_time = None
        for _ in range(50):
            start_time = _proc_start_time(proc.pid)
            if start_time:
                break
            time.sleep(0.01)
        state.processes[component] = ProcessRecord(pid=proc.pid, start_time=start_time or "", log=str(log))
        self._save_state(state)

    def _start_etcd(self, state: ClusterState, etcd: Path) -> None:
        client = f"http://127.0.0.1:{state.ports['etcd']}"
        peer = f"http://127.0.0.1:{state.ports['etcd-peer']}"
        argv = [
            str(etcd),
            f"--name={self.name}",
            f"--data-dir={self.dir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster={self.name}={peer}",
            "--log-level=warn",
            # A throwaway dev/test store: skipping fsync makes the API server several
            # times faster on small VMs and loses nothing we care about.
            "--unsafe-no-fsync",
            "--quota-backend-bytes=4294967296",
        ]
        self._spawn(state, "etcd", argv)

    def _start_apiserver(self, state: ClusterState, binary: Path, certs: pki.ClusterPKI) -> None:
        port = state.ports["apiserver"]
        kubelet_client = pki.client_cert(
            certs, "apiserver-kubelet-client", "kube-apiserver", "system:masters"
        )
        argv = [
            str(binary),
            f"--etcd-servers=http://127.0.0.1:{state.ports['etcd']}",
            f"--bind-address={state.host}",
            f"--advertise-address={state.host}",
            f"--secure-port={port}",
            f"--cert-dir={self.dir / 'pki'}",
            f"--tls-cert-file={certs.serving_cert}",
            f"--tls-private-key-file={certs.serving_key}",
            f"--client-ca-file={certs.ca_cert}",
            f"--service-account-issuer=https://127.0.0.1:{port}",
            f"--service-account-key-file={certs.sa_pub}",
            f"--service-account-signing-key-file={certs.sa_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            # The admission chain of a normal cluster (the defaults are on as well).
            "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,"
            "DefaultStorageClass,DefaultTolerationSeconds,MutatingAdmissionWebhook,"
            "ValidatingAdmissionWebhook,ResourceQuota,NodeRestriction,PodSecurity,Priority",
            "--allow-privileged=true",
            # Node names do not resolve on this machine; every node (kwok or real) has an InternalIP.
            "--kubelet-preferred-address-types=InternalIP,Hostname",
            # Real kubelets authenticate the API server's logs/exec/port-forward calls.
            f"--kubelet-client-certificate={kubelet_client[0]}",
            f"--kubelet-client-key={kubelet_client[1]}",
            "--profiling=false",
            "--v=1",
        ]
        if state.real_nodes == 0:
            # Endpoints for the 'kubernetes' Service would point at 127.0.0.1, which the endpoint
            # reconciler refuses; nothing routes to it without real nodes. With them it is the
            # gateway, which Pods reach: the usual reconciler keeps it.
            argv.append("--endpoint-reconciler-type=none")
        self._spawn(state, "kube-apiserver", argv)

    def _start_controller_manager(self, state: ClusterState, binary: Path, certs: pki.ClusterPKI) -> None:
        argv = [
            str(binary),
            f"--kubeconfig={self.kubeconfig}",
            f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={state.ports['controller-manager']}",
            f"--service-account-private-key-file={certs.sa_key}",
            f"--root-ca-file={certs.ca_cert}",
            f"--cluster-signing-cert-file={certs.ca_cert}",
            f"--cluster-signing-key-file={certs.ca_key}",
            "--use-service-account-credentials=true",
            "--controllers=*",
            "--leader-elect=false",
            # Quicker reactions than the production defaults; tests wait less.
            f"--node-monitor-grace-period={NODE_LEASE_SECONDS}s",
            "--v=1",
        ]
        if state.controller_manager_qps:
            qps = state.controller_manager_qps
            argv += [f"--kube-api-qps={qps}", f"--kube-api-burst={2 * qps}"]
        self._spawn(state, "kube-controller-manager", argv)

    def _start_scheduler(self, state: ClusterState, binary: Path) -> None:
        argv = [
            str(binary),
            f"--kubeconfig={self.kubeconfig}",
            f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={state.ports['scheduler']}",
            "--leader-elect=false",
            "--v=1",
        ]
        self._spawn(state, "kube-scheduler", argv)

    @property
    def pod_logs_file(self) -> Path:
        """The file every container of every Pod on a kwok node "prints" (kwok's ``ClusterLogs``).

        ``kubectl logs`` and ``pods/log`` read it through the API server, which proxies to kwok's
        kubelet port as to a real kubelet; lines are in the CRI log format a kubelet's files
        use (``2026-01-02T03:04:05.000000000Z stdout F message``)."""
        return self.dir / "pod-logs" / "containers.log"

    def _write_kwok_logs_config(self) -> Path:
        self.pod_logs_file.parent.mkdir(exist_ok=True)
        self.pod_logs_file.touch()
        config = {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterLogs",
            "metadata": {"name": "all-pods"},
            "spec": {"logs": [{"containers": [], "logsFile": str(self.pod_logs_file)}]},
        }
        path = self.dir / "kwok-logs.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def _start_kwok(self, state: ClusterState, binary: Path, certs: pki.ClusterPKI) -> None:
        argv = [
            str(binary),
            f"--kubeconfig={self.kubeconfig}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
            f"--server-address=127.0.0.1:{state.ports['kwok']}",
            "--node-ip=127.0.0.1",
            f"--config={binary.parent / 'stages.yaml'}",
            # Pod logs: the API server proxies pods/log to the node's kubelet endpoint, which is
            # kwok's server (HTTPS, as the API server always speaks to kubelets; it does not verify
            # the kubelet's certificate without --kubelet-certificate-authority).
            f"--config={self._write_kwok_logs_config()}",
            f"--node-port={state.ports['kwok']}",
            f"--tls-cert-file={certs.serving_cert}",
            f"--tls-private-key-file={certs.serving_key}",
            # Node heartbeats are Leases, as a kubelet's: kwok renews each node's Lease every
            # duration/4 (10 s), well inside kube-controller-manager's 40 s grace period. Without
            # it no Lease exists, the stages refresh node status only every 10-20 minutes, and
            # every node turns NotReady ~40 s after start (Pods lose Ready, Deployments Available).
            f"--node-lease-duration-seconds={NODE_LEASE_SECONDS}",
            "--cidr=10.244.0.1/16",
            "--v=INFO",
        ]
        self._spawn(state, "kwok", argv)

    # ------------------------------------------------------------ kubeconfig
    def _write_kubeconfig(self, state: ClusterState, certs: pki.ClusterPKI) -> None:
        ctx = f"argosy-{self.name}"
        text = pki.kubeconfig_yaml(
            state.server, certs.ca_cert, certs.admin_cert, certs.admin_key, context=ctx, user=f"{ctx}-admin"
        )
        self.kubeconfig.write_text(text)
        self.kubeconfig.chmod(0o600)

    # --------------------------------------------------------------- probing
    def _ssl_context(self) -> ssl.SSLContext:
        pki_dir = self.dir / "pki"
        ctx = ssl.create_default_context(cafile=str(pki_dir / "ca.crt"))
        ctx.load_cert_chain(str(pki_dir / "admin.crt"), str(pki_dir / "admin.key"))
        return ctx

    def request(self, path: str, timeout: float = 5.0) -> Any:
        """GET ``path`` from the API server as admin and decode the JSON (or text) answer."""
        state = self._require_state()
        with urllib.request.urlopen(state.server + path, timeout=timeout, context=self._ssl_context()) as r:
            body = r.read().decode()
        try:
            return json.loads(body)
        except ValueError:
            return body

    def _readyz(self, timeout: float) -> bool:
        try:
            return bool(self.request("/readyz", timeout=timeout) == "ok")
        except (OSError, urllib.error.URLError, ssl.SSLError, ClusterError):
            return False

    def server_version(self) -> str:
        return str(self.request("/version")["gitVersion"])

    def _etcd_healthy(self, state: ClusterState) -> bool:
        try:
            url = f"http://127.0.0.1:{state.ports['etcd']}/health"
            with urllib.request.urlopen(url, timeout=2) as r:
                return bool(json.loads(r.read()).get("health") == "true")
        except (OSError, ValueError):
            return False

    def _kubectl(self, *args: str, stdin: str | None = None) -> str:
        return kubectl(self.kubeconfig, *args, stdin=stdin)

    def _register_nodes(self, count: int, tainted: bool = False) -> None:
        nodes = [_kwok_node(f"kwok-node-{i}", tainted) for i in range(count)]
        self._kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(nodes))

    def _nodes_ready(self, count: int) -> bool:
        try:
            data = self.request("/api/v1/nodes")
        except (OSError, urllib.error.URLError):
            return False
        return sum(_is_ready(node) for node in data.get("items", [])) >= count

    def _default_service_account(self) -> bool:
        try:
            self.request("/api/v1/namespaces/default/serviceaccounts/default")
            return True
        except (OSError, urllib.error.URLError):
            return False

    def _wait(self, check: Callable[[], bool], what: str, state: ClusterState, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            rec = state.processes.get(what)
            if rec is not None and not _alive(rec):
                raise ClusterError(
                    f"{what} of cluster {self.name} exited during start-up; last log lines:\n"
                    + _tail(Path(rec.log))
                )
            time.sleep(0.2)
        rec = state.processes.get(what)
        log = f"; last log lines:\n{_tail(Path(rec.log))}" if rec else ""
        raise ClusterError(f"{what} of cluster {self.name} not ready after {timeout:.0f}s{log}")


def _is_ready(node: dict[str, Any]) -> bool:
    conds = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def _kwok_node(name: str, tainted: bool = False) -> dict[str, Any]:
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "250"}
    spec = {"taints": [realnode.KWOK_TAINT]} if tainted else {}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "spec": spec,
        "status": {"capacity": capacity, "allocatable": capacity},
    }


_NODE_COMPONENT_RE = re.compile(r"^(containerd|kubelet|kube-proxy)@real-node-\d+$|^coredns$")


def _terminate(rec: ProcessRecord, grace: float = 10.0) -> None:
    try:
        os.kill(rec.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(rec):
            _reap(rec.pid)
            return
        _reap(rec.pid)
        time.sleep(0.05)
    if _alive(rec):
        try:
            os.kill(rec.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        for _ in range(100):
            _reap(rec.pid)
            if not _alive(rec):
                return
            time.sleep(0.05)


def _reap(pid: int) -> None:
    """Collect a child's exit status when we are its parent, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def list_clusters() -> list[str]:
    root = state_dir() / "clusters"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "state.json").exists())
