"""Migration to Azure Linux: a pure planner, and an executor that carries a plan out.

The planner decides, for each pool, what to do (migrate, nothing to do, or refused with
the reason) and the exact bodies it will send. It sees pools as plain REST-shaped data:

    {"name": "np1", "etag": "...", "provisioningState": "Succeeded",
     "body": {"properties": {... writable properties, as the SDK sends them ...}}}

The executor sends those bodies through the SDK, in the order that keeps the old pool
safe: with `new-pool`, the old pool is deleted only after its replacement has Succeeded.
"""
import copy
import time

from azext_azurelinux import policy

IN_PLACE = "in-place"
NEW_POOL = "new-pool"
MIGRATE = "migrate"
NOTHING = "nothing-to-do"
REFUSED = "refused"
AZURE_LINUX_FAMILY = ("AzureLinux", "AzureLinux3", "CBLMariner")


# ---- planning (pure) --------------------------------------------------------------------
def _properties(pool):
    return pool["body"].get("properties", {})


def pool_version(pool):
    props = _properties(pool)
    return pool.get("kubernetesVersion") or props.get("orchestratorVersion")


def readiness(pool):
    """Where a pool stands with Azure Linux: on it, can migrate, or blocked (with the reason)."""
    props = _properties(pool)
    sku = props.get("osSKU") or ("Ubuntu" if props.get("osType", "Linux") == "Linux" else "Windows")
    version = pool_version(pool)
    if sku in AZURE_LINUX_FAMILY:
        retired = [f for f in policy.check_os_sku("AzureLinux" if sku == "CBLMariner" else sku, version)
                   if f.severity == policy.WARNING]
        if retired:
            return {"status": "on Azure Linux 2.0 (retired)", "reason": "migrate to AzureLinux3 or upgrade Kubernetes"}
        return {"status": "on Azure Linux", "reason": None}
    action, findings = policy.check_migration_source(props.get("osType"), sku, props.get("vmSize"), "AzureLinux",
                                                     version)
    if action == REFUSED:
        return {"status": "blocked", "reason": policy.refusals(findings)[0].message}
    return {"status": "can migrate", "reason": None}


def derive_new_name(old_name, taken):
    """A replacement pool name that satisfies AKS's rules (12 lowercase letters and digits) and is free."""
    for suffix in ["al"] + [f"al{n}" for n in range(2, 100)]:
        candidate = (old_name[:12 - len(suffix)] + suffix)
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free replacement name for pool {old_name}")


def plan_pool(pool, target_sku, strategy, taken_names=(), new_name=None):
    """The plan for one pool: what to do, why, and the exact requests."""
    props = _properties(pool)
    sku = props.get("osSKU") or ("Ubuntu" if props.get("osType", "Linux") == "Linux" else None)
    action, findings = policy.check_migration_source(props.get("osType"), sku, props.get("vmSize"), target_sku,
                                                     pool_version(pool))
    plan = {"pool": pool["name"], "action": action, "strategy": strategy if action == MIGRATE else None,
            "osSkuBefore": sku, "osSkuAfter": target_sku if action == MIGRATE else sku, "mode": props.get("mode"),
            "reason": None, "findings": [f.to_dict() for f in findings], "requests": []}
    if action == REFUSED:
        plan["reason"] = policy.refusals(findings)[0].message
        return plan
    if action == NOTHING:
        plan["reason"] = f"already on {target_sku}"
        return plan
    if pool.get("provisioningState") not in (None, "Succeeded"):
        plan.update(action=REFUSED, strategy=None, osSkuAfter=sku,
                    reason=f"the pool is {pool['provisioningState']}; wait for it to finish, or repair it, and run "
                           "again")
        return plan
    body = copy.deepcopy(pool["body"])
    body.setdefault("properties", {})["osSKU"] = target_sku
    # The node image follows the OS SKU: the old pool's image version (an Ubuntu image, say) must not be sent.
    body["properties"].pop("nodeImageVersion", None)
    if strategy == IN_PLACE:
        plan["requests"] = [{"step": "update", "method": "PUT", "pool": pool["name"],
                             "headers": {"If-Match": f'"{pool["etag"]}"'} if pool.get("etag") else {},
                             "body": body}]
        return plan
    replacement = new_name or derive_new_name(pool["name"], set(taken_names) | {pool["name"]})
    plan["newPool"] = replacement
    plan["requests"] = [
        {"step": "create", "method": "PUT", "pool": replacement, "headers": {"If-None-Match": "*"}, "body": body},
        {"step": "delete", "method": "DELETE", "pool": pool["name"],
         "headers": {"If-Match": f'"{pool["etag"]}"'} if pool.get("etag") else {}, "body": None},
    ]
    return plan


def plan_cluster(pools, target_sku, strategy):
    """Plans for every pool of a cluster; replacement names never collide with each other or existing pools."""
    taken = {p["name"] for p in pools}
    plans = []
    for pool in pools:
        plan = plan_pool(pool, target_sku, strategy, taken_names=taken)
        if plan.get("newPool"):
            taken.add(plan["newPool"])
        plans.append(plan)
    return plans


# ---- execution --------------------------------------------------------------------------
class StepError(Exception):
    """A request of a migration failed. `accepted` tells whether the service had started it."""

    def __init__(self, message, accepted):
        super().__init__(message)
        self.accepted = accepted


