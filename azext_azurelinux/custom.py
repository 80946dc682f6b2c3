# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Command functions: parse, call, report. The thinking is in policy, builders, the planner and the modules
beside this one (_migrate.py, _migrate_fleet.py, _sdk.py, _arm.py, _console.py)."""
import time

from azure.cli.core.azclierror import BadRequestError, ResourceNotFoundError
from azure.cli.core.util import sdk_no_wait
from knack.log import get_logger

from azext_azurelinux import _create, _migrate, _migrate_fleet, _sdk, builders, migration
from azext_azurelinux._console import StopSignals, confirm, exit_after_output, progress
from azext_azurelinux._consts import API_PROVIDER, API_VERSION
from azext_azurelinux._policy_config import for_command as policy_of
from azext_azurelinux.findings import WARNING, refusals

logger = get_logger(__name__)


def _dry_run(cmd, path, model):
    """What a conditional PUT would send: the exact request, with nothing sent."""
    return {"dryRun": True, "method": "PUT",
            "url": f"/subscriptions/{_sdk.subscription_of(cmd)}/resourceGroups/{path}?api-version={API_VERSION}",
            "headers": {"If-None-Match": "*"}, "body": builders.request_body(model)}


def _notice_security_module(policy, security_module):
    notice = policy.security_module_notice(security_module) if security_module else None
    if notice:
        logger.warning("%s", notice)


def _with_readiness(cmd, pool):
    from azure.cli.core.util import todict
    from azext_azurelinux import pools
    shown = todict(pool)
    shown["azureLinuxReadiness"] = pools.readiness(pools.from_agent_pool(pool), policy_of(cmd))
    return shown


def _warn_if_retired(policy, pool):
    """The pool's version is known only once AKS answers: warn if AzureLinux landed on Azure Linux 2.0."""
    version = getattr(pool, "current_orchestrator_version", None) or getattr(pool, "orchestrator_version", None)
    for finding in policy.check_os_sku("AzureLinux", version):
        if finding.severity == WARNING:
            logger.warning("%s", finding.message)


# ---- cluster ----------------------------------------------------------------------------
# pylint: disable=unused-argument  # the production options reach _create through locals()
def create_cluster(cmd, client, resource_group_name, name,  # pylint: disable=too-many-locals
                   location=None, nodepool_name="nodepool1", node_count=3, node_vm_size=None, os_sku="AzureLinux",
                   kubernetes_version=None, zones=None, max_pods=None, security_module=None, enable_fips_image=False,
                   enable_secure_boot=False, enable_vtpm=False, enable_defender=False, defender_workspace=None,
                   ssh_key_value=None, admin_username="azureuser", no_ssh_key=False, generate_ssh_keys=False,
                   network_plugin=None, network_plugin_mode=None, network_dataplane=None, network_policy=None,
                   pod_cidr=None, service_cidr=None, dns_service_ip=None, vnet_subnet_id=None,
                   skip_subnet_role_assignment=False, load_balancer_sku=None, outbound_type=None,
                   api_server_authorized_ip_ranges=None, enable_private_cluster=False, private_dns_zone=None,
                   enable_aad=False, aad_admin_group_object_ids=None, aad_tenant_id=None, enable_azure_rbac=False,
                   disable_local_accounts=False, enable_oidc_issuer=False, enable_workload_identity=False,
                   assign_identity=None, assign_kubelet_identity=None, tier=None, k8s_support_plan=None,
                   auto_upgrade_channel=None, node_os_upgrade_channel=None, enable_cluster_autoscaler=False,
                   min_count=None, max_count=None, nodepool_labels=None, nodepool_taints=None, node_osdisk_type=None,
                   node_osdisk_size=None, tags=None, no_wait=False, dry_run=False):
    """A cluster whose system pool runs Azure Linux, with core `az aks create`'s production options."""
    policy = policy_of(cmd)
    prepared = _create.prepare(cmd, _create.options_of(locals()))
    if location is None:
        from azext_azurelinux._client_factory import cf_resource_groups
        location = cf_resource_groups(cmd.cli_ctx).get(resource_group_name).location
    base = builders.build_managed_cluster(
        _sdk.model_getter(cmd, "managed_clusters"), name=name, resource_group_name=resource_group_name,
        subscription_id=_sdk.subscription_of(cmd), location=location, nodepool_name=nodepool_name,
        node_count=node_count, node_vm_size=node_vm_size, os_sku=os_sku, kubernetes_version=kubernetes_version,
        zones=zones, max_pods=max_pods, security_label=policy.security_module_label(security_module),
        enable_fips_image=enable_fips_image, enable_secure_boot=enable_secure_boot, enable_vtpm=enable_vtpm,
        enable_defender=enable_defender, defender_workspace=defender_workspace, tags=tags)
    cluster = _create.body(cmd, base, prepared)
    _notice_security_module(policy, security_module)
    if dry_run:
        return _dry_run(cmd, f"{resource_group_name}/providers/{API_PROVIDER}/managedClusters/{name}", cluster)
    _create.before_create(cmd, prepared)
    wait = not no_wait or _create.needs_identity_after_create(prepared)  # core waits for the identity, --no-wait or not
    result = _sdk.put_if_missing(
        not wait, client.begin_create_or_update, (resource_group_name, name, cluster),
        _sdk.budgeted_polling(cmd, f"cluster {name}", final_get=not _sdk.output_is_none(cmd)),
        f"--name {name}: a cluster of that name already exists in resource group {resource_group_name}; choose "
        "another name, or add Azure Linux pools to it with `az aks azurelinux nodepool add`.")
    if _create.needs_identity_after_create(prepared):
        from azure.cli.core.commands import LongRunningOperation
        result = LongRunningOperation(cmd.cli_ctx)(result)
        _create.after_create(cmd, prepared, result)
    return result
