# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Benchmarks of `az aks azurelinux` side by side with core `az aks`, on the local emulator, in one run.

    python bench/run.py [--rounds 5] [--out bench/RESULTS.md]      (or: make bench)

Starts the emulator, installs the extension from its wheel into a private az, runs each
pair of commands alternately (ours, then core, round after round), and writes
bench/RESULTS.md: the machine, the CLI version, every figure as min / median / max, and
each ratio against its goal. Timings on a shared machine are noisy: the goals are ratios
of figures measured side by side in this one run. Never part of `make test`.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.conftest import build_wheel  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.client import EmulatorProcess, az_executable, sign_in  # noqa: E402  pylint: disable=wrong-import-position

ARM_WRITES = ("PUT", "DELETE", "POST", "PATCH")


def prepare(work_name, **emulator_settings):
    """A clean work folder, the extension's wheel, the emulator started, and a private az signed in to it with the
    wheel installed: (work folder, emulator, az environment). The caller stops the emulator."""
    work = os.path.join(ROOT, work_name)
    shutil.rmtree(work, ignore_errors=True)
    wheel = build_wheel(tempfile.mkdtemp(prefix="azurelinux-bench-wheel-"))
    emulator = EmulatorProcess(os.path.join(work, "emulator"), **emulator_settings)
    try:
        env = sign_in(emulator, os.path.join(work, "config"), extension_dir=os.path.join(work, "extensions"))
        install(env, wheel)
    except BaseException:
        emulator.stop()
        raise
    return work, emulator, env


def install(env, wheel):
    """Install the wheel into the extension folder of the az environment `env`."""
    subprocess.run([az_executable(), "extension", "add", "--source", wheel, "--yes"], env=env, check=True,
                   capture_output=True)


class Bench:
    def __init__(self, emulator, env):
        self.emulator, self.env, self.az = emulator, env, az_executable()

    def run(self, *args, check=True):
        """Run az; return (seconds, peak RSS of that process in MiB, exit code, stdout, stderr)."""
        import threading
        started = time.perf_counter()
        process = subprocess.Popen([self.az, *args], env=self.env, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                   stderr=subprocess.PIPE, text=True)
        streams = {}
        readers = [threading.Thread(target=lambda n=n, s=s: streams.__setitem__(n, s.read()))
                   for n, s in (("out", process.stdout), ("err", process.stderr))]
        for reader in readers:
            reader.start()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
        seconds = time.perf_counter() - started
        for reader in readers:
            reader.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        if check and process.returncode != 0:
            raise RuntimeError(f"az {' '.join(args)} failed ({process.returncode}): {streams['err'][-2000:]}")
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        return seconds, usage.ru_maxrss / 1024, process.returncode, streams["out"], streams["err"]

    def arm_requests(self, since=0):
        return [e for e in self.emulator.requests()[since:] if e["path"].lower().startswith("/subscriptions")]

    def count(self, *args, check=True):
        """How many ARM requests one run of a command sends (and how many of them write)."""
        before = len(self.emulator.requests())
        self.run(*args, check=check)
        log = self.arm_requests(before)
        return len(log), len([e for e in log if e["method"] in ARM_WRITES]), [e["method"] for e in log]


def stats(values):
    return min(values), statistics.median(values), max(values)


def fmt(values, unit="s", digits=2):
    low, mid, high = stats(values)
    return f"{low:.{digits}f} / **{mid:.{digits}f}** / {high:.{digits}f} {unit}"


def seed(emulator, rg, cluster, pools):
    emulator.seed({"clusters": [{"resourceGroup": rg, "name": cluster, "kubernetesVersion": "1.33.5",
                                 "agentPools": pools}]})


def ubuntu(name, mode="User"):
    return {"name": name, "mode": mode, "vmSize": "Standard_D4ds_v5", "count": 1, "osSKU": "Ubuntu"}


def bench_load(bench, rounds):
    """Load time of our extension and of core's acs module, from `az aks nodepool list --debug`."""
    ours, acs = [], []
    for _ in range(rounds):
        _, _, _, _, err = bench.run("aks", "nodepool", "list", "-g", "benchrg", "--cluster-name", "base", "--debug")
        ours.append(float(re.search(r"azurelinux\s+([0-9.]+)", err).group(1)) * 1000)
        acs.append(float(re.search(r"\bacs\s+([0-9.]+)", err).group(1)) * 1000)
    return ours, acs


