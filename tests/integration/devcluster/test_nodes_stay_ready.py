"""kwok nodes keep their Leases: Nodes stay Ready and Deployments stay Available, even under load.

A 3-replica Deployment on the session's main cluster is watched from the moment the cluster
starts until this test, which runs after every other one (``session_end``): the rest of the
suite — controllers, repo servers, browsers, ``kubectl`` on both cores — is the load. Sampled
every 5 s (tests/support/node_watch.py), the nodes must be Ready and the Deployment Available in
every sample, for at least five minutes; each node's Lease must keep being renewed, and
kube-controller-manager must never enter "master disruption mode". When the session was shorter
than five minutes (this file run alone), the watch goes on with both cores kept busy by a
bounded busy loop until it has lasted five minutes.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from support.node_watch import ROLLOUT_SECONDS, SAMPLE_SECONDS, NodeWatch

WATCH_SECONDS = 300.0


def _burn(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    x = 0
    while time.monotonic() < deadline:
        x = (x * 31 + 7) % 1_000_003


@contextmanager
def busy_cpus(seconds: float, workers: int = 2) -> Iterator[None]:
    """Load ``workers`` cores for at most ``seconds`` (the loops end on their own)."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_burn, args=(seconds,), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.join(timeout=seconds + 10)
            if p.is_alive():
                p.kill()


@pytest.mark.session_end
def test_nodes_and_pods_stay_ready_for_five_minutes_even_with_the_cpu_busy(node_watch: NodeWatch) -> None:
    node_watch.wait_started(ROLLOUT_SECONDS)
    remaining = WATCH_SECONDS - node_watch.elapsed()
    if remaining > 0:
        with busy_cpus(remaining):
            time.sleep(remaining)
    report = node_watch.stop()

    assert report.problems == [], "\n".join(report.problems[:20])
    assert report.seconds >= WATCH_SECONDS, report
    assert report.nodes, "the cluster has kwok nodes"
    # A sample every 5 s; a starved sampler would hide an outage, so gaps are bounded too.
    assert report.samples >= report.seconds / (SAMPLE_SECONDS + 5), report
    assert report.longest_gap < 30, f"the sampler stalled for {report.longest_gap:.0f}s"
    not_renewed = [
        n for n in report.nodes if report.last_renewals.get(n, 0.0) <= report.first_renewals.get(n, 0.0)
    ]
    assert not_renewed == [], (report.first_renewals, report.last_renewals)
    assert report.disruption_lines == [], report.disruption_lines[:5]