# pylint: enable=unused-argument


def get_cluster(cmd, client, resource_group_name, name):  # pylint: disable=unused-argument
    return client.get(resource_group_name, name)


# ---- node pools -------------------------------------------------------------------------
def add_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name,  # pylint: disable=too-many-locals
                 node_vm_size=None, node_count=3,
                 mode="User", os_sku="AzureLinux", kubernetes_version=None, labels=None, node_taints=None,
                 zones=None, max_pods=None, enable_cluster_autoscaler=False, min_count=None, max_count=None,
                 node_osdisk_size=None, gpu_driver=None, security_module=None, enable_fips_image=False,
                 enable_secure_boot=False, enable_vtpm=False, tags=None, max_surge=None, max_unavailable=None,
                 drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None, no_wait=False,
                 dry_run=False):
    policy = policy_of(cmd)
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)
    pool = builders.build_agent_pool(
        _sdk.model_getter(cmd), node_vm_size=node_vm_size, node_count=node_count, mode=mode, os_sku=os_sku,
        kubernetes_version=kubernetes_version, labels=labels, node_taints=node_taints, zones=zones,
        max_pods=max_pods, enable_cluster_autoscaler=enable_cluster_autoscaler, min_count=min_count,
        max_count=max_count, os_disk_size_gb=node_osdisk_size, gpu_driver=gpu_driver,
        security_label=policy.security_module_label(security_module), enable_fips_image=enable_fips_image,
        enable_secure_boot=enable_secure_boot, enable_vtpm=enable_vtpm, tags=tags, roll=roll)
    if dry_run:
        _notice_security_module(policy, security_module)
        return _dry_run(cmd, f"{resource_group_name}/providers/{API_PROVIDER}/managedClusters/{cluster_name}"
                             f"/agentPools/{nodepool_name}", pool)
    warn_retired = kubernetes_version is None and os_sku == "AzureLinux" and not no_wait
    result = _sdk.put_if_missing(
        no_wait, client.begin_create_or_update, (resource_group_name, cluster_name, nodepool_name, pool),
        _sdk.budgeted_polling(cmd, f"{cluster_name}/{nodepool_name}", final_get=not _sdk.output_is_none(cmd)),
        f"--name {nodepool_name}: a node pool of that name already exists in cluster {cluster_name}; choose "
        "another name, or move it to Azure Linux with `az aks azurelinux nodepool migrate`.")
    _notice_security_module(policy, security_module)
    if warn_retired:
        from azure.cli.core.commands import LongRunningOperation
        result = LongRunningOperation(cmd.cli_ctx)(result)  # waits as the CLI would, with its progress
        _warn_if_retired(policy, result)  # under -o none, the pool as AKS answered the PUT: it has the versions
    return result


def list_nodepools(cmd, client, resource_group_name, cluster_name):
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    try:
        return [_with_readiness(cmd, pool) for pool in client.list(resource_group_name, cluster_name)]
    except NotFound as error:
        raise ResourceNotFoundError(_sdk.not_found_message(error, resource_group_name, cluster_name, None)) from None


