# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Migrating a fleet: clusters in waves, a failure budget, parallel clusters. Pure but for the runner's threads.

Clusters come from resource ids, from a file (ids, one a line or a JSON list, or the JSON `inventory` writes), or
from an Azure Kubernetes Fleet Manager fleet, whose update strategy's stages become the waves. Each cluster is
migrated as `az aks azurelinux migrate` migrates it (`migrate_cluster(cluster_id)`, given by the caller), so the
records on its pools make a rerun skip what is done and resume what is in flight.
"""
import json
import math
import re
import threading
import time

_RESOURCE_ID = (r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.ContainerService/"
                r"{}/(?P<name>[^/]+)$")
_CLUSTER_ID = re.compile(_RESOURCE_ID.format("managedClusters"), re.IGNORECASE)
_FLEET_ID = re.compile(_RESOURCE_ID.format("fleets"), re.IGNORECASE)
_WAVE = re.compile(r"^(?P<name>[A-Za-z][\w-]{0,40})=(?P<size>\*|\d+%?)$")
_DURATION = re.compile(r"^(?P<number>\d+)(?P<unit>[smh]?)$")


class FleetError(ValueError):
    """A bad cluster list, wave spec or duration: one sentence saying what to write instead."""


def _parse_id(pattern, what, kind, text):
    match = pattern.match(str(text).strip())
    if not match:
        raise FleetError(f"{text!r} is not a {what} resource id: use /subscriptions/SUB/resourceGroups/RG/providers/"
                         f"Microsoft.ContainerService/{kind}/NAME.")
    return match.group("sub"), match.group("rg"), match.group("name")


def parse_cluster_id(text):
    """(subscription, resource group, name) of a managed cluster's resource id."""
    return _parse_id(_CLUSTER_ID, "managed cluster", "managedClusters", text)


def parse_fleet_id(text):
    """(subscription, resource group, name) of a Fleet Manager fleet's resource id."""
    return _parse_id(_FLEET_ID, "fleet", "fleets", text)


def cluster_id(subscription, resource_group, name):
    return (f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.ContainerService/"
            f"managedClusters/{name}")


def clusters_from_file(text):
    """Cluster ids from a file: JSON (a list of ids, or inventory rows) or one id a line; order kept, no repeats."""
    try:
        document = json.loads(text)
    except ValueError:
        document = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not isinstance(document, list):
        raise FleetError("the clusters file must hold a list: cluster ids, or the JSON `az aks azurelinux inventory` "
                         "writes.")
    ids = []
    for item in document:
        if isinstance(item, dict):
            try:
                item = cluster_id(item["subscription"], item["resourceGroup"], item["cluster"])
            except KeyError as error:
                raise FleetError(f"an inventory row in the clusters file lacks {error.args[0]!r}.") from None
        parse_cluster_id(item)
        if item.lower() not in (i.lower() for i in ids):
            ids.append(item)
    return ids


def parse_duration(text):
    """Seconds of '30m', '90s', '1h' or '0'."""
    match = _DURATION.match(str(text).strip())
    if not match:
        raise FleetError(f"{text!r} is not a duration: use a number with s, m or h, such as 30m.")
    return int(match.group("number")) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group("unit")]


def parse_waves(specs):
    """[(name, size)] from ['canary=1', 'early=10%', 'rest=*']; size an int, 'N%' or '*'."""
    waves = []
    for spec in specs or ["all=*"]:
        match = _WAVE.match(str(spec).strip())
        if not match:
            raise FleetError(f"--waves {spec!r} is not a wave: write NAME=COUNT, NAME=PERCENT% or NAME=* (the rest), "
                             "such as canary=1 early=10% rest=*.")
        if re.fullmatch(r"0+%?", match.group("size")):
            raise FleetError(f"--waves {spec}: a wave of no cluster moves nothing; give it at least 1 (or 1%), or "
                             "leave it out.")
        waves.append((match.group("name"), match.group("size")))
    if any(size == "*" for _, size in waves[:-1]):
        raise FleetError("--waves: only the last wave can take the rest (*).")
    if len({name for name, _ in waves}) != len(waves):
        raise FleetError("--waves: each wave needs a name of its own.")
    return waves


