# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The template gate at scale: a template of 1,000 node pools checked by one `check-template` process, side by side
with one offline `check`.

    python bench/templates.py [--rounds 10] [--pools 1000]     (writes the "templates" section of bench/RESULTS.md)

The template is bench/templates_gen.py's (10 clusters; pools written out, child `agentPools` whose sizes and OS
SKUs are expressions over parameters and variables, and a resource `copy` loop per cluster). Each round runs, in
turn, `az aks azurelinux check-template --template-file T -o none` (exit 1: the template has A100 pools) and
`az aks azurelinux check --node-vm-size Standard_NC6s_v3 -o none`, both through the real az with the wheel
installed. Goal (issue 20): the 1,000-pool check at most 2x the wall time of the one-choice check, median against
median; neither sends a request. Also measured in this process: reading and judging the template with the real
policy, without az's start-up. Never part of `make test`.
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.run import Bench, fmt, machine, prepare, publish, verdict  # noqa: E402  pylint: disable=wrong-import-position
from bench.templates_gen import template_with_pools  # noqa: E402  pylint: disable=wrong-import-position

GOAL = 2.0


def in_process(path, rounds):
    """Seconds to read and judge the template in this process, with the default policy: the gate's own cost."""
    from azext_azurelinux import _template_gate
    from azext_azurelinux.policy import Policy
    from azext_azurelinux.templates import gate
    timings, rows = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        policy = Policy()
        rows = [gate.judge_one(declaration, _template_gate.checker(policy, declaration), policy.is_azure_linux)
                for declaration in _template_gate.read(path)]
        timings.append(time.perf_counter() - started)
    return timings, rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pools", type=int, default=1000)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = parser.parse_args(argv)
    print("building the wheel and starting the emulator...", flush=True)
    work, emulator, env = prepare(".bench-templates")
    template = os.path.join(work, "pools.json")
    with open(template, "w", encoding="utf-8") as handle:
        json.dump(template_with_pools(args.pools), handle, indent=2)
    sides = {"check-template": ["aks", "azurelinux", "check-template", "--template-file", template, "-o", "none"],
             "check": ["aks", "azurelinux", "check", "--node-vm-size", "Standard_NC6s_v3", "-o", "none"]}
    try:
        bench = Bench(emulator, env)
        emulator.clear_requests()
        _, _, code, out, err = bench.run("aks", "azurelinux", "check-template", "--template-file", template,
                                         check=False)
        rows = json.loads(out)
        assert code == 1 and len(rows) == args.pools, (code, len(rows), err[-2000:])
        summary = err.strip().splitlines()[-1]
        times = {side: [] for side in sides}
        cpu = {side: [] for side in sides}
        memory = {side: [] for side in sides}
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds}", flush=True)
            for side, command in sides.items():
                seconds, rss, code, _, err = bench.run(*command, check=False)
                assert code == (1 if side == "check-template" else 0), err[-2000:]
                times[side].append(seconds)
                cpu[side].append(bench.cpu_seconds)
                memory[side].append(rss)
        requests = len(bench.arm_requests())
        info = machine()
    finally:
        emulator.stop()
    inside, _ = in_process(template, args.rounds)
    med = {side: statistics.median(values) for side, values in times.items()}
    ratio = med["check-template"] / med["check"]
    size = os.path.getsize(template)
    lines = [
        "## Template gate at scale (issue 20)", "",
        f"Written by `python bench/templates.py --rounds {args.rounds} --pools {args.pools}` on "
        f"{datetime.date.today().isoformat()} ({info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"Azure CLI {info['azure-cli']}). An ARM template of {args.pools} node pools in 10 clusters "
        f"({size / 1024:.0f} KiB; bench/templates_gen.py) checked by one `az aks azurelinux check-template` process, "
        "and one offline `az aks azurelinux check --node-vm-size Standard_NC6s_v3`, in turn, round after round.", "",
        f"The gate said: {summary}", "",
        "| goal | measured | verdict |", "|---|---|---|",
        f"| {args.pools} pools in at most {GOAL:g}x the wall time of one offline `check` | ratio {ratio:.2f} (median "
        f"{med['check-template']:.2f} s vs {med['check']:.2f} s) | {verdict(ratio <= GOAL)} |",
        f"| no request to Azure | {requests} ARM requests | {verdict(requests == 0)} |", "",
        "| figure | min / median / max |", "|---|---|",
        f"| `check-template`, {args.pools} pools | {fmt(times['check-template'])} |",
        f"| `check --node-vm-size` | {fmt(times['check'])} |",
        f"| CPU time (user + system), `check-template` | {fmt(cpu['check-template'])} |",
        f"| CPU time (user + system), `check` | {fmt(cpu['check'])} |",
        f"| peak RSS, `check-template` | {fmt(memory['check-template'], 'MiB', 1)} |",
        f"| peak RSS, `check` | {fmt(memory['check'], 'MiB', 1)} |",
        f"| read + judge in one process, no az start-up | {fmt([t * 1000 for t in inside], 'ms', 0)} |", "",
    ]
    publish(lines, args.out, "templates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
