# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The live preflight's cost: a 20-pool cluster planned with and without it, cold and warm, side by side.

    python bench/preflight.py [--rounds 10]        (writes the "preflight" section of bench/RESULTS.md)

Each round runs `az aks azurelinux migrate --dry-run` three ways, in turn: with --skip-preflight, with the
preflight and no SKU cache (cold: usages, the several-MB SKU list and the versions are read), and with the
preflight and the day's cache (warm). Goals (issue 10): at most 3 requests added, at most 0.3 s added cold
and 0.05 s warm. Never part of `make test`.
"""
import argparse
import datetime
import glob
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.run import Bench, prepare, fmt, machine, verdict, publish  # noqa: E402  pylint: disable=wrong-import-position

POOLS = 20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = parser.parse_args(argv)
    print("building the wheel and starting the emulator...", flush=True)
    work, emulator, env = prepare(".bench-preflight")
    config = os.path.join(work, "config")
    try:
        pools = [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5", "count": 3, "osSKU": "AzureLinux"}]
        pools += [{"name": f"ubuntu{i}", "mode": "User", "vmSize": "Standard_D4ds_v5", "count": 3,
                   "availabilityZones": ["1", "2", "3"]} for i in range(POOLS - 1)]
        emulator.seed({"clusters": [{"resourceGroup": "benchrg", "name": "c20", "location": "eastus",
                                     "kubernetesVersion": "1.33.5", "agentPools": pools}]})
        bench = Bench(emulator, env)
        base = ["aks", "azurelinux", "migrate", "-g", "benchrg", "-n", "c20", "--strategy", "new-pool", "--dry-run"]
        variants = {"skip": base + ["--skip-preflight"], "cold": base, "warm": base}
        times = {name: [] for name in variants}
        requests = {}
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds}", flush=True)
            for name, command in variants.items():
                if name == "cold":
                    for path in glob.glob(os.path.join(config, "azurelinux", "skus-*.json")):
                        os.remove(path)
                before = len(emulator.requests())
                seconds, _, _, out, _ = bench.run(*command)
                times[name].append(seconds)
                requests[name] = [e["path"].rsplit("/", 1)[-1] for e in bench.arm_requests(before)]
        sku_bytes = len(emulator.arm("GET", "/subscriptions/00000000-0000-0000-0000-00000000a2a1/providers/"
                                            "Microsoft.Compute/skus?$filter=location eq 'eastus'").content)
        info = machine()
    finally:
        emulator.stop()
    med = {name: statistics.median(values) for name, values in times.items()}
    added = {name: len(requests[name]) - len(requests["skip"]) for name in ("cold", "warm")}
    lines = [
        "## Preflight (issue 10)", "",
        f"Written by `python bench/preflight.py --rounds {args.rounds}` on {datetime.date.today().isoformat()} "
        f"({info['cpu']}, {info['cores']} cores, Azure CLI {info['azure-cli']}). A {POOLS}-pool cluster "
        f"(19 Ubuntu pools to move, zones 1-3) planned with `migrate --strategy new-pool --dry-run`; the emulator's "
        f"SKU list for the location is {sku_bytes / 1e6:.1f} MB. The three ways ran in turn, round after round.", "",
        "| goal | measured | verdict |", "|---|---|---|",
        f"| at most 3 requests added | cold +{added['cold']} ({', '.join(requests['cold'][1:])}), warm "
        f"+{added['warm']} ({', '.join(requests['warm'][1:])}) | {verdict(max(added.values()) <= 3)} |",
        f"| at most 0.3 s added, cold cache | +{med['cold'] - med['skip']:.3f} s (median {med['cold']:.2f} s vs "
        f"{med['skip']:.2f} s) | {verdict(med['cold'] - med['skip'] <= 0.3)} |",
        f"| at most 0.05 s added, warm cache | +{med['warm'] - med['skip']:.3f} s (median {med['warm']:.2f} s vs "
        f"{med['skip']:.2f} s) | {verdict(med['warm'] - med['skip'] <= 0.05)} |", "",
        "| figure | min / median / max |", "|---|---|",
        f"| `--skip-preflight` | {fmt(times['skip'])} |",
        f"| preflight, cold (no SKU cache) | {fmt(times['cold'])} |",
        f"| preflight, warm (the day's SKU cache) | {fmt(times['warm'])} |", "",
    ]
    publish(lines, args.out, "preflight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