def assign_waves(clusters, waves):
    """([{name, clusters, waitAfter}] in order, []); a percentage is of all the clusters, rounded up. Waves that do
    not end with '*' must hold every cluster: a cluster is never put in a wave the user did not write, nor left out
    without a word, so a shortfall is a FleetError that says how many clusters no wave holds."""
    out, left = [], list(clusters)
    for name, size in waves:
        if size == "*":
            count = len(left)
        elif size.endswith("%"):
            count = math.ceil(len(clusters) * int(size[:-1]) / 100)
        else:
            count = int(size)
        out.append({"name": name, "clusters": left[:count], "waitAfter": None})
        left = left[count:]
    if left:
        written = " ".join(f"{name}={size}" for name, size in waves)
        raise FleetError(f"--waves {written} hold {len(clusters) - len(left)} of the {len(clusters)} clusters, so "
                         f"{len(left)} would be in no wave: add a last wave that takes the rest, such as rest=*, or "
                         "make the waves larger.")
    return out, left


def waves_from_strategy(members, strategy):
    """Waves from a Fleet Manager update strategy: its stages in order, each holding the member clusters of its
    groups, with afterStageWaitInSeconds as the wait after it. Members in no stage are returned apart."""
    by_group = {}
    for member in members:
        by_group.setdefault((member.get("properties") or {}).get("group"), []).append(
            member["properties"]["clusterResourceId"])
    waves, placed = [], set()
    for stage in ((strategy.get("properties") or {}).get("strategy") or {}).get("stages") or []:
        clusters = [c for group in stage.get("groups") or [] for c in by_group.get(group.get("name"), [])]
        placed.update(clusters)
        waves.append({"name": stage["name"], "clusters": clusters, "waitAfter": stage.get("afterStageWaitInSeconds")})
    unplaced = [m["properties"]["clusterResourceId"] for m in members
                if m["properties"]["clusterResourceId"] not in placed]
    return waves, unplaced


def run_waves(waves, migrate_cluster, max_parallel_clusters=1, max_failed_clusters=0, wait_between=0, stop=None,
              progress=print, sleep=None):
    """Run the waves in order; inside a wave, at most `max_parallel_clusters` clusters at a time. Once more than
    `max_failed_clusters` clusters have failed, no cluster starts (those in flight finish). `migrate_cluster(id)`
    returns a result with an "outcome". Returns every cluster's result, in wave order."""
    from concurrent.futures import ThreadPoolExecutor
    stop = stop or threading.Event()
    sleep = sleep or stop.wait
    failed, lock, results = [0], threading.Lock(), []

    def budget_spent():
        return failed[0] > max_failed_clusters

    def one(wave_name, cluster):
        if stop.is_set():
            return {"cluster": cluster, "wave": wave_name, "outcome": "not-started", "reason": "the run was stopped"}
        if budget_spent():
            return {"cluster": cluster, "wave": wave_name, "outcome": "not-started",
                    "reason": f"the failure budget (--max-failed-clusters {max_failed_clusters}) was spent"}
        started = time.monotonic()
        result = dict(migrate_cluster(cluster), cluster=cluster, wave=wave_name)
        result["seconds"] = round(time.monotonic() - started, 1)
        if result["outcome"] == "failed":
            with lock:
                failed[0] += 1
        return result

    for index, wave in enumerate(waves):
        if not wave["clusters"]:
            continue
        progress(f"Wave {wave['name']}: {len(wave['clusters'])} cluster(s), at most {max_parallel_clusters} at a time")
        with ThreadPoolExecutor(max_workers=max(1, max_parallel_clusters)) as workers:
            results += list(workers.map(lambda c, w=wave["name"]: one(w, c), wave["clusters"]))
        later = [w for w in waves[index + 1:] if w["clusters"]]
        wait = wave["waitAfter"] if wave.get("waitAfter") is not None else wait_between
        if later and wait and not budget_spent() and not stop.is_set():
            progress(f"Wave {wave['name']} done; waiting {wait} s before wave {later[0]['name']}")
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and not stop.is_set():
                sleep(min(60, deadline - time.monotonic()))
                left = deadline - time.monotonic()
                if left > 0:
                    progress(f"  {left:.0f} s left before wave {later[0]['name']}")
    return results