def get_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name):  # pylint: disable=unused-argument
    return client.get(resource_group_name, cluster_name, nodepool_name)


def show_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name):
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    try:
        return _with_readiness(cmd, client.get(resource_group_name, cluster_name, nodepool_name))
    except NotFound as error:
        raise ResourceNotFoundError(_sdk.not_found_message(error, resource_group_name, cluster_name,
                                                           nodepool_name)) from None


def delete_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name, ignore_pdb=False, no_wait=False):
    from azure.core.exceptions import HttpResponseError
    kwargs = {"ignore_pod_disruption_budget": True} if ignore_pdb else {}
    if not no_wait:
        kwargs["polling"] = _sdk.budgeted_polling(cmd, f"{cluster_name}/{nodepool_name}")
    try:
        return sdk_no_wait(no_wait, client.begin_delete, resource_group_name, cluster_name, nodepool_name, **kwargs)
    except HttpResponseError as error:
        if _sdk.error_code(error) == "OperationNotAllowed" and "system agent pool" in str(error):
            raise BadRequestError(
                f"--name {nodepool_name} is the last System pool of cluster {cluster_name}, and a cluster must "
                "keep one: add another System pool first (az aks azurelinux nodepool add --mode System), then "
                "delete this one.") from None
        raise


# ---- policy -----------------------------------------------------------------------------
def check(cmd, node_vm_size=None, os_sku=None, kubernetes_version=None, security_module=None,
          resource_group_name=None, cluster_name=None, strategy=None, max_surge=None, max_parallel=None,
          skip_workload_check=False, policy_edition=None):
    """The offline check of a choice, or (with --cluster-name) the live preflight of a cluster's migration:
    every finding, and a non-zero exit when anything is refused."""
    policy = policy_of(cmd, policy_edition)
    if cluster_name is not None:
        return _migrate.check_migration(cmd, resource_group_name, cluster_name, policy=policy, os_sku=os_sku,
                                        strategy=strategy or migration.IN_PLACE,
                                        roll=builders.upgrade_settings(max_surge), max_parallel=max_parallel or 2,
                                        skip_workload_check=skip_workload_check)
    findings = policy.check_choice(node_vm_size, os_sku, kubernetes_version, security_module)
    allowed = not refusals(findings)
    if not allowed:
        exit_after_output(cmd.cli_ctx, 1)
    return {"allowed": allowed, "edition": policy.edition,
            "input": {"nodeVmSize": node_vm_size, "osSku": os_sku, "kubernetesVersion": kubernetes_version,
                      "securityModule": security_module},
            "findings": [f.to_dict() for f in findings]}


def check_template(cmd, template_file=None, parameters=None, terraform_plan=None, policy_edition=None, strict=False,
                   sarif=None, junit=None):
    """The support policy as a gate on ARM/Bicep templates and Terraform plans, offline: one row per pool."""
    from azext_azurelinux import _template_gate
    return _template_gate.check(cmd, policy_of(cmd, policy_edition), template_file=template_file,
                                parameters=parameters, terraform_plan=terraform_plan, strict=strict, sarif=sarif,
                                junit=junit)


def list_vm_sizes(cmd, policy_edition=None):
    """The GPU part of the edition in force (or of --policy)."""
    return policy_of(cmd, policy_edition).gpu_matrix_rows()


def show_policy(cmd):
    """The edition in force, where it was chosen, and the organisation's file with its rules."""
    return policy_of(cmd).summary()


def list_policies(cmd):
    """The editions, with their dates and what differs between them."""
    from azext_azurelinux.policy import edition_summaries
    in_force = policy_of(cmd).edition
    return [dict(edition, inForce=edition["name"] == in_force) for edition in edition_summaries()]