def bench_add(bench, rounds):
    """Alternating, round after round: our add, core's add, and our refusal of an A100 pool.

    Returns wall times, peak memory and, per side, the ARM requests of its last round.
    """
    sides = {
        "ours": lambda name: ["aks", "azurelinux", "nodepool", "add", "-n", name],
        "core": lambda name: ["aks", "nodepool", "add", "--os-sku", "AzureLinux", "-n", name],
        "refusal": lambda name: ["aks", "azurelinux", "nodepool", "add", "-n", "a100", "--node-vm-size",
                                 "Standard_NC24ads_A100_v4"],
    }
    times = {side: [] for side in sides}
    cpu = {side: [] for side in sides}
    memory = {side: [] for side in sides}
    requests = {side: [] for side in sides}
    refusal_requests = 0
    for i in range(rounds):
        for side, command in sides.items():
            before = len(bench.emulator.requests())
            seconds, rss, code, *_ = bench.run(*command(f"{side[0]}{i}"), "-g", "benchrg", "--cluster-name", "base",
                                               "--node-count", "1", "-o", "none", check=side != "refusal")
            assert (code != 0) == (side == "refusal")
            times[side].append(seconds)
            cpu[side].append(bench.cpu_seconds)
            memory[side].append(rss)
            requests[side] = [e["method"] for e in bench.arm_requests(before)]
            if side == "refusal":
                refusal_requests += len(bench.emulator.requests()) - before
    return times, cpu, memory, requests, refusal_requests


def bench_request_counts(bench):
    rows = []
    seed(bench.emulator, "countrg", "counts", [ubuntu("system", "System"), ubuntu("inplace"), ubuntu("newpool")] +
         [ubuntu(f"m{i}") for i in range(3)])
    rows.append(("core `az aks create`", *bench.count("aks", "create", "-g", "countrg", "-n", "corec", "--os-sku",
                                                      "AzureLinux", "--no-ssh-key", "-o", "none")))
    rows.append(("`az aks azurelinux create`", *bench.count("aks", "azurelinux", "create", "-g", "countrg", "-n",
                                                            "oursc", "-o", "none")))
    rows.append(("`az aks azurelinux create --location`",
                 *bench.count("aks", "azurelinux", "create", "-g", "countrg", "-n", "oursl", "--location", "eastus",
                              "-o", "none")))
    rows.append(("core `az aks nodepool add --os-sku AzureLinux`",
                 *bench.count("aks", "nodepool", "add", "-g", "countrg", "--cluster-name", "counts", "-n", "corep",
                              "--os-sku", "AzureLinux", "-o", "none")))
    rows.append(("`az aks azurelinux nodepool add`",
                 *bench.count("aks", "azurelinux", "nodepool", "add", "-g", "countrg", "--cluster-name", "counts",
                              "-n", "oursp", "-o", "none")))
    rows.append(("refused `az aks azurelinux nodepool add` (A100)",
                 *bench.count("aks", "azurelinux", "nodepool", "add", "-g", "countrg", "--cluster-name", "counts",
                              "-n", "a100", "--node-vm-size", "Standard_NC24ads_A100_v4", check=False)))
    rows.append(("core `az aks nodepool update --os-sku AzureLinux`",
                 *bench.count("aks", "nodepool", "update", "-g", "countrg", "--cluster-name", "counts", "-n", "m0",
                              "--os-sku", "AzureLinux", "-o", "none")))
    rows.append(("`az aks azurelinux nodepool migrate` (in-place)",
                 *bench.count("aks", "azurelinux", "nodepool", "migrate", "-g", "countrg", "--cluster-name", "counts",
                              "-n", "inplace", "--yes", "-o", "none")))
    rows.append(("`az aks azurelinux nodepool migrate --strategy new-pool`",
                 *bench.count("aks", "azurelinux", "nodepool", "migrate", "-g", "countrg", "--cluster-name", "counts",
                              "-n", "newpool", "--strategy", "new-pool", "--yes", "-o", "none")))
    rows.append(("`az aks azurelinux migrate` (3 pools to move: system, m1, m2)",
                 *bench.count("aks", "azurelinux", "migrate", "-g", "countrg", "-n", "counts", "--yes", "-o", "none")))
    return rows


