# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Migrating a fleet (issue 12): 20 clusters x 4 Ubuntu pools, 3-second operations.

    python bench/fleet.py        (writes the "fleet" section of bench/RESULTS.md)

Side by side in one run: `migrate-fleet --waves canary=1 early=4 rest=* --max-parallel-clusters 8` with no wait
between waves, against a shell loop of `az aks azurelinux migrate` per cluster. Goal: at most 0.25x the loop's
wall time. Never part of `make test`.
"""
import datetime
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.run import Bench, prepare, machine, verdict, publish  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.store import SUBSCRIPTION_ID  # noqa: E402  pylint: disable=wrong-import-position

CLUSTERS, POOLS, SECONDS = 20, 4, 3


def seed(emulator, group):
    pools = [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5", "count": 1, "osSKU": "AzureLinux"}]
    pools += [{"name": f"u{i}", "mode": "User", "vmSize": "Standard_D4ds_v5", "count": 2} for i in range(POOLS)]
    emulator.seed({"clusters": [{"resourceGroup": group, "name": f"c{i}", "agentPools": pools}
                                for i in range(CLUSTERS)]})
    return [f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.ContainerService/"
            f"managedClusters/c{i}" for i in range(CLUSTERS)]


def main():
    work, emulator, env = prepare(".bench-fleet", operation_seconds=SECONDS, retry_after="1")
    try:
        bench = Bench(emulator, env)
        ids = seed(emulator, "fleetrg")
        print("migrate-fleet", flush=True)
        before = len(emulator.requests())
        ours = bench.run("aks", "azurelinux", "migrate-fleet", "--clusters", *ids, "--waves", "canary=1", "early=4",
                         "rest=*", "--max-parallel-clusters", "8", "--yes", "--skip-preflight")[0]
        fleet_reads = sum(1 for e in emulator.requests()[before:] if "/operations/" in e["path"])
        seed(emulator, "looprg")
        print("shell loop", flush=True)
        loop = 0.0
        for i in range(CLUSTERS):
            loop += bench.run("aks", "azurelinux", "migrate", "-g", "looprg", "-n", f"c{i}", "--yes",
                              "--skip-preflight")[0]
        info = machine()
    finally:
        emulator.stop()
    lines = [
        "## Migrating a fleet (issue 12)", "",
        f"Written by `python bench/fleet.py` on {datetime.date.today().isoformat()} ({info['cpu']}, {info['cores']} "
        f"cores, Azure CLI {info['azure-cli']}). {CLUSTERS} clusters x {POOLS} Ubuntu pools, {SECONDS}-second "
        "operations (Retry-After 1), in place at the default --max-parallel 2, side by side in one run.", "",
        "| goal | measured | verdict |", "|---|---|---|",
        f"| `migrate-fleet --waves canary=1 early=4 rest=* --max-parallel-clusters 8` at most 0.25x a shell loop of "
        f"`az aks azurelinux migrate` | ratio {ours / loop:.3f} ({ours:.1f} s vs {loop:.1f} s) | "
        f"{verdict(ours <= 0.25 * loop)} |", "",
        f"The rollout read operation status {fleet_reads} times for {CLUSTERS * POOLS} operations, against AKS's "
        "budget of 200 reads plus 2 a second for the subscription.", "",
    ]
    publish(lines, os.path.join(ROOT, "bench", "RESULTS.md"), "fleet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
