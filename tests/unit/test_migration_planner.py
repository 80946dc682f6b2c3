# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The migration planner and executor, without a network: plans are data, requests go to a fake."""
import threading
import time

import pytest

from azext_azurelinux import migration, pools
from azext_azurelinux.policy import Policy

POLICY = Policy()  # the default edition, no organisation policy


def plan_pool(*args, **kwargs):
    return migration.plan_pool(*args, policy=POLICY, **kwargs)


def plan_cluster(*args, **kwargs):
    return migration.plan_cluster(*args, policy=POLICY, **kwargs)


def plan_rollback(view):
    return migration.plan_rollback(view, policy=POLICY)


def readiness(view):
    return pools.readiness(view, POLICY)


def pool(name, sku="Ubuntu", os_type="Linux", size="Standard_D4ds_v5", mode="User", state="Succeeded", version="1.33.5",
         **extra):
    props = {"osType": os_type, "osSKU": sku, "vmSize": size, "mode": mode, "count": 2,
             "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202611.01.0", **extra}
    return {"name": name, "etag": f"etag-{name}", "provisioningState": state, "kubernetesVersion": version,
            "body": {"properties": props}}


def test_in_place_plan_changes_only_the_os_sku_with_if_match():
    source = pool("web", nodeLabels={"a": "b"}, nodeTaints=["x=y:NoSchedule"], maxPods=50)
    plan = plan_pool(source, "AzureLinux", migration.IN_PLACE)
    assert (plan["action"], plan["strategy"], plan["osSkuBefore"], plan["osSkuAfter"]) == \
        ("migrate", "in-place", "Ubuntu", "AzureLinux")
    [request] = plan["requests"]
    assert request["headers"] == {"If-Match": '"etag-web"'} and request["method"] == "PUT"
    expected = dict(source["body"]["properties"], osSKU="AzureLinux",
                    tags={"azurelinux-migration-strategy": "in-place", "azurelinux-migration-from-os-sku": "Ubuntu"})
    del expected["nodeImageVersion"]
    assert request["body"] == {"properties": expected}  # the record rides in the same PUT as the change
    assert source["body"]["properties"]["osSKU"] == "Ubuntu"  # the input is not changed


def test_new_pool_plan_creates_then_deletes():
    plan = plan_pool(pool("web"), "AzureLinux3", migration.NEW_POOL, taken_names=["web", "webal"])
    create, delete = plan["requests"]
    assert plan["newPool"] == "webal2"
    assert (create["method"], create["pool"], create["headers"]) == ("PUT", "webal2", {"If-None-Match": "*"})
    assert create["body"]["properties"]["osSKU"] == "AzureLinux3"
    assert create["body"]["properties"]["tags"] == {
        "azurelinux-migration-strategy": "new-pool", "azurelinux-migration-from-os-sku": "Ubuntu",
        "azurelinux-migration-replaces": "web", "azurelinux-migration-replaces-etag": "etag-web"}
    assert (delete["method"], delete["pool"], delete["headers"]) == ("DELETE", "web", {"If-Match": '"etag-web"'})


@pytest.mark.parametrize("source,action,reason", [
    (pool("win", sku="Windows2022", os_type="Windows"), "refused", "Windows pool"),
    (pool("a100", size="Standard_NC24ads_A100_v4"), "refused", "NC A100 v4"),
    (pool("done", sku="AzureLinux"), "nothing-to-do", "already on AzureLinux"),
    (pool("busy", state="Updating"), "refused", "the pool is Updating"),
])
def test_sources_that_do_not_migrate(source, action, reason):
    plan = plan_pool(source, "AzureLinux", migration.IN_PLACE)
    assert plan["action"] == action and reason in plan["reason"] and plan["requests"] == []


