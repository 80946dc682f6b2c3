# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Many clusters' migrations, orchestrated: the clusters and their waves (ids, a file, or a Fleet Manager fleet
and its update strategy), every cluster read and planned in parallel as `migrate` plans it, then the waves run by
migration/fleet.py with each cluster carried out by _migrate.py, and one report with the right exit code."""
import time
from concurrent.futures import ThreadPoolExecutor
from logging import getLogger

from azure.cli.core.azclierror import FileOperationError, InvalidArgumentValueError, ResourceNotFoundError

from azext_azurelinux import _arm, _migrate, _sdk, migration
from azext_azurelinux._console import StopSignals, finish_run, one_line, progress
from azext_azurelinux._consts import API_PROVIDER, FLEET_API
from azext_azurelinux.migration import fleet

logger = getLogger("cli.azext_azurelinux._migrate_fleet")
FRESH_PLAN_SECONDS = 30  # a plan older than this is made again from a new read before its cluster runs


class Services:  # pylint: disable=too-few-public-methods
    """One ContainerServiceClient per subscription, made when first needed."""

    def __init__(self, cmd):
        self.cmd, self.clients = cmd, {}

    def __call__(self, subscription):
        key = subscription.lower()
        if key not in self.clients:
            self.clients[key] = _sdk.container_service(self.cmd, subscription)
        return self.clients[key]


def attempt(function, *args, **kwargs):
    """The function's result, or the Azure or CLI error it raised (a cluster that cannot be read is a failed
    cluster, not a crash)."""
    from azure.core.exceptions import AzureError
    from knack.util import CLIError
    try:
        return function(*args, **kwargs)
    except (AzureError, CLIError) as error:
        return error


def waves(services, *, clusters, clusters_file, fleet_id, update_strategy, wave_specs, wait_between):
    """([{name, clusters, waitAfter}], clusters in no wave) from the way the user gave the clusters."""
    try:
        fleet.parse_duration(wait_between)
        if fleet_id:
            return _fleet_waves(services, fleet_id, update_strategy, wave_specs)
        if clusters_file:
            try:
                with open(clusters_file, encoding="utf-8") as handle:
                    ids = fleet.clusters_from_file(handle.read())
            except OSError as error:
                raise FileOperationError(f"--clusters-file {clusters_file} cannot be read ({error.strerror}).") \
                    from None
        else:
            ids = list(dict.fromkeys(clusters))
            for cluster in ids:
                fleet.parse_cluster_id(cluster)
        return fleet.assign_waves(ids, fleet.parse_waves(wave_specs))
    except fleet.FleetError as error:
        raise InvalidArgumentValueError(str(error)) from None


def _fleet_waves(services, fleet_id, update_strategy, wave_specs):
    subscription, group, name = fleet.parse_fleet_id(fleet_id)
    base = f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{API_PROVIDER}/fleets/{name}"

    def not_found(path, response):
        raise ResourceNotFoundError(f"--fleet-id: {_arm.response_message(response)}")
    get = _arm.json_reader(services(subscription), {404: not_found})
    members = list(_arm.pages(get, f"{base}/members", {"api-version": FLEET_API}))
    if update_strategy:
        return fleet.waves_from_strategy(members, get(f"{base}/updateStrategies/{update_strategy}",
                                                      {"api-version": FLEET_API}))
    return fleet.assign_waves([m["properties"]["clusterResourceId"] for m in members], fleet.parse_waves(wave_specs))


def pool_outcomes(results):
    """{outcome: pools} of a cluster's results (or plans, counted by their action)."""
    counts = {}
    for result in results:
        outcome = result.get("outcome") or result["action"]
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _as_results(plans, dry_run):
    """Plans in the shape of results, for a cluster with nothing to run (or a dry run): each pool's public plan with
    its outcome, `planned` for what a dry run would move."""
    return [dict(migration.public(p), outcome="planned" if dry_run and p["action"] in migration.ACTIONABLE
                 else p["action"]) for p in plans]


def _cluster_outcome(results):
    outcomes = {r["outcome"] for r in results}
    if "interrupted" in outcomes:
        return "interrupted"
    if outcomes & {"failed", "not-started"} or _migrate.refused_by_live_checks(results):
        return "failed"
    return "succeeded" if "succeeded" in outcomes else "nothing-to-do"