class PoolStepError(Exception):
    """A step of a pool's migration failed; `left` says what state it left behind."""

    def __init__(self, message, left):
        super().__init__(message)
        self.left = left


def execute_pool(plan, ops, progress):
    """Carry out one pool's plan. `ops` sends requests and waits for their operations:

    ops.put(pool_name, body, headers) and ops.delete(pool_name, headers) return once the
    operation has Succeeded and raise `StepError` otherwise; ops.delete_quietly(name) removes
    a failed replacement pool and says whether there was one.
    """
    started = time.monotonic()
    result = {k: v for k, v in plan.items() if k != "requests"}
    try:
        if plan["strategy"] == IN_PLACE:
            _in_place(plan, ops, progress)
        else:
            _new_pool(plan, ops, progress)
        result["outcome"] = "succeeded"
        progress(f"{plan['pool']}: done")
    except PoolStepError as error:
        result.update(outcome="failed", error=str(error), left=error.left)
        progress(f"{plan['pool']}: FAILED: {error} ({error.left})")
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _in_place(plan, ops, progress):
    step = plan["requests"][0]
    progress(f"{plan['pool']}: changing the OS SKU from {plan['osSkuBefore']} to {plan['osSkuAfter']} in place "
             "(AKS reimages the nodes with surge)")
    try:
        ops.put(step["pool"], step["body"], step["headers"])
    except StepError as error:
        left = (f"{plan['pool']} may be partly reimaged; run the migration again, or roll back with "
                f"`az aks nodepool update --os-sku {plan['osSkuBefore']}`" if error.accepted
                else f"{plan['pool']} is unchanged")
        raise PoolStepError(f"changing the OS SKU of {plan['pool']} failed: {error}", left) from error


def _new_pool(plan, ops, progress):
    create, delete = plan["requests"]
    progress(f"{plan['pool']}: creating replacement pool {create['pool']} on {plan['osSkuAfter']}")
    try:
        ops.put(create["pool"], create["body"], create["headers"])
    except StepError as error:
        left = _cleanup(ops, create["pool"], plan["pool"], progress) if error.accepted else \
            f"{plan['pool']} is unchanged; no replacement pool was created"
        raise PoolStepError(f"creating {create['pool']} failed: {error}", left) from error
    progress(f"{plan['pool']}: {create['pool']} has Succeeded; deleting {plan['pool']} (AKS cordons and drains "
             "its nodes)")
    try:
        ops.delete(delete["pool"], delete["headers"])
    except StepError as error:
        raise PoolStepError(
            f"{create['pool']} is ready, but deleting {plan['pool']} failed: {error}",
            f"both pools remain: {create['pool']} on {plan['osSkuAfter']} and {plan['pool']} on "
            f"{plan['osSkuBefore']}; delete {plan['pool']} with `az aks azurelinux nodepool delete` once the "
            "cause is fixed") from error


def _cleanup(ops, new_pool, old_pool, progress):
    progress(f"{old_pool}: removing the failed replacement pool {new_pool}; {old_pool} is untouched")
    try:
        removed = ops.delete_quietly(new_pool)
    except StepError as error:
        return (f"{old_pool} is unchanged; the failed replacement pool {new_pool} could not be removed ({error}): "
                "delete it with `az aks azurelinux nodepool delete`")
    if removed:
        return f"{old_pool} is unchanged; the failed replacement pool {new_pool} was removed"
    return f"{old_pool} is unchanged; no replacement pool was left"


def execute_plans(plans, ops, progress, max_parallel=1, continue_on_error=False):
    """Run every `migrate` plan, at most `max_parallel` at a time; after a failure start no new pool
    unless `continue_on_error`. Returns one result per plan, in the plans' order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    failed = threading.Event()

    def run(plan):
        if plan["action"] != MIGRATE:
            return {k: v for k, v in plan.items() if k != "requests"} | {"outcome": plan["action"], "seconds": 0}
        if failed.is_set() and not continue_on_error:
            progress(f"{plan['pool']}: not started, because an earlier pool failed")
            return {k: v for k, v in plan.items() if k != "requests"} | {
                "outcome": "not-started", "seconds": 0,
                "reason": "not started because an earlier pool failed (use --continue-on-error to go on)"}
        result = execute_pool(plan, ops, progress)
        if result["outcome"] == "failed":
            failed.set()
        return result

    with ThreadPoolExecutor(max_workers=max(1, max_parallel)) as workers:
        return list(workers.map(run, plans))


def retry_on_conflict(start, is_conflict, progress, sleep=time.sleep, clock=time.monotonic, timeout=1800.0,
                      first_wait=1.0, longest_wait=30.0):
    """Call `start()`; while it raises a 409 (another operation runs on the pool or cluster), wait and retry.

    Waits grow from `first_wait` to `longest_wait` seconds, for at most `timeout` seconds in all.
    """
    deadline = clock() + timeout
    wait = first_wait
    while True:
        try:
            return start()
        except Exception as error:  # pylint: disable=broad-except
            if not is_conflict(error) or clock() + wait > deadline:
                raise
            progress(f"another operation is in progress; retrying in {wait:.0f}s")
            sleep(wait)
            wait = min(wait * 2, longest_wait)