def test_retired_target_is_a_warning_in_the_plan():
    plan = plan_pool(pool("old", version="1.30.2"), "AzureLinux", migration.IN_PLACE)
    assert plan["action"] == "migrate"
    assert [f["rule"] for f in plan["findings"]] == ["azure-linux-2-retired"]


def test_cluster_plan_gives_distinct_replacement_names():
    pools = [pool("poolnumber1a"), pool("poolnumber1b"), pool("poolnumbeal")]
    plans = plan_cluster(pools, "AzureLinux", migration.NEW_POOL)
    names = [p["newPool"] for p in plans]
    assert len(set(names)) == 3 and not set(names) & {"poolnumber1a", "poolnumber1b", "poolnumbeal"}
    assert all(len(n) <= 12 for n in names)


@pytest.mark.parametrize("name", ["a", "abcdefghijkl", "pool1"])
def test_derived_names_follow_the_naming_rule(name):
    from azext_azurelinux import aks_rules
    assert aks_rules.pool_name(migration.derive_new_name(name, {name})) is None


def test_readiness():
    assert readiness(pool("a", sku="AzureLinux")) == {"status": "on Azure Linux", "reason": None,
                                                      "azureLinuxVersion": "3.0"}
    retired = readiness(pool("a", sku="AzureLinux", version="1.29"))
    assert retired["status"] == "on Azure Linux" and retired["azureLinuxVersion"] == "2.0"
    assert "lands on Azure Linux 2.0" in retired["reason"] and "AzureLinux3" in retired["reason"]
    assert retired["retiring"] == {"rule": "azure-linux-2-retired", "date": "2025-11-30"}


def test_readiness_says_a_retiring_os_sku_in_a_field_not_only_in_its_message():
    guard = pool("g", sku="AzureLinuxOSGuard", version="1.33.5")
    assert "retiring" not in pools.readiness(guard, POLICY)  # founding does not know OS Guard: not Azure Linux to it
    shown = pools.readiness(guard, Policy("aks-2026"))
    assert shown["status"] == "on Azure Linux" and shown["retiring"]["date"] == "2026-12-10"
    assert shown["retiring"]["rule"] and "retires on 2026-12-10" in shown["reason"]
    assert readiness(pool("a"))["status"] == "can migrate"
    blocked = readiness(pool("a", size="Standard_ND96asr_v4"))
    assert blocked["status"] == "blocked" and "outside the supported list" in blocked["reason"]


class FakeOps:
    """Records calls; fails the ones named in `fail` (accepted or not)."""

    def __init__(self, fail=None, delay=0.0):
        self.calls, self.fail, self.delay = [], fail or {}, delay
        self.lock = threading.Lock()
        self.running = self.peak = 0

    def _do(self, kind, name):
        with self.lock:
            self.calls.append((kind, name))
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(self.delay)
        with self.lock:
            self.running -= 1
        if (kind, name) in self.fail:
            failure = self.fail[(kind, name)]
            if isinstance(failure, Exception):
                raise failure
            raise migration.StepError(f"{kind} {name} failed", accepted=failure)

    def put(self, name, body, headers):
        self._do("put", name)

    def delete(self, name, headers):
        self._do("delete", name)

    def delete_quietly(self, name):
        self._do("cleanup", name)
        return True

    def wait(self, name, gone=False):
        self._do("wait", name)
        return self.states.get(name, "gone" if gone else "Succeeded") if hasattr(self, "states") else \
            ("gone" if gone else "Succeeded")

    def get(self, name):
        self.calls.append(("get", name))
        return getattr(self, "pools", {}).get(name)


def run(plan, ops):
    messages = []
    return migration.execute_pool(plan, ops, messages.append), messages


def test_new_pool_order_and_success():
    ops = FakeOps()
    result, messages = run(plan_pool(pool("web"), "AzureLinux", migration.NEW_POOL), ops)
    assert result["outcome"] == "succeeded" and ops.calls == [("put", "webal"), ("delete", "web")]
    assert "requests" not in result and any("webal has Succeeded" in m for m in messages)
    assert any("deleting web" in m for m in messages)


