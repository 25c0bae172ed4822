"""``argosy dev``: build the pinned binaries and run local clusters for the demo and tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import typer
from rich.console import Console
from rich.status import Status
from rich.table import Table

from argosy.devcluster import build
from argosy.devcluster.cluster import COMPONENTS, ClusterError, LocalCluster, list_clusters
from argosy.devcluster.paths import tools_path_dir
from argosy.devcluster.ports import PortInUseError

dev_app = typer.Typer(
    help="Local development: pinned tools and real local Kubernetes clusters.", no_args_is_help=True
)
cluster_app = typer.Typer(
    help="Run named local control planes (etcd, apiserver, controllers, kwok).", no_args_is_help=True
)
dev_app.add_typer(cluster_app, name="cluster")
demo_app = typer.Typer(
    help="The README demo: the getting-started tutorial in a local cluster with a real node.",
    no_args_is_help=True,
)
dev_app.add_typer(demo_app, name="demo")
images_app = typer.Typer(
    help="Images of real nodes (pause, demo-web v1..v4, busybox) and Argosy's, built here with crane.",
    no_args_is_help=True,
)
dev_app.add_typer(images_app, name="images")

err = Console(stderr=True)
out = Console()

DEFAULT_CLUSTER = "argosy"
NAME_ARG = typer.Argument(DEFAULT_CLUSTER, help="Cluster name (lowercase letters, digits, '-').")


def _reporter(status: Status) -> Callable[[str], None]:
    """Log each progress step and show it on the spinner line."""

    def report(message: str) -> None:
        err.log(message)
        status.update(message)

    return report


def _elapsed_reporter(status: Status, started: float) -> Callable[[str], None]:
    """Print each step with the seconds since ``started``, unwrapped: the commands shown are
    meant to be copied."""

    def report(message: str) -> None:
        err.print(
            f"[{time.monotonic() - started:4.0f}s] {message}", soft_wrap=True, markup=False, highlight=False
        )
        status.update(message.splitlines()[0][:100])

    return report


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(1)


@dev_app.command("build")
def build_cmd(
    tools_only: bool = typer.Option(
        False, "--tools-only", help="Only the tools (helm, kustomize, sops, ksops, oidc-provider, crane)."
    ),
) -> None:
    """Build (or find in the cache) the control plane binaries and the tools (helm, kustomize, sops...)."""
    components = build.TOOLS if tools_only else build.ALL
    started = time.monotonic()
    try:
        with err.status("building pinned binaries (the first build takes several minutes)") as status:
            found = build.ensure(components, progress=_reporter(status))
    except build.BuildError as exc:
        raise _fail(str(exc)) from exc
    for name, path in sorted(found.items()):
        out.print(f"{name}\t{path}")
    for component in components:
        recorded = build.entry_dir(component) / "BUILD_SECONDS"
        if recorded.exists():
            err.print(f"first build of {component.key}: {recorded.read_text().strip()}s")
    err.print(f"binaries ready in {time.monotonic() - started:.1f}s; PATH dir: {tools_path_dir()}")


NAMES_ARG = typer.Argument(None, help=f"Cluster names (default: {DEFAULT_CLUSTER}).", show_default=False)


@cluster_app.command("up")
def up(
    names: list[str] | None = NAMES_ARG,
    nodes: int = typer.Option(1, "--nodes", min=1, max=50, help="Number of kwok (simulated) nodes."),
    real_nodes: int = typer.Option(
        0,
        "--real-nodes",
        min=0,
        max=8,
        help="Number of real nodes (kubelet + containerd, containers really run; needs root). "
        "kwok nodes are then tainted: only Pods tolerating kwok.x-k8s.io/node land there.",
    ),
    controller_manager_qps: int = typer.Option(
        0,
        "--controller-manager-qps",
        min=0,
        help="kube-controller-manager's requests per second (burst twice that); "
        "0 keeps its default of 20, which bounds how fast many Deployments roll out.",
    ),
) -> None:
    """Start clusters (building binaries on first use), or reuse those already up."""
    for name in names or [DEFAULT_CLUSTER]:
        started = time.monotonic()
        try:
            cluster = LocalCluster(name)
            with err.status(f"starting cluster {name}") as status:
                state = cluster.up(
                    progress=_reporter(status),
                    nodes=nodes,
                    real_nodes=real_nodes,
                    controller_manager_qps=controller_manager_qps,
                )
        except (ClusterError, build.BuildError, PortInUseError) as exc:
            raise _fail(str(exc)) from exc
        total = time.monotonic() - started
        err.print(f"cluster {name} up in {total:.1f}s (control plane ready in {state.ready_seconds}s)")
        out.print(f"export KUBECONFIG={cluster.kubeconfig}")


@cluster_app.command("down")
def down(
    names: list[str] | None = NAMES_ARG,
    all_: bool = typer.Option(False, "--all", help="Stop every cluster."),
) -> None:
    """Stop exactly the processes ``up`` started and remove the clusters' state."""
    for cname in list_clusters() if all_ else names or [DEFAULT_CLUSTER]:
        stopped = LocalCluster(cname).down()
        err.print(f"cluster {cname}: " + (f"stopped {', '.join(stopped)}" if stopped else "was not running"))