# ---- migration --------------------------------------------------------------------------
def migrate_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name,  # pylint: disable=too-many-locals
                     os_sku=None, strategy=migration.IN_PLACE, new_name=None, max_surge=None, max_unavailable=None,
                     drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None,
                     skip_preflight=False, skip_workload_check=False, yes=False, dry_run=False):
    progress.start(cmd)
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)
    plan, replacement = _migrate.plan_nodepool(
        cmd, _sdk.container_service(cmd), resource_group_name, cluster_name, nodepool_name, policy=policy_of(cmd),
        os_sku=os_sku, strategy=strategy, new_name=new_name, roll=roll, skip_preflight=skip_preflight,
        skip_workload_check=skip_workload_check)
    if plan is None:
        progress(f"{nodepool_name} was replaced by {replacement} (a new-pool migration) and no longer exists: "
                 "nothing to do.")
        return {"pool": nodepool_name, "action": migration.NOTHING, "newPool": replacement,
                "outcome": migration.NOTHING, "reason": f"replaced by {replacement}"}
    if plan["action"] == migration.REFUSED and not plan.get("preflight"):  # the policy refuses the pool itself
        from azure.cli.core.azclierror import InvalidArgumentValueError
        raise InvalidArgumentValueError(f"--name {nodepool_name} cannot move to {os_sku or migration.DEFAULT_TARGET}: "
                                        f"{plan['reason']}")
    if plan["action"] == migration.REFUSED:  # a live check (quota, sizes, workloads) refuses it: the plan, exit 1
        _migrate.show_plan([plan])
        return _migrate.finish(cmd, {"pools": [dict(migration.public(plan), outcome=migration.REFUSED)]},
                               None)["pools"][0]
    if plan["action"] == migration.NOTHING:
        progress(f"{nodepool_name}: nothing to do: {plan['reason']}.")
        _migrate.warn_findings([plan])
    if dry_run or plan["action"] == migration.NOTHING:
        planned = plan["action"] in migration.ACTIONABLE
        return dict(plan, outcome="planned" if dry_run and planned else plan["action"])
    _migrate.show_plan([plan])
    confirm(f"Migrate node pool {nodepool_name} of {cluster_name} to {plan['osSkuAfter']} ({plan['strategy']})?", yes)
    return _migrate.run_one(cmd, client, resource_group_name, cluster_name, plan)


def migrate_cluster(cmd, client, resource_group_name, name, os_sku=None,  # pylint: disable=too-many-locals
                    strategy=migration.IN_PLACE, max_parallel=2, continue_on_error=False, max_surge=None,
                    max_unavailable=None, drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None,
                    skip_preflight=False, skip_workload_check=False, yes=False, dry_run=False):
    # client: the ContainerServiceClient, for the cluster's read, the preflight's reads and the pool operations
    progress.start(cmd)
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)
    plans, report = _migrate.plan_cluster(cmd, client, resource_group_name, name, policy=policy_of(cmd),
                                          os_sku=os_sku, strategy=strategy, roll=roll, max_parallel=max_parallel,
                                          skip_preflight=skip_preflight, skip_workload_check=skip_workload_check)
    report["dryRun"] = dry_run
    to_move = [p for p in plans if p["action"] in migration.ACTIONABLE]
    resumed = sum(1 for p in to_move if p["action"] == migration.RESUME)
    summary = f"Plan for {name}: {len(to_move)} of {len(plans)} pool(s) to migrate to {report['osSku']}" + \
        (f" ({resumed} resumed from an earlier run)" if resumed else "")
    if dry_run or not to_move:
        progress(summary + ".")
        _migrate.show_plan(plans)
        return _migrate.finish(cmd, dict(report, pools=[dict(p, outcome="planned" if p in to_move else p["action"])
                                                        for p in plans]), None)
    progress(f"{summary}, at most {max_parallel} at a time.")
    _migrate.show_plan(plans)
    confirm(f"Migrate {len(to_move)} node pool(s) of {name} to {report['osSku']} ({strategy})?", yes)
    started = time.monotonic()
    with StopSignals() as signals:
        results = _migrate.run_cluster(cmd, client, resource_group_name, name, plans, max_parallel=max_parallel,
                                       continue_on_error=continue_on_error, stop=signals.event)
    return _migrate.finish(cmd, dict(report, pools=results, seconds=round(time.monotonic() - started, 1)), signals)


def rollback_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name, yes=False, dry_run=False,
                      no_wait=False):
    """Put a pool migrated in place back on the OS SKU recorded before the migration."""
    progress.start(cmd)
    plan = _migrate.plan_rollback(cmd, resource_group_name, cluster_name, nodepool_name, policy=policy_of(cmd))
    if dry_run:
        return dict(plan, outcome="planned")
    _migrate.show_plan([plan])
    confirm(f"Roll node pool {nodepool_name} of {cluster_name} back to {plan['osSkuAfter']} (AKS reimages its "
            "nodes)?", yes)
    if no_wait:
        step = plan["requests"][0]
        sdk_no_wait(True, client.begin_create_or_update, resource_group_name, cluster_name, nodepool_name,
                    _sdk.model_getter(cmd)("AgentPool")(step["body"]), **_sdk.match_conditions(step["headers"]))
        return None
    return _migrate.run_one(cmd, client, resource_group_name, cluster_name, plan)