@pytest.mark.parametrize("fail,calls,left", [
    ({("put", "webal"): False}, [("put", "webal")], "web is unchanged; no replacement pool was created"),
    ({("put", "webal"): True}, [("put", "webal"), ("cleanup", "webal")],
     "web is unchanged; the failed replacement pool webal was removed"),
    ({("put", "webal"): True, ("cleanup", "webal"): True}, [("put", "webal"), ("cleanup", "webal")],
     "could not be removed"),
    ({("delete", "web"): True}, [("put", "webal"), ("delete", "web")], "both pools remain"),
])
def test_new_pool_failures_never_touch_the_old_pool_first(fail, calls, left):
    ops = FakeOps(fail)
    result, _ = run(plan_pool(pool("web"), "AzureLinux", migration.NEW_POOL), ops)
    assert result["outcome"] == "failed" and ops.calls == calls and left in result["left"]


@pytest.mark.parametrize("accepted,left", [(False, "web is unchanged"), (True, "roll back")])
def test_in_place_failures(accepted, left):
    result, _ = run(plan_pool(pool("web"), "AzureLinux", migration.IN_PLACE),
                    FakeOps({("put", "web"): accepted}))
    assert result["outcome"] == "failed" and left in result["left"]


def test_execute_plans_respects_max_parallel_and_stops_after_a_failure():
    plans = plan_cluster([pool(f"p{i}") for i in range(6)], "AzureLinux", migration.IN_PLACE)
    ops = FakeOps(delay=0.05)
    results = migration.execute_plans(plans, ops, lambda m: None, max_parallel=3)
    assert ops.peak == 3 and [r["outcome"] for r in results] == ["succeeded"] * 6
    ops = FakeOps({("put", "p1"): True})
    results = migration.execute_plans(plans, ops, lambda m: None, max_parallel=1)
    assert [r["outcome"] for r in results] == ["succeeded", "failed"] + ["not-started"] * 4
    ops = FakeOps({("put", "p1"): True})
    results = migration.execute_plans(plans, ops, lambda m: None, max_parallel=1, continue_on_error=True)
    assert [r["outcome"] for r in results] == ["succeeded", "failed"] + ["succeeded"] * 4


def test_retry_on_conflict_waits_longer_each_time_and_gives_up_at_the_deadline():
    waits, now = [], [0.0]

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    attempts = []

    def start():
        attempts.append(1)
        if len(attempts) < 4:
            raise ValueError("409")
        return "poller"

    assert migration.retry_on_conflict(start, lambda e: True, lambda m: None, sleep=sleep,
                                       clock=lambda: now[0]) == "poller"
    assert waits == [1.0, 2.0, 4.0]
    with pytest.raises(ValueError):
        migration.retry_on_conflict(lambda: (_ for _ in ()).throw(ValueError("409")), lambda e: True,
                                    lambda m: None, sleep=sleep, clock=lambda: now[0], timeout=10)
    with pytest.raises(KeyError):  # anything but a conflict is raised at once
        migration.retry_on_conflict(lambda: {}["x"], lambda e: isinstance(e, ValueError), lambda m: None,
                                    sleep=sleep, clock=lambda: now[0])


