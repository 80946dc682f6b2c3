# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The workload check's cost through the real `az`: a cluster of 5,000 pods and 200 budgets planned with and
without it, side by side.

    python bench/workloads_az.py [--rounds 5] [--pods 5000] [--budgets 200] [--against REV]
                                    [--latency-ms N --mbps M]
                                    (writes the "workloads" section of bench/RESULTS.md, or with a network
                                    the "workloads-network" one)

The emulator serves the cluster (three Ubuntu pools) and its Kubernetes API, seeded with
`kube_objects.bench_cluster`. Each round runs `az aks azurelinux migrate --dry-run` twice, in turn (the order
swapped every round): with `--skip-workload-check`, and with the check. For each run: the ARM requests and the
cluster API's requests (the emulator's logs), the wall time, the CPU time and the peak RSS of the az process (the
kernel's high-water mark, from os.wait4, as bench/run.py measures it). Linux starts a child's peak RSS at its
parent's (exec records the parent's high-water mark), so the 18 MB of Kubernetes objects are built and seeded by
a child process of their own, and the report shows that this process stays below every az figure. One run of
each, not counted, warms the preflight's SKU cache first. Goals (issue 19): at most 1 credential request plus
ceil(items/500) list requests per kind, at most 0.5 s and 30 MiB added. The in-process cost of the read alone is
bench/workloads.py. `--against REV` also installs the wheel of git revision REV beside this one and runs its two
variants in the same rounds, against this emulator: the client's own change, side by side. `--latency-ms` and
`--mbps` put the cluster's API server across a network (each answer waits for a round trip and for its bytes at
that rate). Never part of `make test`.
"""
import argparse
import datetime
import io
import math
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.run import Bench, fmt, install, machine, prepare, publish, verdict  # noqa: E402  pylint: disable=wrong-import-position
from tests.conftest import build_wheel  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator import kube_objects  # noqa: E402  pylint: disable=wrong-import-position

RG, CLUSTER = "benchrg", "c5000"
POOLS = ("system", "user1", "user2")
KINDS = ("nodes", "pods", "poddisruptionbudgets", "daemonsets", "deployments", "statefulsets", "replicasets")


def seed_kube(url, ca_bundle, pods, budgets, connection):
    """In a child process, so that this one stays small (see the module's docstring): build the cluster's objects and
    seed them, one kind a request (the whole cluster, 18 MB of JSON, is over the admin API's 16 MiB limit); send back
    {kind: items served}."""
    import requests
    objects = kube_objects.bench_cluster(pods=pods, budgets=budgets, pools=POOLS)
    with requests.Session() as session:
        for kind in KINDS:
            body = {"resourceGroup": RG, "name": CLUSTER, kind: objects.get(kind, [])}
            session.post(f"{url}/_emulator/kube", json=body, verify=ca_bundle, timeout=120).raise_for_status()
    connection.send({kind: len(objects.get(kind, [])) for kind in KINDS})


def seed(emulator, pods, budgets, network=None):
    """The ARM cluster and its Kubernetes API; returns {kind: items served}."""
    pools = [{"name": name, "mode": "System" if name == "system" else "User", "vmSize": "Standard_D4ds_v5",
              "count": 20, "osSKU": "Ubuntu"} for name in POOLS]
    emulator.seed({"clusters": [{"resourceGroup": RG, "name": CLUSTER, "location": "eastus",
                                 "kubernetesVersion": "1.33.5", "agentPools": pools}]})
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=seed_kube, args=(emulator.url, emulator.ca_bundle, pods, budgets, theirs))
    child.start()
    served = ours.recv()
    child.join(60)
    if network:
        emulator.admin("POST", "kube", dict(network, resourceGroup=RG, name=CLUSTER))
    return served


def kube_log(emulator):
    return [e for e in emulator.admin("GET", "kube")["requests"] if e["cluster"] == f"{RG}/{CLUSTER}"]


def install_revision(env, revision, work):
    """The wheel of git revision `revision`, built from `git archive` and installed in an extension folder of its
    own: the az environment that runs it."""
    source = tempfile.mkdtemp(prefix="azurelinux-rev-")
    archive = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", revision], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    other = dict(env, AZURE_EXTENSION_DIR=os.path.join(work, f"extensions-{revision}"))
    install(other, build_wheel(tempfile.mkdtemp(prefix="azurelinux-rev-wheel-"), source))
    return other


def measure(bench, emulator, args):
    """One run: (seconds, CPU seconds, peak RSS MiB, ARM requests, cluster API requests, exit code, stdout)."""
    arm_before, kube_before = len(emulator.requests()), len(kube_log(emulator))
    seconds, rss, code, out, _ = bench.run(*args, check=False)
    return seconds, bench.cpu_seconds, rss, bench.arm_requests(arm_before), kube_log(emulator)[kube_before:], code, out


def main(argv=None):  # pylint: disable=too-many-locals
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--budgets", type=int, default=200)
    parser.add_argument("--against", metavar="REV", help="also run the client of this git revision")
    parser.add_argument("--latency-ms", type=float, default=0, help="each answer of the cluster's API waits this")
    parser.add_argument("--mbps", type=float, default=0, help="and for its bytes at this rate")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = parser.parse_args(argv)
    print("building the wheel and starting the emulator...", flush=True)
    work, emulator, env = prepare(".bench-workloads")
    try:
        network = {"latencyMs": args.latency_ms, "mbps": args.mbps} if args.latency_ms or args.mbps else None
        served = seed(emulator, args.pods, args.budgets, network)
        benches = {"": Bench(emulator, env)}
        if args.against:
            print(f"building and installing the wheel of {args.against}...", flush=True)
            benches[args.against] = Bench(emulator, install_revision(env, args.against, work))
        base = ["aks", "azurelinux", "migrate", "-g", RG, "-n", CLUSTER, "--dry-run", "-o", "json"]
        variants = {f"{rev} {kind}".strip(): (benches[rev], base + extra) for rev in benches
                    for kind, extra in (("skip", ["--skip-workload-check"]), ("check", []))}
        for bench, command in variants.values():  # warm-up: the preflight's SKU cache, the interpreter's file cache
            measure(bench, emulator, command)
        times, cpu, memory, arm, kube, codes = ({n: [] for n in variants} for _ in range(6))
        plans = {}
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds}", flush=True)
            for name in (list(variants) if round_ % 2 == 0 else list(variants)[::-1]):
                bench, command = variants[name]
                seconds, cpu_seconds, rss, arm_log, kube_entries, code, out = measure(bench, emulator, command)
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
                memory[name].append(rss)
                arm[name].append(arm_log)
                kube[name].append(kube_entries)
                codes[name].append(code)
                plans[name] = out
        info = machine()
    finally:
        emulator.stop()
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = report(args, info, served, {"times": times, "cpu": cpu, "memory": memory, "floor": floor}, arm, kube,
                   codes, plans)
    publish(lines, args.out, "workloads-network" if args.latency_ms or args.mbps else "workloads")
    return 0


def _actions(out):
    import json
    try:
        pools = json.loads(out)["pools"]
    except (ValueError, KeyError, TypeError):
        return "unreadable"
    counts = {}
    for pool in pools:
        counts[pool["action"]] = counts.get(pool["action"], 0) + 1
    return ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))


def report(args, info, served, figures, arm, kube, codes, plans):  # pylint: disable=too-many-arguments,too-many-locals
    times, cpu, memory = figures["times"], figures["cpu"], figures["memory"]
    goal_lists = {kind: max(1, math.ceil(served[kind] / 500)) for kind in KINDS}
    per_kind = {}
    for entry in kube["check"][-1]:
        kind = entry["path"].rstrip("/").rsplit("/", 1)[-1]
        per_kind[kind] = per_kind.get(kind, 0) + 1
    lists = [len(entries) for entries in kube["check"]]
    skipped_lists = sum(len(entries) for entries in kube["skip"])
    added_arm = [len(c) - len(s) for c, s in zip(arm["check"], arm["skip"])]
    credential = [sum(1 for e in log if e["path"].lower().endswith("/listclusterusercredential"))
                  for log in arm["check"]]
    added_paths = sorted({e["path"].rsplit("/", 1)[-1] for log in arm["check"] for e in log} -
                         {e["path"].rsplit("/", 1)[-1] for log in arm["skip"] for e in log})
    med_time = {n: statistics.median(v) for n, v in times.items()}
    med_rss = {n: statistics.median(v) for n, v in memory.items()}
    added_time, added_rss = med_time["check"] - med_time["skip"], med_rss["check"] - med_rss["skip"]
    received = statistics.median(sum(e.get("bytes", 0) for e in entries) for entries in kube["check"]) / 2 ** 20
    network = (f" --latency-ms {args.latency_ms:g} --mbps {args.mbps:g}" if args.latency_ms or args.mbps else "")
    against = f" --against {args.against}" if args.against else ""
    within = all(per_kind.get(k, 0) <= goal_lists[k] for k in KINDS) and max(credential) <= 1 and \
        max(added_arm) <= 1 and max(lists) <= sum(goal_lists.values())
    return [
        "## Workloads in the plan (issue 19)" + (", across a network" if network else ""), "",
        f"Written by `python bench/workloads_az.py --rounds {args.rounds} --pods {args.pods} --budgets "
        f"{args.budgets}{network}{against}` on {datetime.date.today().isoformat()} ({info['cpu']}, {info['cores']} "
        f"cores, Python "
        f"{info['python']}, Azure CLI {info['azure-cli']}). A cluster of three Ubuntu pools (60 nodes) whose API "
        f"serves {served['pods']} pods, {served['poddisruptionbudgets']} budgets, {served['deployments']} "
        f"deployments, {served['replicasets']} replica sets, {served['statefulsets']} stateful sets and "
        f"{served['daemonsets']} daemon sets (`kube_objects.bench_cluster`), planned with `az aks azurelinux "
        "migrate --dry-run`, with and without `--skip-workload-check`, in turn, the order swapped every round, "
        "after one warm-up run of each. Peak RSS is the az process's high-water mark (os.wait4: the larger of az's "
        "own and its helper processes'; their CPU time counts in az's).", "",
        f"Plans: with the check {_actions(plans['check'])} (exit {codes['check'][-1]}); with "
        f"`--skip-workload-check` {_actions(plans['skip'])} (exit {codes['skip'][-1]}).", "",
        "| goal | measured | verdict |", "|---|---|---|",
        f"| at most 1 credential request plus ceil(items/500) lists per kind ({sum(goal_lists.values())}) | "
        f"{max(credential)} credential request ({', '.join(added_paths) or 'none'}; ARM +{max(added_arm)}), "
        f"{max(lists)} list requests: "
        + ", ".join(f"{k} {per_kind.get(k, 0)}/{goal_lists[k]}" for k in KINDS)
        + f"; {skipped_lists} with `--skip-workload-check` | {verdict(within and skipped_lists == 0)} |",
        f"| at most 0.5 s added | +{added_time:.3f} s (median {med_time['check']:.2f} s vs {med_time['skip']:.2f} s) "
        f"| {verdict(added_time <= 0.5)} |",
        f"| at most 30 MiB added | +{added_rss:.1f} MiB (median peak RSS {med_rss['check']:.1f} MiB vs "
        f"{med_rss['skip']:.1f} MiB) | {verdict(added_rss <= 30)} |", "",
        "| figure | min / median / max |", "|---|---|",
        f"| wall time, with the check | {fmt(times['check'])} |",
        f"| wall time, `--skip-workload-check` | {fmt(times['skip'])} |",
        f"| CPU time of az (user + system), with the check | {fmt(cpu['check'])} |",
        f"| CPU time of az (user + system), `--skip-workload-check` | {fmt(cpu['skip'])} |",
        f"| peak RSS, with the check | {fmt(memory['check'], 'MiB', 1)} |",
        f"| peak RSS, `--skip-workload-check` | {fmt(memory['skip'], 'MiB', 1)} |",
        f"| received from the cluster's API per run, as sent (gzip over 128 KiB, as kube-apiserver sends it) | "
        f"{received:.1f} MiB |", "",
        f"The bench process itself peaked at {figures['floor']:.1f} MiB RSS, below every az figure: Linux starts a "
        "child's peak RSS at its parent's, so the cluster's objects are built and seeded by a child of their own.", "",
    ] + _against(args, times, cpu, memory)


def _against(args, times, cpu, memory):
    """The lines for --against REV: that revision's client, in the same rounds, against the same emulator."""
    if not args.against:
        return []
    rev = args.against

    def added(figures, name):
        return statistics.median(figures[f"{name}check"]) - statistics.median(figures[f"{name}skip"])

    rows = [("this tree", ""), (f"`{rev}`", f"{rev} ")]
    return [f"The client of `{rev}`, installed beside this one and run in the same rounds against the same "
            "emulator (`--against`):", "",
            "| client | wall time added | CPU time of az added | peak RSS added |", "|---|---|---|---|"] + [
        f"| {label} | +{added(times, name):.3f} s | +{added(cpu, name):.3f} s | +{added(memory, name):.1f} MiB |"
        for label, name in rows] + [""]


if __name__ == "__main__":
    sys.exit(main())