@cluster_app.command("status")
def status(
    name: str = NAME_ARG,
    output: str = typer.Option("", "-o", "--output", help="json for scripts"),
) -> None:
    """Show which components of a cluster run and whether the API server is ready."""
    cluster = LocalCluster(name)
    state = cluster.load_state()
    comps = cluster.component_status()
    ready = cluster.is_up()
    version = cluster.server_version() if ready else ""
    if output == "json":
        out.print_json(
            json.dumps(
                {
                    "name": name,
                    "ready": ready,
                    "server": state.server if state else None,
                    "version": version,
                    "kubeconfig": str(cluster.kubeconfig) if state else None,
                    "components": comps,
                }
            )
        )
    else:
        if state is None:
            out.print(f"cluster {name} is down")
            raise typer.Exit(3)
        table = Table("COMPONENT", "PID", "RUNNING", "LOG")
        for comp in comps or COMPONENTS:
            rec = state.processes.get(comp)
            table.add_row(
                comp,
                str(rec.pid) if rec else "-",
                "yes" if comps.get(comp) else "no",
                rec.log if rec else "-",
            )
        out.print(
            f"cluster {name}: server {state.server} version {version or '?'} ready={'yes' if ready else 'no'}"
        )
        if state.network is not None:
            plan = state.network
            out.print(
                f"real nodes: {state.real_nodes} on {plan.node_network} (bridge {plan.bridge}, "
                f"Pods {plan.pod_network}); node-0 at {plan.node(0).ip}"
            )
        out.print(table)
    if not ready:
        raise typer.Exit(3)


@cluster_app.command("list")
def list_cmd() -> None:
    """List clusters that have state on this machine."""
    table = Table("NAME", "SERVER", "READY", "KUBECONFIG")
    for cname in list_clusters():
        cluster = LocalCluster(cname)
        state = cluster.load_state()
        table.add_row(
            cname, state.server if state else "-", "yes" if cluster.is_up() else "no", str(cluster.kubeconfig)
        )
    out.print(table)


@cluster_app.command("kubeconfig")
def kubeconfig(name: str = NAME_ARG) -> None:
    """Print the path of the cluster's kubeconfig: export KUBECONFIG=$(argosy dev cluster kubeconfig NAME)."""
    cluster = LocalCluster(name)
    if cluster.load_state() is None:
        raise _fail(f"cluster {name} is not up: run `argosy dev cluster up {name}`")
    typer.echo(str(cluster.kubeconfig))


@cluster_app.command("logs")
def logs(
    name: str = NAME_ARG,
    component: str = typer.Argument("kube-apiserver", help=f"One of: {', '.join(COMPONENTS)}"),
    lines: int = typer.Option(50, "--tail", help="Number of lines from the end (0 = all)."),
) -> None:
    """Show a component's log file."""
    try:
        path = LocalCluster(name).log_path(component)
    except ClusterError as exc:
        raise _fail(str(exc)) from exc
    if not path.exists():
        raise _fail(f"no log for {component} of cluster {name} at {path}")
    text = path.read_text(errors="replace").splitlines()
    typer.echo("\n".join(text[-lines:] if lines else text))