# ---- the Azure Linux family, and VirtualMachines pools -------------------------------------
@pytest.mark.parametrize("source,target,action", [
    (pool("al3", sku="AzureLinux3", version="1.32.7"), None, "nothing-to-do"),
    (pool("al3", sku="AzureLinux3", version="1.32.7"), "AzureLinux", "nothing-to-do"),  # both are 3.0: no reimage
    (pool("al2", sku="AzureLinux", version="1.29.7"), None, "nothing-to-do"),  # not named: stays, with the warning
    (pool("al2", sku="AzureLinux", version="1.29.7"), "AzureLinux", "nothing-to-do"),  # still 2.0
    (pool("al2", sku="AzureLinux", version="1.29.7"), "AzureLinux3", "migrate"),  # 2.0 -> 3.0, named
    (pool("cbl", sku="CBLMariner", version="1.29.7"), "AzureLinux3", "migrate"),
    (pool("cbl", sku="CBLMariner", version="1.33.5"), "AzureLinux3", "nothing-to-do"),
    (pool("ubu", version="1.33.5"), None, "migrate"),
])
def test_azure_linux_skus_are_one_family(source, target, action):
    plan = plan_pool(source, target, migration.IN_PLACE)
    assert plan["action"] == action, plan
    if action == "migrate":
        assert plan["requests"][0]["body"]["properties"]["osSKU"] == (target or "AzureLinux")
    else:
        assert plan["requests"] == []


def test_a_pool_on_azure_linux_2_that_stays_says_why_and_how_to_move():
    plan = plan_pool(pool("al2", sku="AzureLinux", version="1.29.7"), None, migration.IN_PLACE)
    assert "Azure Linux 2.0" in plan["reason"] and "--os-sku AzureLinux3" in plan["reason"]
    assert [f["rule"] for f in plan["findings"]] == ["azure-linux-2-retired"]


def test_virtual_machines_pools_are_judged_on_every_size():
    def vms(*sizes):
        return pool("vms", size=None, type="VirtualMachines",
                    virtualMachinesProfile={"scale": {"manual": [{"size": s, "count": 1} for s in sizes]}})
    assert plan_pool(vms("Standard_D2s_v3"), None, migration.IN_PLACE)["action"] == "migrate"
    refused = plan_pool(vms("Standard_D2s_v3", "Standard_NC24ads_A100_v4"), None, migration.IN_PLACE)
    assert refused["action"] == "refused" and "Standard_NC24ads_A100_v4" in refused["reason"]
    assert readiness(vms("Standard_D2s_v3"))["status"] == "can migrate"


def test_the_image_follows_the_os_sku_snapshot_and_image_version_are_not_sent():
    source = pool("snap", creationData={"sourceResourceId": "/subscriptions/s/snapshots/s1"})
    plan = plan_pool(source, None, migration.NEW_POOL)
    props = plan["requests"][0]["body"]["properties"]
    assert "creationData" not in props and "nodeImageVersion" not in props
    assert any(f["rule"] == "migration-snapshot-not-kept" and "/snapshots/s1" in f["message"] for f in plan["findings"])


# ---- resume from the records on the pools -------------------------------------------------
def replacement(name, old, state, sku="AzureLinux", old_etag="etag-old"):
    tags = {"azurelinux-migration-strategy": "new-pool", "azurelinux-migration-from-os-sku": "Ubuntu",
            "azurelinux-migration-replaces": old, "azurelinux-migration-replaces-etag": old_etag}
    return pool(name, sku=sku, state=state, tags=tags)


@pytest.mark.parametrize("state,steps", [
    ("Creating", [("wait", "GET", "oldal"), ("delete", "DELETE", "old")]),
    ("Succeeded", [("delete", "DELETE", "old")]),
    ("Failed", [("remove-failed", "DELETE", "oldal")]),
])
def test_a_replacement_on_record_is_resumed_never_doubled(state, steps):
    pools = [pool("old"), replacement("oldal", "old", state)]
    plans = plan_cluster(pools, None, migration.NEW_POOL)
    old, new = plans
    assert old["action"] == "resume" and old["newPool"] == "oldal"
    assert [(r["step"], r["method"], r["pool"]) for r in old["requests"]] == steps
    assert not any(r["step"] == "create" for r in old["requests"])
    if steps[-1][0] == "delete":
        assert old["requests"][-1]["headers"] == {"If-Match": '"etag-old"'}  # the ETag the first run planned on
    assert new["action"] == "replacement" and "replacement of old" in new["reason"]


