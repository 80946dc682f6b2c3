# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The migration planner: pure. Pools (with the records earlier runs left on them) in, plans out.

It sees pools as plain REST-shaped data, as the service returns them:

    {"name": "np1", "etag": "...", "provisioningState": "Succeeded", "kubernetesVersion": "1.33.5",
     "body": {"properties": {... writable properties, tags included ...}}}

and decides, for each, what to do (migrate, resume what an earlier run left in flight, nothing to
do, or refused with the reason) and the exact requests, in the order that keeps the old pool safe.
"""
import copy
from typing import Dict, List, Optional, TypedDict

from azext_azurelinux import pools
from azext_azurelinux.findings import ERROR, INFO, refusals
from azext_azurelinux.migration import records

IN_PLACE = "in-place"
NEW_POOL = "new-pool"
MIGRATE = "migrate"
RESUME = "resume"
NOTHING = "nothing-to-do"
REFUSED = "refused"
REPLACEMENT = "replacement"
DEFAULT_TARGET = "AzureLinux"
TERMINAL_STATES = pools.TERMINAL_STATES
# The node image follows the OS SKU: the old pool's image version, and the snapshot it was built from, are not sent.
IMAGE_PROPERTIES = ("nodeImageVersion", "creationData")


# ---- the plan's shape ------------------------------------------------------------------
class Request(TypedDict):
    step: str  # update, create, delete, wait, wait-deleted, remove-failed
    method: str
    pool: str
    headers: Dict[str, str]
    body: Optional[dict]


class Plan(TypedDict, total=False):
    """One pool's plan. `requests` are the exact requests, in order; the public form leaves them out."""
    pool: str
    action: str  # migrate, resume, nothing-to-do, refused, replacement
    strategy: Optional[str]
    osSkuBefore: Optional[str]
    osSkuAfter: Optional[str]
    mode: Optional[str]
    reason: Optional[str]
    findings: List[dict]
    requests: List[Request]
    newPool: str
    upgradeSettings: Optional[dict]
    rollback: bool
    preflight: dict  # set by the live preflight when it refuses: the rule and the numbers


class PoolResult(Plan, total=False):
    """A plan once carried out (or not): its public form with the outcome."""
    outcome: str  # succeeded, failed, interrupted, not-started, planned, or the plan's action
    seconds: float
    error: str
    left: str
    step: Optional[str]
    stepPool: str
    state: str


class ClusterResult(TypedDict, total=False):
    """What migrate (and each cluster of migrate-fleet) reports."""
    cluster: str
    resourceGroup: str
    osSku: str
    strategy: str
    maxParallel: int
    preflight: Optional[dict]
    dryRun: bool
    pools: List[PoolResult]
    seconds: float


ACTIONABLE = (MIGRATE, RESUME)  # the actions that send requests


def public(plan) -> PoolResult:
    """A plan as a user sees it: everything but its requests."""
    return {key: value for key, value in plan.items() if key != "requests"}


def refuse(plan, rule, message, numbers=None):
    """Turn a plan into a refusal, in place: nothing is sent for it, the reason says why, a finding carries the rule,
    and `preflight` keeps the numbers behind it (for the live checks that refuse after planning)."""
    plan.update(action=REFUSED, strategy=None, osSkuAfter=plan["osSkuBefore"], requests=[], reason=message)
    plan.pop("newPool", None)
    plan["findings"] = plan["findings"] + [{"rule": rule, "severity": ERROR, "subject": "preflight", "value": None,
                                            "message": message, "source": None, "date": None}]
    plan["preflight"] = dict(numbers or {}, refused=True, rule=rule)
    return plan


