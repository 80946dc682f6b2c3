"""The migration planner and executor, without a network: plans are data, requests go to a fake."""
import threading
import time

import pytest

from azext_azurelinux import migration


def pool(name, sku="Ubuntu", os_type="Linux", size="Standard_D4ds_v5", mode="User", state="Succeeded", version="1.33.5",
         **extra):
    props = {"osType": os_type, "osSKU": sku, "vmSize": size, "mode": mode, "count": 2,
             "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202611.01.0", **extra}
    return {"name": name, "etag": f"etag-{name}", "provisioningState": state, "kubernetesVersion": version,
            "body": {"properties": props}}


def test_in_place_plan_changes_only_the_os_sku_with_if_match():
    source = pool("web", nodeLabels={"a": "b"}, nodeTaints=["x=y:NoSchedule"], maxPods=50)
    plan = migration.plan_pool(source, "AzureLinux", migration.IN_PLACE)
    assert (plan["action"], plan["strategy"], plan["osSkuBefore"], plan["osSkuAfter"]) == \
        ("migrate", "in-place", "Ubuntu", "AzureLinux")
    [request] = plan["requests"]
    assert request["headers"] == {"If-Match": '"etag-web"'} and request["method"] == "PUT"
    expected = dict(source["body"]["properties"], osSKU="AzureLinux")
    del expected["nodeImageVersion"]
    assert request["body"] == {"properties": expected}
    assert source["body"]["properties"]["osSKU"] == "Ubuntu"  # the input is not changed


def test_new_pool_plan_creates_then_deletes():
    plan = migration.plan_pool(pool("web"), "AzureLinux3", migration.NEW_POOL, taken_names=["web", "webal"])
    create, delete = plan["requests"]
    assert plan["newPool"] == "webal2"
    assert (create["method"], create["pool"], create["headers"]) == ("PUT", "webal2", {"If-None-Match": "*"})
    assert create["body"]["properties"]["osSKU"] == "AzureLinux3"
    assert (delete["method"], delete["pool"], delete["headers"]) == ("DELETE", "web", {"If-Match": '"etag-web"'})


@pytest.mark.parametrize("source,action,reason", [
    (pool("win", sku="Windows2022", os_type="Windows"), "refused", "Windows pool"),
    (pool("a100", size="Standard_NC24ads_A100_v4"), "refused", "NC A100 v4"),
    (pool("done", sku="AzureLinux"), "nothing-to-do", "already on AzureLinux"),
    (pool("busy", state="Updating"), "refused", "the pool is Updating"),
])
def test_sources_that_do_not_migrate(source, action, reason):
    plan = migration.plan_pool(source, "AzureLinux", migration.IN_PLACE)
    assert plan["action"] == action and reason in plan["reason"] and plan["requests"] == []


def test_retired_target_is_a_warning_in_the_plan():
    plan = migration.plan_pool(pool("old", version="1.30.2"), "AzureLinux", migration.IN_PLACE)
    assert plan["action"] == "migrate"
    assert [f["rule"] for f in plan["findings"]] == ["azure-linux-2-retired"]


def test_cluster_plan_gives_distinct_replacement_names():
    pools = [pool("poolnumber1a"), pool("poolnumber1b"), pool("poolnumbeal")]
    plans = migration.plan_cluster(pools, "AzureLinux", migration.NEW_POOL)
    names = [p["newPool"] for p in plans]
    assert len(set(names)) == 3 and not set(names) & {"poolnumber1a", "poolnumber1b", "poolnumbeal"}
    assert all(len(n) <= 12 for n in names)


@pytest.mark.parametrize("name", ["a", "abcdefghijkl", "pool1"])
def test_derived_names_follow_the_naming_rule(name):
    from azext_azurelinux import aks_rules
    assert aks_rules.pool_name(migration.derive_new_name(name, {name})) is None


def test_readiness():
    assert migration.readiness(pool("a", sku="AzureLinux"))["status"] == "on Azure Linux"
    assert migration.readiness(pool("a", sku="AzureLinux", version="1.29"))["status"] == "on Azure Linux 2.0 (retired)"
    assert migration.readiness(pool("a"))["status"] == "can migrate"
    blocked = migration.readiness(pool("a", size="Standard_ND96asr_v4"))
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
            raise migration.StepError(f"{kind} {name} failed", accepted=self.fail[(kind, name)])

    def put(self, name, body, headers):
        self._do("put", name)

    def delete(self, name, headers):
        self._do("delete", name)

    def delete_quietly(self, name):
        self._do("cleanup", name)
        return True


def run(plan, ops):
    messages = []
    return migration.execute_pool(plan, ops, messages.append), messages


def test_new_pool_order_and_success():
    ops = FakeOps()
    result, messages = run(migration.plan_pool(pool("web"), "AzureLinux", migration.NEW_POOL), ops)
    assert result["outcome"] == "succeeded" and ops.calls == [("put", "webal"), ("delete", "web")]
    assert "requests" not in result and any("has Succeeded; deleting web" in m for m in messages)


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
    result, _ = run(migration.plan_pool(pool("web"), "AzureLinux", migration.NEW_POOL), ops)
    assert result["outcome"] == "failed" and ops.calls == calls and left in result["left"]


@pytest.mark.parametrize("accepted,left", [(False, "web is unchanged"), (True, "roll back")])
def test_in_place_failures(accepted, left):
    result, _ = run(migration.plan_pool(pool("web"), "AzureLinux", migration.IN_PLACE),
                    FakeOps({("put", "web"): accepted}))
    assert result["outcome"] == "failed" and left in result["left"]


def test_execute_plans_respects_max_parallel_and_stops_after_a_failure():
    plans = migration.plan_cluster([pool(f"p{i}") for i in range(6)], "AzureLinux", migration.IN_PLACE)
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
