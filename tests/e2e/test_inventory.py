# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The fleet inventory: Resource Graph and ARM agreeing on the same state, paging, throttling, an unreadable
subscription, --status, VirtualMachines pools, management groups."""
import uuid

import pytest

from tests.e2e.conftest import arm_requests

VMS = {"name": "vms", "mode": "User", "type": "VirtualMachines", "osType": "Linux", "osSKU": "Ubuntu",
       "virtualMachinesProfile": {"scale": {"manual": [{"size": "Standard_D2s_v3", "count": 2},
                                                       {"size": "Standard_D4s_v3", "count": 1}]}}}
POOLS = [
    {"name": "sys", "mode": "System", "osSKU": "AzureLinux", "vmSize": "Standard_D4ds_v5", "count": 3},
    {"name": "ubu", "mode": "User", "osSKU": "Ubuntu", "vmSize": "Standard_D4ds_v5", "count": 2},
    {"name": "win", "mode": "User", "osType": "Windows", "osSKU": "Windows2022", "vmSize": "Standard_D4ds_v5",
     "count": 1},
    {"name": "a100", "mode": "User", "osSKU": "Ubuntu", "vmSize": "Standard_NC24ads_A100_v4", "count": 1}, VMS]


def sub():
    return f"5ab0{uuid.uuid4().hex[:4]}-0000-0000-0000-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fleet(emulator):
    subs = [sub(), sub()]
    emulator.admin("POST", "fleet", {"subscriptions": [
        {"id": subs[0], "clusters": [{"resourceGroup": "rg1", "name": "aks1", "kubernetesVersion": "1.33.5",
                                      "agentPools": POOLS},
                                     {"resourceGroup": "rg2", "name": "old", "kubernetesVersion": "1.30.4",
                                      "agentPools": POOLS[:2]}]},
        {"id": subs[1], "clusters": [{"resourceGroup": "rg3", "name": "aks3", "agentPools": POOLS[1:2]}]}]})
    return subs


def inventory(az, *args):
    return az("aks", "azurelinux", "inventory", *args)


def key(row):
    return row["subscription"], row["cluster"], row["pool"]


def test_both_sources_agree_and_judge_as_nodepool_list_does(az, emulator, fleet):
    graph = inventory(az, "--subscriptions", *fleet)
    arm = inventory(az, "--subscriptions", *fleet, "--source", "arm")
    assert graph.code == 0 and arm.code == 0, (graph, arm)
    assert sorted(graph.json, key=key) == sorted(arm.json, key=key)
    rows = {(r["cluster"], r["pool"]): r for r in graph.json}
    assert len(rows) == 8
    assert rows[("aks1", "sys")]["status"] == "on-azure-linux" and rows[("aks1", "ubu")]["status"] == "can-migrate"
    assert rows[("old", "sys")]["status"] == "retired" and "Azure Linux 2.0" in rows[("old", "sys")]["reason"]
    assert rows[("aks1", "win")]["status"] == "blocked" and "Windows pool" in rows[("aks1", "win")]["reason"]
    assert rows[("aks1", "a100")]["status"] == "blocked" and "NC A100 v4" in rows[("aks1", "a100")]["reason"]
    vms = rows[("aks1", "vms")]
    assert (vms["vmSize"], vms["nodeCount"], vms["status"]) == ("Standard_D2s_v3, Standard_D4s_v3", 3, "can-migrate")
    assert rows[("aks1", "ubu")]["subscription"] == fleet[0] and rows[("aks1", "ubu")]["resourceGroup"] == "rg1"
    assert "8 pool(s) in 3 cluster(s) of 2 subscription(s): 1 on-azure-linux, 1 retired, 4 can-migrate, 2 blocked" \
        in graph.err
    table = inventory(az, "--subscriptions", *fleet, "-o", "table").out.splitlines()
    assert table[0].split()[:5] == ["Subscription", "ResourceGroup", "Cluster", "Location", "Pool"]
    assert arm_requests(emulator, mutating_only=True) == []


def test_status_filter_and_an_empty_result(az, fleet):
    blocked = inventory(az, "--subscriptions", *fleet, "--status", "blocked", "retired")
    assert {(r["pool"], r["status"]) for r in blocked.json} == {("win", "blocked"), ("a100", "blocked"),
                                                                ("sys", "retired")}
    empty = inventory(az, "--subscriptions", sub())
    assert empty.code == 0 and empty.json == []
    bad = inventory(az, "--subscriptions", *fleet, "--status", "migrated")
    assert bad.code != 0 and "--status migrated is not a status" in bad.err


def test_paging_through_both_sources(az, emulator):
    prefix = uuid.uuid4().hex[:8]
    emulator.admin("POST", "fleet", {"generate": {"subscriptions": 1, "clusters": 220, "pools": 5, "prefix": prefix}})
    big = f"{prefix}-0000-0000-0000-{0:012d}"
    emulator.clear_requests()
    graph = inventory(az, "--subscriptions", big)
    assert graph.code == 0 and len(graph.json) == 1100
    posts = [e for e in emulator.requests() if e["method"] == "POST" and "resourcegraph" in e["path"].lower()]
    assert len(posts) == 2 and posts[1]["body"]["options"]["$skipToken"]  # every subscription gave rows: no more
    emulator.clear_requests()
    arm = inventory(az, "--subscriptions", big, "--source", "arm")
    assert len(arm.json) == 1100 and sorted(arm.json, key=key) == sorted(graph.json, key=key)
    assert len([e for e in arm_requests(emulator) if e["path"].endswith("/managedClusters")]) == 22  # 10 a page


def test_the_resource_graph_quota_is_kept(az, emulator):
    prefix = uuid.uuid4().hex[:8]
    emulator.admin("POST", "fleet", {"generate": {"subscriptions": 1, "clusters": 220, "pools": 5, "prefix": prefix},
                                     "graphQuota": {"perWindow": 1, "windowSeconds": 2}})
    try:
        emulator.clear_requests()
        result = inventory(az, "--subscriptions", f"{prefix}-0000-0000-0000-{0:012d}")
        assert result.code == 0 and len(result.json) == 1100
        posts = [e for e in emulator.requests() if e["method"] == "POST"]
        assert [p["status"] for p in posts] == [200, 200]  # it waited for the quota to reset instead of a 429
        assert posts[1]["start"] - posts[0]["start"] >= 1.5
    finally:
        emulator.admin("POST", "fleet", {"graphQuota": {"perWindow": 15, "windowSeconds": 5}})


def test_a_throttled_query_is_retried(az, emulator, fleet):
    emulator.fault("throttle", path=r"/providers/Microsoft.ResourceGraph/resources$", method="POST", retry_after=1)
    result = inventory(az, "--subscriptions", *fleet)
    assert result.code == 0 and len(result.json) == 8


def test_an_unreadable_subscription_is_reported_and_skipped(az, emulator, fleet):
    locked = sub()
    emulator.admin("POST", "fleet", {"subscriptions": [{"id": locked, "clusters": [
        {"resourceGroup": "rg", "name": "secret", "agentPools": POOLS[:1]}]}], "forbidden": [locked]})
    arm = inventory(az, "--subscriptions", locked, *fleet, "--source", "arm")
    assert arm.code == 0 and len(arm.json) == 8
    assert f"Subscription {locked} was skipped: it cannot be read (HTTP 403" in arm.err
    graph = inventory(az, "--subscriptions", locked, *fleet)
    assert graph.code == 0 and {r["cluster"] for r in graph.json} == {"aks1", "old", "aks3"}
    assert f"Subscription {locked} was skipped: it cannot be read (Resource Graph answered HTTP 403" in graph.err


def test_resource_graph_with_no_readable_subscription_reports_each_and_exits_zero(az, emulator):
    locked, missing = sub(), sub()
    emulator.admin("POST", "fleet", {"subscriptions": [{"id": locked, "clusters": [
        {"resourceGroup": "rg", "name": "secret", "agentPools": POOLS[:1]}]}], "forbidden": [locked]})
    emulator.clear_requests()
    graph = inventory(az, "--subscriptions", locked, missing)
    assert graph.code == 0 and graph.json == [], graph
    for subscription in (locked, missing):
        assert f"Subscription {subscription} was skipped: it cannot be read (Resource Graph answered HTTP 403" \
            in graph.err
    assert "0 pool(s) in 0 cluster(s)" in graph.err and "Traceback" not in graph.err
    posts = [e for e in emulator.requests() if e["method"] == "POST"]
    assert [p["status"] for p in posts] == [403]  # the pools were not asked for


def test_management_groups_through_resource_graph(az, emulator, fleet):
    group = f"mg-{uuid.uuid4().hex[:6]}"
    emulator.admin("POST", "fleet", {"managementGroups": {group: [fleet[1]]}})
    result = inventory(az, "--management-groups", group)
    assert result.code == 0 and {r["cluster"] for r in result.json} == {"aks3"}
    post = [e for e in emulator.requests() if e["method"] == "POST"][-1]
    assert post["body"]["managementGroups"] == [group] and "subscriptions" not in post["body"]
    mixed = inventory(az, "--management-groups", group, "--source", "arm")
    assert mixed.code != 0 and "--management-groups needs --source graph" in mixed.err


def test_an_operator_the_graph_emulator_does_not_know_is_a_400(emulator):
    response = emulator.arm("POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
                            {"subscriptions": ["x"], "query": "Resources | summarize count() by type"})
    assert response.status_code == 400 and "'summarize'" in response.json()["error"]["message"]