def _planned_row(cluster, wave, planned):
    if isinstance(planned, Exception):
        return {"cluster": cluster, "wave": wave, "outcome": "failed", "error": one_line(planned)}
    plans, report = planned
    return {"cluster": cluster, "wave": wave, "outcome": "planned", "preflight": report["preflight"],
            "workloads": report.get("workloads"), "pools": _as_results(plans, dry_run=True)}


def show_fleet_plan(planned_waves, plans):
    for wave in planned_waves:
        progress(f"Wave {wave['name']}: {len(wave['clusters'])} cluster(s)"
                 + (f", then a wait of {wave['waitAfter']} s" if wave.get("waitAfter") else ""))
        for cluster in wave["clusters"]:
            planned = plans[cluster]
            if isinstance(planned, Exception):
                progress(f"  {cluster}: cannot be read: {one_line(planned)}")
                continue
            counts = pool_outcomes([{"action": p["action"]} for p in planned[0]])
            progress(f"  {cluster}: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items())))


class FleetRun:  # pylint: disable=too-few-public-methods
    """A fleet's plans and their run. `planning` holds the keyword arguments of _migrate.plan_cluster that every
    cluster shares (policy, os_sku, strategy, roll, max_parallel, skip_preflight)."""

    def __init__(self, cmd, services, planning):
        self.cmd, self.services, self.planning = cmd, services, planning
        self.plans, self.planned_at = {}, None

    def _plan(self, cluster):
        subscription, group, name = fleet.parse_cluster_id(cluster)
        return _migrate.plan_cluster(self.cmd, self.services(subscription), group, name, subscription=subscription,
                                     **self.planning)

    def plan_all(self, clusters, max_parallel_clusters):
        """Read and plan every cluster, `max_parallel_clusters` at a time."""
        with ThreadPoolExecutor(max_workers=max(1, max_parallel_clusters)) as readers:
            self.plans = dict(zip(clusters, readers.map(lambda cluster: attempt(self._plan, cluster), clusters)))
        self.planned_at = time.monotonic()
        return self.plans

    def planned_rows(self, planned_waves):
        return [_planned_row(c, w["name"], self.plans[c]) for w in planned_waves for c in w["clusters"]]

    def migrate_one(self, cluster, stop):
        """One cluster of a wave: planned again when its plan is stale, then carried out."""
        planned = self.plans[cluster]
        if isinstance(planned, Exception) or time.monotonic() - self.planned_at > FRESH_PLAN_SECONDS:
            planned = attempt(self._plan, cluster)  # read again: a wait, or a long wave, may have changed the cluster
        if isinstance(planned, Exception):
            return {"outcome": "failed", "error": one_line(planned)}
        cluster_plans, _ = planned
        subscription, group, name = fleet.parse_cluster_id(cluster)
        if not [p for p in cluster_plans if p["action"] in migration.ACTIONABLE]:
            return {"outcome": "failed" if _migrate.refused_by_live_checks(cluster_plans) else "nothing-to-do",
                    "pools": _as_results(cluster_plans, dry_run=False)}
        results = attempt(_migrate.run_cluster, self.cmd, self.services(subscription), group, name, cluster_plans,
                          max_parallel=self.planning["max_parallel"], continue_on_error=False, stop=stop,
                          subscription=subscription, label=True)
        if isinstance(results, Exception):
            return {"outcome": "failed", "error": one_line(results)}
        return {"outcome": _cluster_outcome(results), "pools": results}

    def run(self, planned_waves, *, max_parallel_clusters, max_failed_clusters, wait_between):
        """Run the waves; (results, the stop signals)."""
        with StopSignals() as signals:
            results = fleet.run_waves(planned_waves, lambda cluster: self.migrate_one(cluster, signals.event),
                                      max_parallel_clusters, max_failed_clusters, fleet.parse_duration(wait_between),
                                      stop=signals.event, progress=progress)
        return results, signals


def finish(cmd, report, signals):
    """The fleet's summary line, and the exit code: a stop's, or 1 when a cluster failed or did not start, or a live
    check (quota, sizes, workloads) refused one of its pools, in a dry run too, as `migrate --dry-run` exits."""
    progress.end()
    rows = report["clusters"]
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    report["summary"] = counts
    progress(f"{len(rows)} cluster(s): " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))
    finish_run(cmd, signals, any(row["outcome"] in ("failed", "not-started") or
                                 _migrate.refused_by_live_checks(row.get("pools") or []) for row in rows))
    return report