def bench_parallel(bench, rounds, pools=8, operation_seconds=3):
    """8 Ubuntu pools, 3-second operations: core shell loop vs ours at --max-parallel 1 and 4."""
    bench.emulator.configure(operationSeconds=operation_seconds)
    times = {"core loop": [], "ours mp1": [], "ours mp4": []}
    names = [f"u{i}" for i in range(pools)]
    try:
        for i in range(rounds):
            for side in times:
                rg, cluster = f"par{i}{side[-1]}{side[0]}", "par"
                seed(bench.emulator, rg, cluster, [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5",
                                                    "count": 1, "osSKU": "AzureLinux"}] + [ubuntu(n) for n in names])
                started = time.perf_counter()
                if side == "core loop":
                    for name in names:
                        bench.run("aks", "nodepool", "update", "-g", rg, "--cluster-name", cluster, "-n", name,
                                  "--os-sku", "AzureLinux", "-o", "none")
                else:
                    bench.run("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--max-parallel", side[-1],
                              "--yes", "-o", "none")
                times[side].append(time.perf_counter() - started)
    finally:
        bench.emulator.configure(operationSeconds=0)
    return times


def machine():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    version = subprocess.run([az_executable(), "version", "--query", '"azure-cli"', "-o", "tsv"],
                             capture_output=True, text=True, check=False).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "azure-cli": version,
            "os": f"{platform.system()} {platform.release()}"}


def verdict(ok):
    return "met" if ok else "**not met**"


