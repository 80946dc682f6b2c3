# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Speed on the real service (issue 15): the emulator sends no Retry-After, as AKS does, and operations last 20 s.

    python bench/polling.py [--rounds 3]       (writes the "polling" section of bench/RESULTS.md)

Side by side in one run: `nodepool add`, ours and core's, taking turns; an 8-pool cluster migration at
--max-parallel 4 against a shell loop of core `az aks nodepool update --os-sku AzureLinux`; and the status reads
per second during a 20-pool migration at --max-parallel 20, from the emulator's request log. Goals: add at most
0.8x core's wall time; the migration at most 0.2x the core loop; status reads never above the budget (2 a second
per subscription, with AKS's bucket of 200). Never part of `make test`.
"""
import argparse
import datetime
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.run import Bench, prepare, fmt, machine, verdict, publish  # noqa: E402  pylint: disable=wrong-import-position

SECONDS = 20
POLL = re.compile(r"/operations/[^/]+$")


def pools(count, prefix):
    return [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5", "count": 1, "osSKU": "AzureLinux"}] + \
        [{"name": f"{prefix}{i}", "mode": "User", "vmSize": "Standard_D4ds_v5", "count": 2, "osSKU": "Ubuntu"}
         for i in range(count)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = parser.parse_args(argv)
    work, emulator, env = prepare(".bench-polling", operation_seconds=SECONDS, retry_after="none")
    try:
        bench = Bench(emulator, env)
        emulator.seed({"clusters": [{"resourceGroup": "bench", "name": "adds", "agentPools": pools(0, "x")}]})
        add = {"ours": [], "core": []}
        for n in range(args.rounds):
            print(f"add, round {n + 1}", flush=True)
            add["ours"].append(bench.run("aks", "azurelinux", "nodepool", "add", "-g", "bench", "--cluster-name",
                                         "adds", "-n", f"ours{n}", "--kubernetes-version", "1.33.5")[0])
            add["core"].append(bench.run("aks", "nodepool", "add", "-g", "bench", "--cluster-name", "adds", "-n",
                                         f"core{n}", "--os-sku", "AzureLinux", "--kubernetes-version", "1.33.5")[0])
        print("8-pool migration: ours at --max-parallel 4, then core's loop", flush=True)
        emulator.seed({"clusters": [{"resourceGroup": "bench", "name": "ours8", "agentPools": pools(8, "u")},
                                    {"resourceGroup": "bench", "name": "core8", "agentPools": pools(8, "u")}]})
        ours8 = bench.run("aks", "azurelinux", "migrate", "-g", "bench", "-n", "ours8", "--max-parallel", "4",
                          "--yes", "--skip-preflight")[0]
        core8 = 0.0
        for i in range(8):
            core8 += bench.run("aks", "nodepool", "update", "-g", "bench", "--cluster-name", "core8", "-n", f"u{i}",
                               "--os-sku", "AzureLinux")[0]
        print("20-pool migration at --max-parallel 20, counting status reads", flush=True)
        emulator.seed({"clusters": [{"resourceGroup": "bench", "name": "wide", "agentPools": pools(20, "w")}]})
        before = len(emulator.requests())
        wide = bench.run("aks", "azurelinux", "migrate", "-g", "bench", "-n", "wide", "--max-parallel", "20", "--yes",
                         "--skip-preflight")[0]
        reads = sorted(e["start"] for e in emulator.requests()[before:] if e["method"] == "GET"
                       and POLL.search(e["path"]))
        throttled = sum(1 for e in emulator.requests()[before:] if e.get("status") == 429)
        info = machine()
    finally:
        emulator.stop()
    peak = max(sum(1 for t in reads if s <= t < s + 1.0) for s in reads) if reads else 0
    span = max(reads[-1] - reads[0], 1.0) if reads else 1.0
    mean = len(reads) / span
    med = {k: statistics.median(v) for k, v in add.items()}
    lines = [
        "## Speed on the real service (issue 15)", "",
        f"Written by `python bench/polling.py --rounds {args.rounds}` on {datetime.date.today().isoformat()} "
        f"({info['cpu']}, {info['cores']} cores, Azure CLI {info['azure-cli']}). The emulator sends no Retry-After, as "
        f"AKS does, and every operation lasts {SECONDS} s. Ours and core's ran side by side in this one run.", "",
        "| goal | measured | verdict |", "|---|---|---|",
        f"| `nodepool add` at most 0.8x core's wall time | ratio {med['ours'] / med['core']:.2f} ({med['ours']:.1f} s "
        f"vs {med['core']:.1f} s) | {verdict(med['ours'] <= 0.8 * med['core'])} |",
        f"| 8-pool migration (`--max-parallel 4`) at most 0.2x the core loop | ratio {ours8 / core8:.3f} "
        f"({ours8:.1f} s vs {core8:.1f} s) | {verdict(ours8 <= 0.2 * core8)} |",
        f"| status reads never above the budget (AKS's bucket of 200, refilled at 2 a second) | 20 pools at "
        f"`--max-parallel 20`: {len(reads)} reads in {wide:.0f} s (allowed: {200 + 2 * span:.0f}), busiest second "
        f"{peak}, mean {mean:.2f}/s, {throttled} throttled | {verdict(throttled == 0 and len(reads) <= 200 + 2 * span)} |",
        "",
        "| figure | min / median / max |", "|---|---|",
        f"| ours `az aks azurelinux nodepool add` | {fmt(add['ours'])} |",
        f"| core `az aks nodepool add --os-sku AzureLinux` | {fmt(add['core'])} |",
        f"| ours `migrate --max-parallel 4`, 8 pools | {ours8:.1f} s |",
        f"| core loop of `az aks nodepool update --os-sku AzureLinux`, 8 pools | {core8:.1f} s |",
        f"| ours `migrate --max-parallel 20`, 20 pools | {wide:.1f} s |", "",
    ]
    publish(lines, args.out, "polling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
