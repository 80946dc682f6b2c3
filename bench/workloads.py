# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The workload read's own cost, in-process: list and analyse a cluster of 5,000 pods and 200 budgets.

    python bench/workloads.py [--rounds 5] [--pods 5000] [--budgets 200]

The emulated Kubernetes API (tests/emulator/kube.py) runs in a child process, seeded with
`kube_objects.bench_cluster`, so that this process measures only the reader and the analysis:
requests made (against the goal of ceil(items/500) per kind), bytes received, wall time (median
of the rounds, without tracing) and peak Python memory (tracemalloc, one more round). The
issue's full bench through the real `az` (`migrate --dry-run` against `--skip-workload-check`:
requests, wall time and peak RSS side by side) is bench/workloads_az.py. Never part of `make test`.
"""
import argparse
import asyncio
import json
import math
import multiprocessing
import os
import resource
import statistics
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from azext_azurelinux.workloads import analysis, kube  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator import kube_objects  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.kube import KubeApi  # noqa: E402  pylint: disable=wrong-import-position

POOLS = ("system", "user1", "user2")


def serve_bench_cluster(connection, pods, budgets):
    """In a child process: seed the bench cluster, send its credential answer and seed counts, serve until told to
    stop, then send the request log."""
    async def main():
        api = KubeApi()
        seed = kube_objects.bench_cluster(pods=pods, budgets=budgets, pools=POOLS)
        await api.seed(dict(seed, resourceGroup="bench", name="c5000"))
        _, answer = await api.credentials("bench", "c5000")
        served = {r: len(seed.get(r, [])) for r in kube.objects.RESOURCES}
        connection.send((answer, served))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, connection.recv)
        connection.send(api.log)
        await api.close()

    asyncio.run(main())


def run_once(answer):
    """Read and analyse every pool once: (snapshot, findings by pool, cluster-wide findings)."""
    snapshot = kube.read_workloads(answer, lambda: None)
    view = analysis.ClusterView(snapshot)
    blockers = analysis.cluster_blockers(view)
    findings = {pool: analysis.analyse(view, pool, "AzureLinux3", "1.33.5", "in-place", False) for pool in POOLS}
    return snapshot, findings, blockers


def measure(answer, rounds):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        snapshot, findings, blockers = run_once(answer)
        times.append(time.perf_counter() - started)
    rss_added = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024  # KiB on Linux
    tracemalloc.start()
    run_once(answer)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    kube.read_workloads(answer, lambda: None)
    read_only = time.perf_counter() - started
    return {"times": times, "read": read_only, "peak": peak, "rss_added": rss_added, "snapshot": snapshot,
            "findings": findings, "blockers": blockers}


def report(args, served, result, log):
    snapshot = result["snapshot"]
    rounds = len(log) // (args.rounds + 2)
    goal = sum(max(1, math.ceil(n / kube.PAGE_SIZE)) for n in served.values())
    received = sum(e.get("bytes", 0) for e in log) / (args.rounds + 2)
    lines = [f"cluster: {served['pods']} pods, {served['poddisruptionbudgets']} budgets, {served['nodes']} nodes, "
             f"{served['deployments']} deployments, {served['replicasets']} replica sets, "
             f"{served['statefulsets']} stateful sets, {served['daemonsets']} daemon sets",
             f"requests per read: {snapshot['requests']} (server log: {rounds}); goal ceil(items/500) per kind: "
             f"{goal}, plus 1 credential request made by the caller",
             f"bytes received per read: {received / 2 ** 20:.1f} MiB; snapshot kept: "
             f"{len(json.dumps(snapshot)) / 2 ** 20:.1f} MiB of JSON",
             f"wall time, read + analyse of {len(POOLS)} pools: median {statistics.median(result['times']):.3f} s "
             f"(min {min(result['times']):.3f}, max {max(result['times']):.3f}, {len(result['times'])} rounds); "
             f"read alone {result['read']:.3f} s",
             f"peak Python memory (tracemalloc), read + analyse: {result['peak'] / 2 ** 20:.1f} MiB; peak RSS added "
             f"by the untraced rounds: {result['rss_added']:.1f} MiB",
             f"findings: {len(result['blockers'])} cluster-wide, "
             + ", ".join(f"{pool} {len(found)}" for pool, found in result["findings"].items()),
             f"warnings: {[w['message'] for w in snapshot['warnings']]}"]
    print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--budgets", type=int, default=200)
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve_bench_cluster, args=(theirs, args.pods, args.budgets), daemon=True)
    child.start()
    try:
        answer, served = ours.recv()
        result = measure(answer, args.rounds)
        ours.send("stop")
        log = ours.recv()
    finally:
        child.join(30)
        if child.is_alive():
            child.terminate()
    report(args, served, result, log)


if __name__ == "__main__":
    main()