def test_a_replacement_is_resumed_whatever_strategy_the_rerun_names():
    plan = plan_pool(pool("old"), None, migration.IN_PLACE,
                               replacements=[replacement("oldal", "old", "Creating")])
    assert plan["action"] == "resume" and plan["strategy"] == "new-pool"


def test_two_replacements_of_one_pool_are_refused():
    pools = [pool("old"), replacement("oldal", "old", "Succeeded"), replacement("oldal2", "old", "Succeeded")]
    plan = plan_cluster(pools, None, migration.NEW_POOL)[0]
    assert plan["action"] == "refused" and "oldal, oldal2" in plan["reason"]


def test_a_pool_still_being_reimaged_toward_the_target_is_waited_for():
    busy = pool("web", sku="AzureLinux", state="Upgrading",
                tags={"azurelinux-migration-strategy": "in-place", "azurelinux-migration-from-os-sku": "Ubuntu"})
    plan = plan_pool(busy, None, migration.IN_PLACE)
    assert plan["action"] == "resume" and plan["osSkuBefore"] == "Ubuntu"
    assert [(r["step"], r["pool"]) for r in plan["requests"]] == [("wait", "web")]


def test_a_finished_replacement_whose_old_pool_is_gone_is_an_ordinary_pool():
    plans = plan_cluster([replacement("oldal", "old", "Succeeded")], None, migration.NEW_POOL)
    assert plans[0]["action"] == "nothing-to-do"


# ---- rollback ------------------------------------------------------------------------------
MIGRATED = {"azurelinux-migration-strategy": "in-place", "azurelinux-migration-from-os-sku": "Ubuntu", "team": "a"}


def test_rollback_plan_goes_back_to_the_recorded_sku_and_drops_the_record():
    plan = plan_rollback(pool("web", sku="AzureLinux", tags=MIGRATED))
    assert (plan["action"], plan["osSkuBefore"], plan["osSkuAfter"]) == ("migrate", "AzureLinux", "Ubuntu")
    [request] = plan["requests"]
    assert request["headers"] == {"If-Match": '"etag-web"'}
    assert request["body"]["properties"]["osSKU"] == "Ubuntu"
    assert request["body"]["properties"]["tags"] == {"team": "a"}
    assert "nodeImageVersion" not in request["body"]["properties"]


@pytest.mark.parametrize("source,reason", [
    (pool("web", sku="AzureLinux"), "no migration is on record"),
    (pool("web", sku="AzureLinux", state="Upgrading", tags=MIGRATED), "an operation is running on it (Upgrading)"),
    (pool("web", sku="AzureLinux3", tags=dict(MIGRATED, **{"azurelinux-migration-from-os-sku": "CBLMariner"})),
     "CBLMariner is no longer accepted by AKS"),
    (pool("web", sku="AzureLinux3", version="1.30.4",
          tags=dict(MIGRATED, **{"azurelinux-migration-from-os-sku": "AzureLinux"})), "Azure Linux 2.0"),
    (replacement("oldal", "old", "Succeeded"), "replacement of old (a new-pool migration)"),
])
def test_rollback_refusals(source, reason):
    plan = plan_rollback(source)
    assert plan["action"] == "refused" and reason in plan["reason"] and plan["requests"] == []


# ---- executor: joining another run, stopping ----------------------------------------------
def test_a_412_on_create_joins_the_run_that_created_the_replacement():
    plan = plan_pool(pool("web"), None, migration.NEW_POOL)
    ops = FakeOps({("put", "webal"): migration.StepError("412", accepted=False, status=412)})
    ops.pools = {"webal": replacement("webal", "web", "Creating")}
    result, messages = run(plan, ops)
    assert result["outcome"] == "succeeded"
    assert ops.calls == [("put", "webal"), ("get", "webal"), ("wait", "webal"), ("delete", "web")]
    assert any("another run created webal" in m for m in messages)


