"""The local Kubernetes control plane used by the demo and the tests.

Argosy is tested against a *real* control plane, because what breaks GitOps
tools in production (server-side defaulting, server-side apply, CRD validation,
garbage collection, namespace finalization) is exactly what a fake API server
gets wrong. This package builds etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (simulated nodes) from the official Go modules, caches
the binaries per version, and runs any number of named clusters on loopback:

    argosy dev cluster up [NAME]        start (or reuse) a cluster
    argosy dev cluster status [NAME]    which components run, is /readyz ok
    argosy dev cluster kubeconfig NAME  path of the cluster's kubeconfig
    argosy dev cluster logs NAME COMP   a component's log
    argosy dev cluster down [NAME]      stop exactly what ``up`` started

The Go wrapper modules live in the repository's ``dev/`` folder.
"""