def report(args, info, load, add, counts, parallel):
    ours_load, acs_load = load
    add_times, add_cpu, add_memory, add_requests, refusal_sent = add
    refusal_times, refusal_memory = add_times["refusal"], add_memory["refusal"]
    med = {k: statistics.median(v) for k, v in add_times.items()}
    mem = {k: statistics.median(v) for k, v in add_memory.items()}
    par = {k: statistics.median(v) for k, v in parallel.items()}
    lines = [
        "# Benchmark results", "",
        f"Written by `python bench/run.py --rounds {args.rounds}` on {datetime.date.today().isoformat()}. "
        "Each figure is min / **median** / max over the rounds (our add, core's add and our refusal over four "
        "times as many, taking turns); the sides of each comparison ran alternately in this one run, against the same "
        "local emulator.", "",
        "## Machine", "",
        f"- CPU: {info['cpu']} ({info['cores']} cores)", f"- OS: {info['os']}",
        f"- Python {info['python']}, Azure CLI {info['azure-cli']}", "",
        "## Goals", "",
        "| goal | measured | verdict |", "|---|---|---|",
        f"| load cost of the extension <= 10 ms | median {statistics.median(ours_load):.1f} ms (core acs: "
        f"{statistics.median(acs_load):.0f} ms) | {verdict(statistics.median(ours_load) <= 10)} |",
        f"| `nodepool add`: at most 3 ARM requests | {len(add_requests['ours'])} ({' '.join(add_requests['ours'])}); "
        f"core sends {len(add_requests['core'])} ({' '.join(add_requests['core'])}) | "
        f"{verdict(len(add_requests['ours']) <= 3)} |",
        f"| `nodepool add` median wall time <= core's | ratio {med['ours'] / med['core']:.3f} "
        f"({med['ours']:.2f} s vs {med['core']:.2f} s) | {verdict(med['ours'] <= med['core'])} |",
        f"| a refusal sends no request and is faster than a successful add | {refusal_sent} requests; median "
        f"{statistics.median(refusal_times):.2f} s vs {med['ours']:.2f} s | "
        f"{verdict(refusal_sent == 0 and statistics.median(refusal_times) < med['ours'])} |",
        f"| `migrate --max-parallel 4` <= 0.35 x a core shell loop (8 pools, 3 s operations) | ratio "
        f"{par['ours mp4'] / par['core loop']:.3f} ({par['ours mp4']:.1f} s vs {par['core loop']:.1f} s) | "
        f"{verdict(par['ours mp4'] / par['core loop'] <= 0.35)} |",
        f"| peak memory <= 1.05 x core `nodepool add` | ratio {mem['ours'] / mem['core']:.3f} ({mem['ours']:.1f} MiB "
        f"vs {mem['core']:.1f} MiB); refusal {statistics.median(refusal_memory):.1f} MiB | "
        f"{verdict(mem['ours'] <= 1.05 * mem['core'])} |", "",
        "## Figures", "",
        "| figure | min / median / max |", "|---|---|",
        f"| extension load time (`az aks nodepool list --debug`) | {fmt(ours_load, 'ms', 1)} |",
        f"| core acs module load time | {fmt(acs_load, 'ms', 0)} |",
        f"| `az aks azurelinux nodepool add` | {fmt(add_times['ours'])} |",
        f"| core `az aks nodepool add --os-sku AzureLinux` | {fmt(add_times['core'])} |",
        f"| CPU time (user + system), ours add | {fmt(add_cpu['ours'])} |",
        f"| CPU time (user + system), core add | {fmt(add_cpu['core'])} |",
        f"| CPU time (user + system), refused add | {fmt(add_cpu['refusal'])} |",
        f"| refused add (A100) | {fmt(refusal_times)} |",
        f"| peak RSS, ours add | {fmt(add_memory['ours'], 'MiB', 1)} |",
        f"| peak RSS, core add | {fmt(add_memory['core'], 'MiB', 1)} |",
        f"| peak RSS, refused add | {fmt(refusal_memory, 'MiB', 1)} |",
        f"| 8 pools: core `az aks nodepool update --os-sku AzureLinux` shell loop | {fmt(parallel['core loop'])} |",
        f"| 8 pools: `az aks azurelinux migrate --max-parallel 1` | {fmt(parallel['ours mp1'])} |",
        f"| 8 pools: `az aks azurelinux migrate --max-parallel 4` | {fmt(parallel['ours mp4'])} |", "",
        "## ARM requests per command", "",
        "| command | requests | writes | sequence |", "|---|---|---|---|",
    ]
    lines += [f"| {name} | {total} | {writes} | {' '.join(seq)} |" for name, total, writes, seq in counts]
    lines += ["", "Polls follow the service's Retry-After (1 s from the emulator here); the SDK's poller does the "
              "waiting, so ours polls exactly as core does.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each side (at least 5 for the report)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = parser.parse_args(argv)
    print("building the wheel and starting the emulator...", flush=True)
    _, emulator, env = prepare(".bench", operation_seconds=0, retry_after="1")
    try:
        bench = Bench(emulator, env)
        seed(emulator, "benchrg", "base", [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5",
                                            "count": 1, "osSKU": "AzureLinux"}])
        info = machine()
        print("load time...", flush=True)
        load = bench_load(bench, args.rounds)
        print("nodepool add: ours, core's and a refusal, alternately...", flush=True)
        # one add is under 1 s, mostly the CLI's own start-up (loading core's acs module for any `az aks`
        # command): four times the rounds steady the medians
        add = bench_add(bench, 4 * args.rounds)
        print("request counts...", flush=True)
        counts = bench_request_counts(bench)
        print("parallel migration (this takes a few minutes)...", flush=True)
        parallel = bench_parallel(bench, args.rounds)
    finally:
        emulator.stop()
    text = report(args, info, load, add, counts, parallel)
    write_keeping_sections(args.out, text)
    print(text)
    return 0


SECTION = re.compile(r"<!-- section (?P<name>[\w-]+) -->.*?<!-- /section (?P=name) -->\n?", re.DOTALL)


def publish(lines, path, section):
    """Write the report's lines as `section` of RESULTS.md (the other sections stay) and print them."""
    text = "\n".join(lines)
    write_keeping_sections(path, text, section=section)
    print(text)


def write_keeping_sections(path, text, section=None):
    """Write the report; the sections other benchmarks wrote into the same file stay. With `section`, replace
    (or add) only that section."""
    old = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            old = handle.read()
    sections = {m.group("name"): m.group(0) for m in SECTION.finditer(old)}
    if section is None:
        body = text.rstrip("\n") + "\n\n" + "".join(sections.values())
    else:
        sections[section] = f"<!-- section {section} -->\n{text.rstrip()}\n<!-- /section {section} -->\n"
        body = SECTION.sub("", old).rstrip("\n") + "\n\n" + "".join(sections.values())
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(body.rstrip("\n") + "\n")


if __name__ == "__main__":
    sys.exit(main())
