# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The workload check of a migration plan: the cluster's Kubernetes API read once per run with the user's own
credential (workloads/kube.py), and every pool the plan would drain judged (workloads/analysis.py); a pool that
would fail or strand workloads is refused before anything is sent. CLI glue: the credential through ARM, the Entra
token through the CLI's own sign-in."""
import json

from knack.log import get_logger

from azext_azurelinux import _arm, migration
from azext_azurelinux._consts import API_VERSION

logger = get_logger(__name__)
SKIPPED = "Workloads were not checked (--skip-workload-check): pod disruption budgets and OS-pinned workloads may " \
          "still stop the migration."


def read(cmd, service, subscription, resource_group_name, cluster_name):
    """The snapshot of the cluster's workloads: the user credential (POST listClusterUserCredential, never the admin
    one), then the API server's lists. What cannot be read is a warning in the snapshot, never an error."""
    from azure.core.rest import HttpRequest
    from azext_azurelinux.workloads import kube
    path = f"/subscriptions/{subscription}/resourceGroups/{resource_group_name}/providers/" \
           f"Microsoft.ContainerService/managedClusters/{cluster_name}/listClusterUserCredential"
    response = _arm.send(service, HttpRequest("POST", path, params={"api-version": API_VERSION}))
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = {}
    if response.status_code != 200:
        snapshot = kube.empty_snapshot()
        snapshot["missing"] = {resource: "no credential" for resource in kube.objects.RESOURCES}
        snapshot["warnings"].append(kube.credential_refused(response.status_code, body))
        return snapshot

    def entra_token():
        from azure.cli.core._profile import Profile
        credential, _, _ = Profile(cli_ctx=cmd.cli_ctx).get_raw_token(resource=kube.AKS_SERVER_APP_ID)
        return credential[1]
    return kube.read_workloads(body, entra_token)


def _draining(plans):
    """The plans whose next writes drain nodes: new migrations, and resumed new-pool migrations whose old pool is
    still to be deleted (its drain lies ahead). An in-place resume, or an old pool already being deleted, is
    draining already: judging it again could only refuse what is under way."""
    def deletes_old_pool(plan):
        return plan["action"] == migration.RESUME and any(r.get("step") == "delete" for r in plan.get("requests", ()))
    return [p for p in plans if not p.get("rollback") and (p["action"] == migration.MIGRATE or deletes_old_pool(p))]


def _cordon(plan):
    """AKS cordons nodes it cannot drain, instead of failing, when the pool's roll says Cordon (an in-place change;
    deleting a pool has no such setting)."""
    return plan["strategy"] == migration.IN_PLACE and \
        (plan.get("upgradeSettings") or {}).get("undrainableNodeBehavior") == "Cordon"


def judge(plans, snapshot, versions):
    """Add each draining plan's workload findings; refuse, in place, the plans with an error. Only the plans whose
    drain lies ahead are judged (see _draining). `versions`: {pool: Kubernetes version}."""
    from azext_azurelinux.workloads import analysis, kube
    draining = _draining(plans)
    if not draining:
        return
    with kube.cycle_collection_paused():  # thousands of small objects, none in a cycle
        view = analysis.ClusterView(snapshot)
        blockers = analysis.cluster_blockers(view)
        judged = [(plan, analysis.analyse(view, plan["pool"], plan["osSkuAfter"], versions.get(plan["pool"]),
                                          plan["strategy"], _cordon(plan), new_pool_name=plan.get("newPool")))
                  for plan in draining]
    for plan, found in judged:
        findings = blockers + found
        errors = [f for f in findings if f["severity"] == analysis.ERROR]
        plan["findings"] = plan["findings"] + [f for f in findings if f not in errors[:1]]
        if errors:
            more = f" ({len(errors) - 1} more in the plan's findings)" if len(errors) > 1 else ""
            migration.refuse(plan, errors[0]["rule"], errors[0]["message"] + more)
            plan["findings"][-1].update(subject=errors[0]["subject"], value=errors[0]["value"])  # the workload


def check(cmd, service, subscription, resource_group_name, cluster_name, plans, views, skip):
    """Read the workloads (unless `skip`, or nothing would be drained) and judge the plans; returns the report's
    `workloads` entry (None when nothing was read)."""
    if not _draining(plans):
        return None
    if skip:
        logger.warning("%s", SKIPPED)
        return {"checked": False}
    snapshot = read(cmd, service, subscription, resource_group_name, cluster_name)
    for warning in snapshot["warnings"]:
        logger.warning("%s", warning["message"])
    judge(plans, snapshot, {v["name"]: v.get("kubernetesVersion") for v in views})
    return {"checked": True, "server": snapshot.get("server"), "requests": snapshot.get("requests", 0),
            "notRead": sorted(snapshot.get("missing") or {})}
