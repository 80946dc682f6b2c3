# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""One cluster's migration, orchestrated: read the cluster once, plan every pool (the planner), check the plan
against what Azure offers (the live preflight), show it, carry it out (the executor through `PoolOps`), and
report with the right exit code. The commands `migrate`, `nodepool migrate`, `nodepool rollback`, `check` and
every cluster of `migrate-fleet` go through here."""
import time

from azure.cli.core.azclierror import InvalidArgumentValueError, ResourceNotFoundError
from knack.log import get_logger

from azext_azurelinux import _arm, _sdk, _workloads, migration, pools
from azext_azurelinux._console import StopSignals, finish_run, progress
from azext_azurelinux._consts import cache_dir
from azext_azurelinux.findings import WARNING
from azext_azurelinux.migration import preflight, records

logger = get_logger(__name__)


def where(resource_group_name, cluster_name):
    return f"-g {resource_group_name} --cluster-name {cluster_name}"


def cluster_views(cmd, resource_group_name, cluster_name, *, cluster_option="--cluster-name", service=None):
    """One GET of the cluster: (the cluster, a view of every pool with its ETag and the records earlier runs left).
    `service` is the ContainerServiceClient to read it with (the preflight reuses its connection)."""
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    service = service or _sdk.container_service(cmd)
    try:
        cluster = service.managed_clusters.get(resource_group_name, cluster_name)
    except NotFound as error:
        raise ResourceNotFoundError(_sdk.not_found_message(error, resource_group_name, cluster_name, None,
                                                           cluster_option)) from None
    return cluster, [pools.from_profile(profile) for profile in cluster.agent_pool_profiles or []]


def replaced_by(views, name):
    """The pools whose records say they replaced `name` (a new-pool migration)."""
    return [v["name"] for v in views if (records.read(v) or {}).get("replaces") == name]


def refused_by_live_checks(results):
    """The plans (or results) that a live check refused after planning: the preflight (quota, sizes, versions) or the
    workload check. Their pools needed migrating and will not: a run with any exits 1."""
    return [r for r in results if (r.get("preflight") or {}).get("refused")]


def live_preflight(cmd, service, location, plans, views, *, policy, max_parallel, subscription=None):
    """Read the live facts (once per location; the SKU list from a day's cache) and refuse what would fail."""
    moving = [p for p in plans if p["action"] == migration.MIGRATE]
    if not moving:
        return None
    started = time.perf_counter()
    facts = preflight.read_facts(_arm.preflight_reader(service), subscription or _sdk.subscription_of(cmd), location,
                                 need_versions=any(p["strategy"] == migration.NEW_POOL for p in moving),
                                 cache_dir=cache_dir(cmd.cli_ctx))
    for warning in facts["warnings"]:
        logger.warning("%s", warning)
    read = time.perf_counter()
    preflight.apply(plans, views, facts, policy=policy, max_parallel=max_parallel)
    logger.debug("preflight: facts of %s read in %.3f s (SKU list %s), %d pool(s) checked in %.3f s", location,
                 read - started, "from the day's cache" if facts["skusCached"] else "from Azure", len(moving),
                 time.perf_counter() - read)
    return {"location": location, "skusFromCache": facts["skusCached"], "warnings": facts["warnings"]}


def plan_cluster(cmd, service, resource_group_name, name, *, policy, os_sku, strategy, roll, max_parallel,
                 skip_preflight, skip_workload_check=False, subscription=None, cluster_option="--name"):
    """Read a cluster once and plan every pool, with the live preflight and the workload check unless skipped:
    (plans, report)."""
    cluster, views = cluster_views(cmd, resource_group_name, name, cluster_option=cluster_option, service=service)
    plans = migration.plan_cluster(views, os_sku, strategy, policy=policy, roll=roll)
    checked = None if skip_preflight else live_preflight(cmd, service, cluster.location, plans, views, policy=policy,
                                                         max_parallel=max_parallel, subscription=subscription)
    workloads = _workloads.check(cmd, service, subscription or _sdk.subscription_of(cmd), resource_group_name, name,
                                 plans, views, skip_workload_check)
    return plans, {"cluster": name, "resourceGroup": resource_group_name, "osSku": os_sku or migration.DEFAULT_TARGET,
                   "strategy": strategy, "maxParallel": max_parallel, "preflight": checked, "workloads": workloads}


def plan_nodepool(cmd, service, resource_group_name, cluster_name, nodepool_name, *, policy, os_sku, strategy,
                  new_name, roll, skip_preflight, skip_workload_check=False):
    """The plan of one pool (None when a new-pool migration already replaced it: (None, replacement name)).
    One read of the cluster gives the pool, the names a replacement must avoid, and the records earlier runs
    left."""
    cluster, views = cluster_views(cmd, resource_group_name, cluster_name, service=service)
    view = next((v for v in views if v["name"] == nodepool_name), None)
    if view is None:
        replaced = replaced_by(views, nodepool_name)
        if replaced:
            return None, replaced[0]
        raise ResourceNotFoundError(_sdk.not_found_message(None, resource_group_name, cluster_name, nodepool_name))
    replacing = migration.replacements_by_old_pool(views).get(nodepool_name, ())
    taken = [v["name"] for v in views]
    if new_name in taken and not replacing:
        raise InvalidArgumentValueError(f"--new-name {new_name}: cluster {cluster_name} already has a pool of that "
                                        "name; choose another.")
    plan = migration.plan_pool(view, os_sku, strategy, policy=policy, taken_names=taken, new_name=new_name,
                               replacements=replacing, roll=roll)
    if not skip_preflight:
        live_preflight(cmd, service, cluster.location, [plan], views, policy=policy, max_parallel=1)
    _workloads.check(cmd, service, _sdk.subscription_of(cmd), resource_group_name, cluster_name, [plan], views,
                     skip_workload_check)
    return plan, None


def plan_rollback(cmd, resource_group_name, cluster_name, nodepool_name, *, policy):
    """The plan that puts one pool back on the OS SKU on record; a pool that cannot be rolled back is an error."""
    _, views = cluster_views(cmd, resource_group_name, cluster_name)
    view = next((v for v in views if v["name"] == nodepool_name), None)
    if view is None:
        replaced = replaced_by(views, nodepool_name)
        if replaced:
            raise InvalidArgumentValueError(
                f"--name {nodepool_name} was migrated through a new pool: {replaced[0]} replaced it and "
                f"{nodepool_name} was deleted, so there is nothing to roll back to. To go back, add a pool with the "
                f"old OS SKU (az aks nodepool add {where(resource_group_name, cluster_name)} --os-sku ...) and "
                f"then delete {replaced[0]}.")
        raise ResourceNotFoundError(_sdk.not_found_message(None, resource_group_name, cluster_name, nodepool_name))
    plan = migration.plan_rollback(view, policy=policy)
    if plan["action"] == migration.REFUSED:
        raise InvalidArgumentValueError(f"--name {nodepool_name} cannot be rolled back: {plan['reason']}")
    return plan


def show_plan(plans):
    """Each pool's line of the plan on stderr, then the warnings its findings carry."""
    for plan in plans:
        target = ""
        if plan["action"] in migration.ACTIONABLE:
            replacement = f", replacement {plan['newPool']}" if plan.get("newPool") else ""
            target = f" -> {plan['osSkuAfter']} ({plan['strategy']}{replacement})"
        reason = f": {plan['reason']}" if plan.get("reason") else ""
        progress(f"  {plan['pool']}: {plan['action']} {plan['osSkuBefore']}{target}{reason}")
    warn_findings(plans)


def warn_findings(plans):
    for plan in plans:
        for finding in plan["findings"]:
            if finding["severity"] == WARNING:
                logger.warning("%s: %s", plan["pool"], finding["message"])


def run_cluster(cmd, service, resource_group_name, name, plans, *, max_parallel, continue_on_error, stop,
                subscription=None, label=False):
    """Carry out a cluster's plans. `label`: put the cluster's group and name before each progress line, for runs of
    many clusters at once."""
    say = (lambda message: progress(f"{resource_group_name}/{name}: {message}")) if label else progress
    ops = _sdk.PoolOps(cmd, service.agent_pools, resource_group_name, name, stop, say, subscription)
    return migration.execute_plans(plans, ops, say, max_parallel=max_parallel, continue_on_error=continue_on_error,
                                   stop=stop, where=where(resource_group_name, name))


def run_one(cmd, client, resource_group_name, cluster_name, plan):
    """Carry out one pool's plan, Ctrl-C and SIGTERM handled; the report and the exit code as for a cluster."""
    with StopSignals() as signals:
        ops = _sdk.PoolOps(cmd, client, resource_group_name, cluster_name, signals.event, progress)
        result = migration.execute_plans([plan], ops, progress, stop=signals.event,
                                         where=where(resource_group_name, cluster_name))[0]
    finish(cmd, {"pools": [result]}, signals)
    return result


def finish(cmd, report, signals):
    """Say what did not migrate (and, after a stop, what is in flight and how to resume); set the exit code.
    A pool the preflight refused needed migrating and did not: it counts as not migrated."""
    progress.end()
    stopped = [r for r in report["pools"] if r["outcome"] == "interrupted"]
    failed = [r for r in report["pools"] if r["outcome"] in ("failed", "not-started")] + \
        refused_by_live_checks(report["pools"])
    for result in stopped:
        progress(f"{result['pool']}: interrupted at step {result['step']}: {result['stepPool']} is "
                 f"{result['state']}; Azure carries on with it.")
    if failed and not (signals and signals.code):
        verb = "would not migrate" if report.get("dryRun") else "did not migrate"
        progress(f"{len(failed)} pool(s) {verb}: " + "; ".join(
            f"{r['pool']}: {(r.get('error') or r.get('reason') or '').rstrip('.')}. {r.get('left') or ''}".strip()
            for r in failed))
    finish_run(cmd, signals, failed)
    return report


def check_migration(cmd, resource_group_name, cluster_name, *, policy, os_sku, strategy, roll, max_parallel,
                    skip_workload_check=False):
    """Plan the migration and run the live checks on it, as a migration would; change nothing."""
    plans, report = plan_cluster(cmd, _sdk.container_service(cmd), resource_group_name, cluster_name, policy=policy,
                                 os_sku=os_sku, strategy=strategy, roll=roll, max_parallel=max_parallel,
                                 skip_preflight=False, skip_workload_check=skip_workload_check,
                                 cluster_option="--cluster-name")
    refused = refused_by_live_checks(plans)
    warn_findings(plans)
    finish_run(cmd, None, refused)
    return dict(report, allowed=not refused, pools=[migration.public(p) for p in plans])