@demo_app.command("up")
def demo_up(
    timeout: float = typer.Option(300, "--timeout", help="Seconds each wait (rollouts, sync) may take."),
) -> None:
    """Run the getting-started tutorial in a local cluster with a real node (needs root): install
    Argosy from manifests/install.yaml, log in, create and sync simple-app, open its page."""
    from argosy.devcluster import demo, images, rootfs

    started = time.monotonic()
    try:
        demo.require_root()
        demo.install_yaml()
    except demo.DemoError as exc:
        raise _fail(str(exc)) from exc
    errors = (
        demo.DemoError,
        ClusterError,
        build.BuildError,
        PortInUseError,
        images.ImageError,
        rootfs.RootfsError,
    )
    try:
        with err.status("starting the demo") as status:
            result = demo.up(_elapsed_reporter(status, started), timeout=timeout)
    except errors as exc:
        raise _fail(f"{exc}\nstop what was started with: argosy dev demo down") from exc
    status_ = result.app["status"]
    table = Table("KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH")
    for res in status_.get("resources") or []:
        table.add_row(
            res.get("kind", ""),
            res.get("namespace", ""),
            res.get("name", ""),
            res.get("status", ""),
            (res.get("health") or {}).get("status", ""),
        )
    out.print(table)
    revision = (status_.get("sync") or {}).get("revision", "")[:10]
    # Plain lines (no wrapping, no markup): they are meant to be copied.
    typer.echo(
        f"Application {demo.APP} is Synced and Healthy at revision {revision}, "
        f"in-cluster ({time.monotonic() - started:.0f}s)."
    )
    typer.echo(f"  web page:  {result.app_url}  (title: {result.page_title})")
    typer.echo(f"  web UI:    {result.ui_url}  (user admin, password {result.password})")
    typer.echo(f"  login:     {result.login_command}")
    typer.echo(f"  CLI:       argosy --config {result.config} app get {demo.APP}")
    typer.echo(f"  kubectl:   export KUBECONFIG={LocalCluster(demo.CLUSTER).kubeconfig}")
    typer.echo(f"  logs:      kubectl logs -n {demo.NAMESPACE} deployment/argosy-server")
    typer.echo("  stop:      argosy dev demo down")


@demo_app.command("down")
def demo_down() -> None:
    """Stop the demo's git daemon and its cluster, real node included (no error when it is down)."""
    from argosy.devcluster import demo

    try:
        demo.down(lambda m: err.print(m))
    except demo.DemoError as exc:
        raise _fail(str(exc)) from exc


@images_app.command("build")
def images_build(
    push: str = typer.Option(
        "", "--push", metavar="REGISTRY", help="Also push each image to this loopback registry (host:port)."
    ),
    load: str = typer.Option(
        "",
        "--load",
        metavar="CLUSTER",
        help="Also import each image into the real nodes of this local cluster (e.g. for install.yaml).",
    ),
) -> None:
    """Build (or find in the cache) every image and print its ref, digest and archive path."""
    from argosy.devcluster import image_set, images

    try:
        if push:
            images.require_loopback(push)
        # Checked before building: a stopped or kwok-only cluster is named before minutes of work.
        into = _real_node_cluster(load) if load else None
        with err.status("building images") as status:
            progress = _reporter(status)
            # The node images and Argosy's own (the install bundles' and the chart's image).
            found = {
                **image_set.all_images(progress),
                image_set.argosy_ref(): image_set.argosy_image(progress),
            }
            rows = [(ref, images.image_digest(path), path) for ref, path in found.items()]
            pushed = [images.push(path, ref, push, progress) for ref, path in found.items()] if push else []
            if into:
                into.load_images(list(found.values()), progress)
    except (images.ImageError, build.BuildError, ClusterError) as exc:
        raise _fail(str(exc)) from exc
    for ref, digest, path in rows:
        typer.echo(f"{ref}\t{digest}\t{path}")
    for target in pushed:
        err.print(f"pushed {target}", soft_wrap=True)
    if into:
        err.print(f"loaded {len(rows)} image(s) into the real nodes of cluster {load}")


def _real_node_cluster(name: str) -> LocalCluster:
    """The local cluster ``name``, which must be up with real nodes (only they run images)."""
    cluster = LocalCluster(name)
    state = cluster.load_state()
    if state is None:
        raise ClusterError(
            f"cluster {name} is not up: run `argosy dev cluster up {name} --real-nodes 1` first"
        )
    if not state.real_nodes:
        raise ClusterError(
            f"cluster {name} has no real nodes to load images into: recreate it with "
            f"`argosy dev cluster down {name} && argosy dev cluster up {name} --real-nodes 1`"
        )
    return cluster