def test_a_412_on_create_for_a_pool_that_is_not_a_replacement_touches_nothing():
    plan = plan_pool(pool("web"), None, migration.NEW_POOL)
    ops = FakeOps({("put", "webal"): migration.StepError("412", accepted=False, status=412)})
    ops.pools = {"webal": pool("webal", sku="AzureLinux")}
    result, _ = run(plan, ops)
    assert result["outcome"] == "failed" and "does not replace web" in result["error"]
    assert ("delete", "web") not in ops.calls and ("cleanup", "webal") not in ops.calls


def test_a_412_in_place_joins_a_run_already_moving_the_pool():
    plan = plan_pool(pool("web"), None, migration.IN_PLACE)
    ops = FakeOps({("put", "web"): migration.StepError("412", accepted=False, status=412)})
    ops.pools = {"web": pool("web", sku="AzureLinux", state="Upgrading")}
    result, _ = run(plan, ops)
    assert result["outcome"] == "succeeded" and ops.calls[-1] == ("wait", "web")


def test_a_412_on_the_old_pools_delete_is_fine_when_another_run_deleted_it():
    plan = plan_pool(pool("web"), None, migration.NEW_POOL)
    ops = FakeOps({("delete", "web"): migration.StepError("412", accepted=False, status=412)})
    ops.pools = {}
    assert run(plan, ops)[0]["outcome"] == "succeeded"
    ops = FakeOps({("delete", "web"): migration.StepError("412", accepted=False, status=412)})
    ops.pools = {"web": pool("web")}
    result, _ = run(plan, ops)
    assert result["outcome"] == "failed" and "both pools remain" in result["left"]


def test_a_replacement_that_failed_in_an_earlier_run_is_removed_and_reported():
    plan = plan_pool(pool("old"), None, migration.NEW_POOL, replacements=[replacement("oldal", "old",
                                                                                                  "Failed")])
    ops = FakeOps()
    result, _ = run(plan, ops)
    assert ops.calls == [("delete", "oldal")]
    assert result["outcome"] == "failed" and "the failed replacement pool oldal was removed" in result["left"]


def test_a_joined_replacement_that_fails_is_cleaned_up():
    plan = plan_pool(pool("old"), None, migration.NEW_POOL, replacements=[replacement("oldal", "old",
                                                                                                  "Creating")])
    ops = FakeOps()
    ops.states = {"oldal": "Failed"}
    result, _ = run(plan, ops)
    assert ops.calls == [("wait", "oldal"), ("cleanup", "oldal")] and result["outcome"] == "failed"


def test_a_stop_reports_the_step_in_flight_and_starts_nothing_new():
    plans = plan_cluster([pool("p0"), pool("p1"), pool("p2")], None, migration.NEW_POOL)
    stop = threading.Event()
    ops = FakeOps({("put", "p0al"): migration.Interrupted("p0al", "Creating")})
    ops.fail[("put", "p0al")] = migration.Interrupted("p0al", "Creating")
    original = ops._do

    def do(kind, name):
        try:
            original(kind, name)
        finally:
            stop.set()
    ops._do = do
    results = migration.execute_plans(plans, ops, lambda m: None, max_parallel=1, stop=stop)
    first = results[0]
    assert (first["outcome"], first["step"], first["stepPool"], first["state"]) == \
        ("interrupted", "create", "p0al", "Creating")
    assert "Azure carries on with it" in first["left"]
    assert [r["outcome"] for r in results[1:]] == ["not-started", "not-started"]
    assert ops.calls == [("put", "p0al")]


def test_wait_intervals_start_short_and_settle_at_ten_seconds():
    intervals = migration.wait_intervals()
    first = [next(intervals) for _ in range(20)]
    assert first[:5] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert sum(first[:first.index(10.0)]) >= 60 and set(first[first.index(10.0):]) == {10.0}
