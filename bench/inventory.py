# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The fleet inventory at scale (issue 11): 100 subscriptions x 20 clusters x 5 pools (10,000 pools).

    python bench/inventory.py [--subscriptions 100]      (writes the "inventory" section of bench/RESULTS.md)

Side by side in one run: `inventory --source graph`, `inventory --source arm`, and what users do today, a shell loop
of core `az aks list --subscription S -o json`. Requests, wall time and peak memory of each. Goals: graph at most
1 request per 1,000 pools and at most 0.05x the loop's wall time; arm at most 0.1x. Never part of `make test`.
"""
import argparse
import datetime
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.run import Bench, prepare, machine, verdict, publish  # noqa: E402  pylint: disable=wrong-import-position


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = parser.parse_args(argv)
    work, emulator, env = prepare(".bench-inventory")
    try:
        emulator.admin("POST", "fleet", {"generate": {"subscriptions": args.subscriptions, "clusters": 20,
                                                      "pools": 5, "prefix": "f1ee7000"},
                                         "graphQuota": {"perWindow": 15, "windowSeconds": 5}})
        subs = [f"f1ee7000-0000-0000-0000-{s:012d}" for s in range(args.subscriptions)]
        bench = Bench(emulator, env)
        bench.run("account", "list", "--refresh", "-o", "none")  # the account learns the new subscriptions
        results = {}
        for name, command in (("graph", ["aks", "azurelinux", "inventory", "--subscriptions", *subs]),
                              ("arm", ["aks", "azurelinux", "inventory", "--subscriptions", *subs, "--source",
                                       "arm"])):
            print(name, flush=True)
            before = len(emulator.requests())
            seconds, rss, _, out, _ = bench.run(*command)
            rows = len(__import__("json").loads(out))
            results[name] = (seconds, rss, len(bench.arm_requests(before)) +
                             sum(1 for e in emulator.requests()[before:] if "resourcegraph" in e["path"].lower()),
                             rows)
        print("core loop", flush=True)
        before = len(emulator.requests())
        loop_seconds, loop_rss, loop_pools = 0.0, 0.0, 0
        for subscription in subs:
            seconds, rss, _, out, _ = bench.run("aks", "list", "--subscription", subscription, "-o", "json")
            loop_seconds += seconds
            loop_rss = max(loop_rss, rss)
            loop_pools += sum(len(c["agentPoolProfiles"]) for c in __import__("json").loads(out))
        results["loop"] = (loop_seconds, loop_rss, len(bench.arm_requests(before)), loop_pools)
        info = machine()
    finally:
        emulator.stop()
    graph, arm, loop = results["graph"], results["arm"], results["loop"]
    lines = [
        "## Fleet inventory (issue 11)", "",
        f"Written by `python bench/inventory.py --subscriptions {args.subscriptions}` on "
        f"{datetime.date.today().isoformat()} ({info['cpu']}, {info['cores']} cores, Azure CLI {info['azure-cli']}). "
        f"{args.subscriptions} subscriptions x 20 clusters x 5 pools in the emulator, side by side in one run.", "",
        "| goal | measured | verdict |", "|---|---|---|",
        f"| graph: at most 1 request per 1,000 pools | {graph[2]} requests for {graph[3]} pools | "
        f"{verdict(graph[2] <= max(1, graph[3] // 1000))} |",
        f"| graph: at most 0.05x the loop's wall time | ratio {graph[0] / loop[0]:.3f} ({graph[0]:.1f} s vs "
        f"{loop[0]:.1f} s) | {verdict(graph[0] <= 0.05 * loop[0])} |",
        f"| arm: at most 0.1x the loop's wall time | ratio {arm[0] / loop[0]:.3f} ({arm[0]:.1f} s vs {loop[0]:.1f} s) "
        f"| {verdict(arm[0] <= 0.1 * loop[0])} |", "",
        "| way | pools | requests | wall time | peak memory |", "|---|---|---|---|---|",
        f"| `az aks azurelinux inventory --source graph` | {graph[3]} | {graph[2]} | {graph[0]:.1f} s | "
        f"{graph[1]:.0f} MiB |",
        f"| `az aks azurelinux inventory --source arm` | {arm[3]} | {arm[2]} | {arm[0]:.1f} s | {arm[1]:.0f} MiB |",
        f"| shell loop of `az aks list --subscription S -o json` | {loop[3]} | {loop[2]} | {loop[0]:.1f} s | "
        f"{loop[1]:.0f} MiB (largest one) |", "",
    ]
    publish(lines, args.out, "inventory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