# ---- inventory and fleets ---------------------------------------------------------------
def inventory_pools(cmd, subscriptions=None, management_groups=None, status=None, source="graph"):
    """Every node pool across subscriptions, with its status; a summary on stderr."""
    from azext_azurelinux import _arm, inventory
    progress.start(cmd)
    if not subscriptions and not management_groups:
        from azure.cli.core._profile import Profile
        subscriptions = sorted({s["id"] for s in Profile(cli_ctx=cmd.cli_ctx).load_cached_subscriptions()})
    service, unreadable, policy = _sdk.container_service(cmd), [], policy_of(cmd)
    if source == "arm":
        rows = inventory.from_arm(_arm.listing_reader(service), list(subscriptions or []), unreadable, policy=policy)
    else:
        rows = inventory.from_graph(_arm.graph_poster(service), list(subscriptions or []), management_groups,
                                    unreadable, policy=policy)
    for subscription, why in unreadable:
        logger.warning("Subscription %s was skipped: it cannot be read (%s).", subscription, why)
    rows = [r for r in rows if not status or r["status"] in status]
    counts = inventory.summary(rows)
    by_status = ", ".join(f"{n} {s}" for s, n in counts["byStatus"].items())
    progress(f"{counts['pools']} pool(s) in {counts['clusters']} cluster(s) of {counts['subscriptions']} "
             f"subscription(s): {by_status} (source: {source})")
    progress.end()
    return rows


def migrate_fleet(cmd, clusters=None, clusters_file=None, fleet_id=None,  # pylint: disable=too-many-locals
                  update_strategy=None, waves=None, wait_between="0", max_parallel_clusters=4, max_failed_clusters=0,
                  os_sku=None, strategy=migration.IN_PLACE, max_parallel=2, max_surge=None, max_unavailable=None,
                  drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None, skip_preflight=False,
                  skip_workload_check=False, yes=False, dry_run=False):
    """Many clusters in waves, each migrated as `az aks azurelinux migrate` migrates it, with a failure budget."""
    progress.start(cmd)
    services = _migrate_fleet.Services(cmd)
    planned_waves, unplaced = _migrate_fleet.waves(
        services, clusters=clusters, clusters_file=clusters_file, fleet_id=fleet_id, update_strategy=update_strategy,
        wave_specs=waves, wait_between=wait_between)
    for cluster in unplaced:
        logger.warning("%s is in no wave and is left alone (give a last wave of * to take the rest).", cluster)
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)
    run = _migrate_fleet.FleetRun(cmd, services, {"policy": policy_of(cmd), "os_sku": os_sku, "strategy": strategy,
                                                  "roll": roll, "max_parallel": max_parallel,
                                                  "skip_preflight": skip_preflight,
                                                  "skip_workload_check": skip_workload_check})
    plans = run.plan_all([c for wave in planned_waves for c in wave["clusters"]], max_parallel_clusters)
    report = {"waves": [{"name": w["name"], "clusters": w["clusters"], "waitAfter": w["waitAfter"]}
                        for w in planned_waves], "dryRun": dry_run, "osSku": os_sku or migration.DEFAULT_TARGET,
              "strategy": strategy, "maxParallelClusters": max_parallel_clusters,
              "maxFailedClusters": max_failed_clusters}
    _migrate_fleet.show_fleet_plan(planned_waves, plans)
    if dry_run:
        return _migrate_fleet.finish(cmd, dict(report, clusters=run.planned_rows(planned_waves)), None)
    confirm(f"Migrate the pools of {len(plans)} cluster(s) in {len(planned_waves)} wave(s) to "
            f"{os_sku or migration.DEFAULT_TARGET}?", yes)
    results, signals = run.run(planned_waves, max_parallel_clusters=max_parallel_clusters,
                               max_failed_clusters=max_failed_clusters, wait_between=wait_between)
    return _migrate_fleet.finish(cmd, dict(report, clusters=results), signals)