def derive_new_name(old_name, taken):
    """A replacement pool name that satisfies AKS's rules (12 lowercase letters and digits) and is free."""
    for suffix in ["al"] + [f"al{n}" for n in range(2, 100)]:
        candidate = old_name[:12 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free replacement name for pool {old_name}")


# ---- planning ---------------------------------------------------------------------------
def _if_match(etag):
    return {"If-Match": f'"{etag}"'} if etag else {}


def _base(pool, sku):
    return {"pool": pool["name"], "action": None, "strategy": None, "osSkuBefore": sku, "osSkuAfter": sku,
            "mode": pools.properties(pool).get("mode"), "reason": None, "findings": [], "requests": []}


def _migration_body(pool, target_sku, tags, roll, policy):
    """The pool's own writable body with the OS SKU changed, the migration record in its tags, and the roll
    settings given on the command line over the pool's own (`roll`: REST names, see builders.upgrade_settings)."""
    body = copy.deepcopy(pool["body"])
    props = body.setdefault("properties", {})
    props["osSKU"] = target_sku
    for key in IMAGE_PROPERTIES:
        props.pop(key, None)
    props["tags"] = tags
    if roll:
        props["upgradeSettings"] = dict(props.get("upgradeSettings") or {}, **roll)
    if policy.os_sku_requirements(target_sku).get("trustedLaunch"):  # such as AzureContainerLinux
        props["securityProfile"] = dict(props.get("securityProfile") or {}, enableSecureBoot=True, enableVTPM=True)
    return body


def _info(rule, message):
    return {"rule": rule, "severity": INFO, "subject": "os_sku", "value": None, "source": None, "date": None,
            "message": message}


def _image_findings(pool, target_sku):
    source = (pools.properties(pool).get("creationData") or {}).get("sourceResourceId")
    if not source:
        return []
    return [{"rule": "migration-snapshot-not-kept", "severity": INFO, "subject": "creation_data",
             "value": source, "source": None, "date": None,
             "message": f"{pool['name']} was built from the node image snapshot {source}; the snapshot holds the old "
                        f"OS image, so the pool moves to the {target_sku} image and creationData is not sent."}]


def plan_pool(pool, target_sku, strategy, *, policy, taken_names=(),  # pylint: disable=too-many-return-statements
              new_name=None, replacements=(), roll=None) -> Plan:
    """The plan for one pool: what to do, why, and the exact requests.

    `target_sku` None means the default target (AzureLinux) that the user did not name: a pool already
    on an Azure Linux SKU then has nothing to do. `replacements` are the pools whose records say they
    replace this one (left by an earlier or a concurrent run): the plan resumes with them.
    """
    props = pools.properties(pool)
    sku = pools.os_sku(props)
    target = target_sku or DEFAULT_TARGET
    plan = _base(pool, sku)
    if replacements:
        return _resume_replacement(plan, pool, list(replacements))
    action, findings = policy.check_migration_source(props.get("osType"), sku, pools.vm_sizes(props), target,
                                                     pools.version(pool), named_target=target_sku is not None)
    plan.update(action=action, findings=[f.to_dict() for f in findings])
    if action == REFUSED:
        plan["reason"] = refusals(findings)[0].message
        return plan
    if action == NOTHING:
        if pools.is_busy(pool):
            return _resume_in_place(plan, pool)
        version = policy.azure_linux_version(sku, pools.version(pool))
        plan["reason"] = f"already on {sku}" + (f" (Azure Linux {version})" if version else "")
        if version == "2.0":
            plan["reason"] += "; name --os-sku AzureLinux3 to move it to Azure Linux 3.0"
        return plan
    if pools.is_busy(pool):
        plan.update(action=REFUSED, reason=f"the pool is {pool['provisioningState']}; wait for it to finish, or "
                                           "repair it, and run again")
        return plan
    if strategy == IN_PLACE and not policy.changes_in_place(target):
        strategy = NEW_POOL
        plan["findings"].append(_info("migration-new-pool-only", f"AKS documents no in-place change to {target}, so "
                                                                 "this pool moves through a new pool."))
    plan.update(strategy=strategy, osSkuAfter=target)
    plan["findings"] += _image_findings(pool, target)
    tags = records.tags_of(pool)
    if strategy == IN_PLACE:
        body = _migration_body(pool, target, records.for_in_place(tags, sku), roll, policy)
        plan["upgradeSettings"] = body["properties"].get("upgradeSettings")
        plan["requests"] = [{"step": "update", "method": "PUT", "pool": pool["name"],
                             "headers": _if_match(pool.get("etag")), "body": body}]
        return plan
    replacement = new_name or derive_new_name(pool["name"], set(taken_names) | {pool["name"]})
    body = _migration_body(pool, target, records.for_replacement(tags, pool["name"], pool.get("etag"), sku), roll,
                           policy)
    plan.update(newPool=replacement, upgradeSettings=body["properties"].get("upgradeSettings"))
    plan["requests"] = [
        {"step": "create", "method": "PUT", "pool": replacement, "headers": {"If-None-Match": "*"}, "body": body},
        {"step": "delete", "method": "DELETE", "pool": pool["name"], "headers": _if_match(pool.get("etag")),
         "body": None},
    ]
    return plan


def _resume_in_place(plan, pool):
    """The pool is on the target already but still busy: an earlier or concurrent run changed it. Wait for it."""
    record = records.read(pool) or {}
    plan.update(action=RESUME, strategy=IN_PLACE, osSkuBefore=record.get("fromOsSku") or plan["osSkuBefore"],
                reason=f"{pool['name']} is {pool['provisioningState']} on {plan['osSkuAfter']} (changed by an earlier "
                       "or concurrent run): wait until it has Succeeded")
    plan["requests"] = [{"step": "wait", "method": "GET", "pool": pool["name"], "headers": {}, "body": None}]
    return plan


def _resume_replacement(plan, pool, replacements):
    """An earlier or concurrent run created a replacement for this pool: carry on from where it is."""
    if len(replacements) > 1:
        names = ", ".join(r["name"] for r in replacements)
        plan.update(action=REFUSED, reason=f"pools {names} each record that they replace {pool['name']}; delete the "
                                           "one you do not want (az aks azurelinux nodepool delete), then run again")
        return plan
    replacement = replacements[0]
    record = records.read(replacement)
    state = replacement.get("provisioningState")
    plan.update(action=RESUME, strategy=NEW_POOL, newPool=replacement["name"],
                osSkuAfter=pools.os_sku(pools.properties(replacement)))
    steps = []
    if state in ("Failed", "Canceled"):
        plan["reason"] = (f"replacement {replacement['name']} (created by an earlier run) is {state}: remove it; "
                          f"{pool['name']} stays as it is")
        steps.append({"step": "remove-failed", "method": "DELETE", "pool": replacement["name"],
                      "headers": _if_match(replacement.get("etag")), "body": None})
        plan["requests"] = steps
        return plan
    if state != "Succeeded":
        steps.append({"step": "wait", "method": "GET", "pool": replacement["name"], "headers": {}, "body": None})
    if pool.get("provisioningState") == "Deleting":
        steps.append({"step": "wait-deleted", "method": "GET", "pool": pool["name"], "headers": {}, "body": None})
        plan["reason"] = (f"replacement {replacement['name']} is {state} and {pool['name']} is being deleted (by an "
                          "earlier or concurrent run): wait until it is gone")
    else:
        steps.append({"step": "delete", "method": "DELETE", "pool": pool["name"],
                      "headers": _if_match(record.get("replacesEtag")), "body": None})
        plan["reason"] = (f"replacement {replacement['name']} (created by an earlier or concurrent run) is {state}: "
                          + ("wait until it has Succeeded, then " if state != "Succeeded" else "")
                          + f"delete {pool['name']}")
    plan["requests"] = steps
    return plan


def replacements_by_old_pool(views):
    """{old pool name: [replacement views]} from the records on the pools."""
    found = {}
    for pool in views:
        record = records.read(pool)
        if record and record.get("replaces"):
            found.setdefault(record["replaces"], []).append(pool)
    return found


def plan_cluster(views, target_sku, strategy, *, policy, roll=None) -> List[Plan]:
    """Plans for every pool of a cluster; replacement names never collide with each other or existing pools.
    A replacement whose old pool still exists is part of that pool's plan, shown as such."""
    names = {p["name"] for p in views}
    taken = set(names)
    replacing = replacements_by_old_pool(views)
    plans = []
    for pool in views:
        record = records.read(pool) or {}
        if record.get("replaces") in names:
            plan = _base(pool, pools.os_sku(pools.properties(pool)))
            plan.update(action=REPLACEMENT, reason=f"replacement of {record['replaces']}, resumed with it")
            plans.append(plan)
            continue
        plan = plan_pool(pool, target_sku, strategy, policy=policy, taken_names=taken,
                         replacements=replacing.get(pool["name"], ()), roll=roll)
        if plan.get("newPool"):
            taken.add(plan["newPool"])
        plans.append(plan)
    return plans


def plan_rollback(pool, *, policy) -> Plan:
    """The plan that puts a pool migrated in place back on the OS SKU its record names, or a refusal."""
    props = pools.properties(pool)
    sku = pools.os_sku(props)
    plan = _base(pool, sku)
    record = records.read(pool) or {}
    if record.get("replaces"):
        plan.update(action=REFUSED, reason=f"it is the replacement of {record['replaces']} (a new-pool migration), "
                                           "not a pool changed in place; the old pool cannot be brought back. To go "
                                           f"back, add a pool with {record.get('fromOsSku') or 'the old OS SKU'} and "
                                           f"delete {pool['name']}")
        return plan
    previous = record.get("fromOsSku")
    if not previous:
        plan.update(action=REFUSED, reason="no migration is on record for it (rollback needs the record that an "
                                           "in-place `az aks azurelinux nodepool migrate` writes on the pool)")
        return plan
    if pools.is_busy(pool):
        plan.update(action=REFUSED, reason=f"an operation is running on it ({pool['provisioningState']}); wait for it "
                                           "to finish (az aks azurelinux nodepool wait --updated), then roll back")
        return plan
    refused = refusals(policy.check_rollback_target(previous, pools.version(pool)))
    if refused:
        plan.update(action=REFUSED, reason=f"the OS SKU on record, {refused[0].message}",
                    findings=[f.to_dict() for f in refused])
        return plan
    body = copy.deepcopy(pool["body"])
    body.setdefault("properties", {})["osSKU"] = previous
    for key in IMAGE_PROPERTIES:
        body["properties"].pop(key, None)
    body["properties"]["tags"] = records.without_records(records.tags_of(pool))
    plan.update(action=MIGRATE, strategy=IN_PLACE, osSkuAfter=previous, rollback=True,
                reason=f"back to {previous}, the OS SKU on record before the migration")
    plan["requests"] = [{"step": "update", "method": "PUT", "pool": pool["name"],
                         "headers": _if_match(pool.get("etag")), "body": body}]
    return plan
