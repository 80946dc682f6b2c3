# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Workloads in the plan: each cluster's Kubernetes API (the emulator's, one per cluster) read before the first
write, and the pools whose drain would fail, or whose workloads the new OS would strand, refused with the reason.

Every rule of issue 19 through the real `az`: what the user sees (exit code, the plan's action, reason and
findings, stderr, `-o table`) and what was sent (ARM writes, and the cluster's own API request log)."""
import os
import stat
import time

import pytest

from tests.e2e.conftest import arm_requests, pool_props, pool_spec, resource_path
from tests.emulator import kube_objects as k8s
from tests.emulator.kube import AKS_SERVER_APP_ID, jwt_claims
from tests.emulator.store import SUBSCRIPTION_ID

SYSTEM = pool_spec("system", mode="System", os_sku="AzureLinux")
OS_SKU = "kubernetes.azure.com/os-sku"
OS_SKU_EFFECTIVE = "kubernetes.azure.com/os-sku-effective"
OS_SKU_REQUESTED = "kubernetes.azure.com/os-sku-requested"
NODE_IMAGE = "kubernetes.azure.com/node-image-version"
SKIPPED = "Workloads were not checked (--skip-workload-check)"


def seed_workloads(emulator, rg, cluster, *families, **settings):
    seed = dict(k8s.merge(*families), resourceGroup=rg, name=cluster, **settings)
    emulator.admin("POST", "kube", seed)


def kube_log(emulator, rg, cluster):
    """The requests the cluster's own API server received (the emulator keeps one log for every cluster)."""
    return [e for e in emulator.admin("GET", "kube")["requests"] if e["cluster"] == f"{rg}/{cluster}"]


def credential_requests(emulator):
    return [e for e in arm_requests(emulator) if e["path"].lower().endswith("/listclusterusercredential")]


def assert_no_token_shown(emulator, *results):
    """No output shows a cluster's token or any token the emulator issued (ARM and Entra ones alike)."""
    tokens = emulator.admin("GET", "kube")["tokens"] + emulator.admin("GET", "tokens")
    for result in results:
        shown = sum(1 for t in tokens if t in result.out or t in result.err)
        assert shown == 0, f"{shown} token(s) shown by az {' '.join(result.args)}"


def migrate(az, rg, cluster, *args):
    return az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, *args)


def by_pool(result):
    return {p["pool"]: p for p in result.json["pools"]}


def errors_of(plan):
    return [f for f in plan["findings"] if f["severity"] == "error"]


def warned(result, pool):
    """The WARNING lines stderr has for a pool."""
    return [line for line in result.err.splitlines() if line.startswith(f"WARNING: {pool}: ")]


def pinned(node_selector=None, **expressions):
    """A pod spec whose nodeSelector, or whose required node affinity (key=(operator, values)), names labels."""
    terms = [{"matchExpressions": [{"key": k, "operator": op, "values": list(v)} for k, (op, v) in
                                   expressions.items()]}] if expressions else None
    return k8s.pod_spec(node_selector=node_selector, required_terms=terms)


def shop(nodes, **options):
    """The Deployment shop/cart (its pods labelled app=cart) spread over the nodes."""
    return k8s.deployment("shop", "cart", nodes, **options)


def cart_budget(expected, **spec):
    return {"poddisruptionbudgets": [k8s.budget("shop", "cart", {"matchLabels": {"app": "cart"}}, expected, **spec)]}


# ---- budgets AKS refuses up front: every draining plan, whatever Cordon says ---------------------------------------
def test_an_unsatisfiable_budget_refuses_every_draining_plan_and_nothing_is_sent(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web"), pool_spec("batch")])
    nodes = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": nodes + k8s.pool_nodes("batch", 1)},
                   k8s.deployment("shop", "cart", nodes, replicas=1),
                   {"poddisruptionbudgets": [k8s.budget("shop", "cart", {"app": "cart"}, expected=1,
                                                        min_available=1)]})
    emulator.clear_requests()
    result = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--yes")
    assert result.code == 1, result
    plans = {p["pool"]: p for p in result.json["pools"]}
    assert plans["web"]["action"] == plans["batch"]["action"] == "refused"
    assert "shop/cart" in plans["batch"]["reason"]  # cluster-wide: it blocks a pool that does not host it
    assert arm_requests(emulator, mutating_only=True) == []
    skipped = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--dry-run", "--skip-workload-check")
    assert skipped.code == 0 and "Workloads were not checked" in skipped.err
    assert {p["pool"]: p["action"] for p in skipped.json["pools"]}["web"] == "migrate"


@pytest.mark.parametrize("spec, expected, numbers, extra", [
    ({"max_unavailable": 0}, 2, "maxUnavailable 0", ["--undrainable-node-behavior", "Cordon"]),
    ({"max_unavailable": "0%"}, 2, "maxUnavailable 0%", ["--strategy", "new-pool"]),
    ({"min_available": 2}, 2, "minAvailable 2 (2 pod(s)) >= the 2 pod(s) it expects", ["--yes"]),
    ({"min_available": "90%"}, 1, "minAvailable 90% (1 pod(s) rounded up) >= the 1 pod(s) it expects",
     ["--undrainable-node-behavior", "Cordon", "--yes"]),
], ids=["maxUnavailable-0-cordon", "maxUnavailable-0%-new-pool", "minAvailable-all", "minAvailable-90%-of-1-cordon"])
def test_unsatisfiable_budgets_refuse_the_cluster_whatever_the_strategy_or_cordon(
        az, emulator, rg, seed_cluster, spec, expected, numbers, extra):
    cluster = seed_cluster([SYSTEM, pool_spec("web"), pool_spec("batch")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web + k8s.pool_nodes("batch", 1)},
                   shop(web, replicas=expected), cart_budget(expected, **spec))
    dry_run = [] if "--yes" in extra else ["--dry-run"]
    result = migrate(az, rg, cluster, *extra, *dry_run)
    assert result.code == 1, result
    plans = by_pool(result)
    assert plans["system"]["action"] == "nothing-to-do"
    for pool in ("web", "batch"):  # batch hosts none of the budget's pods: AKS refuses the operation all the same
        plan = plans[pool]
        assert plan["action"] == "refused" and plan["osSkuAfter"] == "Ubuntu" and plan["preflight"]["refused"]
        assert plan["reason"].startswith(f"PodDisruptionBudget shop/cart has {numbers}, so AKS refuses every "
                                         "operation that drains nodes"), plan["reason"]
        assert "UnsatisfiablePDB" in plan["reason"] and "whatever --undrainable-node-behavior says" in plan["reason"]
        assert [f["rule"] for f in errors_of(plan)] == ["workload-pdb-unsatisfiable"]
        assert f"{pool}: refused Ubuntu: PodDisruptionBudget shop/cart" in result.err
    assert arm_requests(emulator, mutating_only=True) == []
    assert len(credential_requests(emulator)) == 1  # the user credential once, for the whole cluster
    assert_no_token_shown(emulator, result)


# ---- budgets that allow no disruption now: the pool that runs their pods ---------------------------------------
def test_a_budget_allowing_no_disruption_refuses_its_pool_and_cordon_makes_it_a_warning(az, emulator, rg,
                                                                                        seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web"), pool_spec("batch")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web + k8s.pool_nodes("batch", 1)},
                   shop(web, replicas=3, ready=2), cart_budget(3, healthy=2, min_available=2))
    result = migrate(az, rg, cluster, "--yes")
    assert result.code == 1, result
    plans = by_pool(result)
    web_plan = plans["web"]
    assert web_plan["action"] == "refused" and web_plan["outcome"] == "refused"
    assert web_plan["reason"].startswith("PodDisruptionBudget shop/cart allows 0 disruptions now (2 healthy, "
                                         "2 desired, 3 expected) and guards 2 pod(s) on pool web that it will "
                                         "not let the drain evict")  # the unready third one it lets go
    for way_out in ("--undrainable-node-behavior Cordon", "fix the budget", "wait until its pods are ready"):
        assert way_out in web_plan["reason"]
    assert plans["batch"]["action"] == "migrate" and plans["batch"]["outcome"] == "succeeded"  # not its pods
    sent = [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in arm_requests(emulator, mutating_only=True)]
    assert sent == [("PUT", "batch")]  # nothing for the refused pool

    cordon = migrate(az, rg, cluster, "--dry-run", "--undrainable-node-behavior", "Cordon")
    assert cordon.code == 0, cordon
    web_plan = by_pool(cordon)["web"]
    assert web_plan["action"] == "migrate" and web_plan["upgradeSettings"]["undrainableNodeBehavior"] == "Cordon"
    assert [(f["rule"], f["severity"], f["value"]) for f in web_plan["findings"]] == [
        ("workload-pdb-blocks-drain", "warning", "PodDisruptionBudget/shop/cart")]
    assert len(warned(cordon, "web")) == 1 and "PodDisruptionBudget shop/cart allows 0 disruptions now" in \
        warned(cordon, "web")[0] and "AKS cordons the nodes it cannot drain" in warned(cordon, "web")[0]
    assert_no_token_shown(emulator, result, cordon)


def test_pods_under_two_budgets_refuse_their_pool_as_the_eviction_api_would(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web"), pool_spec("batch")])
    web = k8s.pool_nodes("web", 2)
    every_app = k8s.budget("shop", "apps", {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, 3,
                           max_unavailable=1)
    seed_workloads(emulator, rg, cluster, {"nodes": web + k8s.pool_nodes("batch", 1)}, shop(web, replicas=3),
                   cart_budget(3, max_unavailable=1), {"poddisruptionbudgets": [every_app]})
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 1, result
    plans = by_pool(result)
    assert plans["web"]["action"] == "refused" and plans["web"]["preflight"]["rule"] == "workload-pdb-overlap"
    assert "3 pod(s) on pool web" in plans["web"]["reason"] and "(shop/apps, shop/cart)" in plans["web"]["reason"]
    assert plans["batch"]["action"] == "migrate"  # both budgets allow a disruption: only the overlap blocks
    cordon = migrate(az, rg, cluster, "--dry-run", "--undrainable-node-behavior", "Cordon")
    assert cordon.code == 0, cordon
    assert [f["rule"] for f in by_pool(cordon)["web"]["findings"]] == ["workload-pdb-overlap"]
    assert len(warned(cordon, "web")) == 1 and "more than one PodDisruptionBudget" in warned(cordon, "web")[0]


# ---- workloads pinned to the old OS ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, term", [
    (pinned({OS_SKU: "Ubuntu"}), f"nodeSelector {OS_SKU}=Ubuntu"),
    (pinned(**{OS_SKU_EFFECTIVE: ("In", ["Ubuntu2204"])}),
     f"required node affinity {OS_SKU_EFFECTIVE} In (Ubuntu2204)"),
    (pinned({OS_SKU_REQUESTED: "Ubuntu"}), f"nodeSelector {OS_SKU_REQUESTED}=Ubuntu"),
    (pinned(**{NODE_IMAGE: ("In", [k8s.UBUNTU_IMAGE])}),
     f"required node affinity {NODE_IMAGE} In ({k8s.UBUNTU_IMAGE})"),
], ids=["os-sku", "os-sku-effective", "os-sku-requested", "node-image-version"])
def test_a_workload_pinned_to_the_old_os_refuses_its_pool(az, emulator, rg, seed_cluster, spec, term):
    cluster = seed_cluster([SYSTEM, pool_spec("web"), pool_spec("batch")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web + k8s.pool_nodes("batch", 1)}, shop(web, spec=spec))
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 1, result
    plans = by_pool(result)
    assert plans["web"]["action"] == "refused" and plans["web"]["preflight"]["rule"] == "workload-os-selector"
    reason = plans["web"]["reason"]
    assert reason.startswith(f"Deployment shop/cart requires {term}, which the nodes of pool web will not match "
                             "once they run AzureLinux"), reason
    assert "would stay Pending after the drain" in reason
    assert plans["batch"]["action"] == "migrate" and plans["batch"]["findings"] == []  # pinned pods only on web
    assert arm_requests(emulator, mutating_only=True) == []


def test_pods_are_followed_to_the_controller_whose_template_is_judged(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    ubuntu = pinned({OS_SKU: "Ubuntu"})
    deployment = shop(web, spec=ubuntu)
    for pod in deployment["pods"]:  # the template was changed and not rolled out yet: the template is what counts
        pod["spec"].pop("nodeSelector")
    job_pod = k8s.pod("batch", "nightly-x7k2p", web[0]["metadata"]["name"],
                      spec=pinned({OS_SKU_EFFECTIVE: "Ubuntu2204"}), owner=("batch/v1", "Job", "nightly"))
    seed_workloads(emulator, rg, cluster, {"nodes": web}, deployment,
                   k8s.statefulset("data", "db", web, replicas=2, spec=pinned(**{OS_SKU: ("NotIn", ["AzureLinux"])})),
                   k8s.daemonset("kube-system", "driver", web, spec=ubuntu),
                   k8s.daemonset("kube-system", "logs", web),  # pinned to its node by name only: it moves with it
                   {"pods": [job_pod]})
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 1, result
    plan = by_pool(result)["web"]
    messages = [f["message"] for f in errors_of(plan)]
    assert len(messages) == 4, messages
    named = {m.split(" requires ")[0].split(",")[0] for m in messages}
    assert named == {"Deployment shop/cart", "StatefulSet data/db", "DaemonSet kube-system/driver", "Job batch/nightly"}
    daemon = next(m for m in messages if m.startswith("DaemonSet"))
    assert "would stop running on pool web" in daemon and "runs on 2 of the pool's nodes today" in daemon
    assert f"{OS_SKU} NotIn (AzureLinux)" in next(m for m in messages if m.startswith("StatefulSet"))
    assert not any("ReplicaSet" in m or "kube-system/logs" in m or "nightly-x7k2p" in m for m in messages)
    assert "(3 more in the plan's findings)" in plan["reason"]


def test_a_new_pool_migration_refuses_workloads_that_select_the_old_pool_by_name(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({"agentpool": "web"})),
                   k8s.daemonset("mon", "agent", web,
                                 spec=pinned(**{"kubernetes.azure.com/agentpool": ("In", ["web"])})))
    result = migrate(az, rg, cluster, "--dry-run", "--strategy", "new-pool")
    assert result.code == 1, result
    plan = by_pool(result)["web"]
    assert plan["action"] == "refused" and "newPool" not in plan
    messages = [f["message"] for f in errors_of(plan)]
    assert any(m.startswith("Deployment shop/cart requires nodeSelector agentpool=web, naming pool web, which a "
                            "new-pool migration replaces and deletes") for m in messages), messages
    assert any(m.startswith("DaemonSet mon/agent requires required node affinity kubernetes.azure.com/agentpool In "
                            "(web), naming pool web") and "would stop running on the 2 node(s)" in m
               for m in messages), messages
    assert "--strategy in-place" in plan["reason"]
    in_place = migrate(az, rg, cluster, "--dry-run")  # in place the pool keeps its name: nothing to say
    assert in_place.code == 0 and by_pool(in_place)["web"]["action"] == "migrate", in_place
    assert by_pool(in_place)["web"]["findings"] == [] and warned(in_place, "web") == []
    assert arm_requests(emulator, mutating_only=True) == []


def test_workloads_that_fit_the_new_os_stay_quiet(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 3)
    preferred = k8s.pod_spec(node_selector={"kubernetes.io/os": "linux"})
    preferred["affinity"] = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100,
         "preference": {"matchExpressions": [{"key": OS_SKU, "operator": "In", "values": ["Ubuntu"]}]}}]}}
    either = pinned({"node.kubernetes.io/instance-type": "Standard_D4ds_v5"},
                    **{OS_SKU: ("In", ["Ubuntu", "AzureLinux"])})
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, replicas=3, spec=preferred),
                   k8s.statefulset("data", "db", web, replicas=3, spec=either),
                   k8s.daemonset("kube-system", "logs", web, spec=k8s.pod_spec(host_paths=["/var/log"])),
                   cart_budget(3, max_unavailable=1),
                   {"poddisruptionbudgets": [  # healthy, and one that expects no pod at all
                       k8s.budget("data", "db", {"matchLabels": {"app": "db"}}, 3, min_available=2),
                       k8s.budget("shop", "gone", {"matchLabels": {"app": "gone"}}, 0, min_available=1)]})
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 0, result
    plan = by_pool(result)["web"]
    assert plan["action"] == "migrate" and plan["findings"] == [] and plan["reason"] is None
    assert "WARNING: web" not in result.err
    assert result.json["workloads"]["checked"] is True and result.json["workloads"]["notRead"] == []
    log = kube_log(emulator, rg, cluster)
    assert len(log) == 7 and {e["query"]["limit"] for e in log} == {"500"}  # one page of each kind, as kubectl asks
    assert [e["path"].rsplit("/", 1)[-1] for e in arm_requests(emulator) if e["method"] == "POST"] == [
        "listClusterUserCredential"]  # the user credential, never the admin one
    assert_no_token_shown(emulator, result)


def test_a_cluster_of_many_pages_is_read_whole_compressed_and_the_last_page_counts(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 6)
    families = [{"nodes": web}] + [k8s.deployment("shop", f"svc-{i:03}", web, replicas=5) for i in range(230)]
    families.append(k8s.deployment("zz", "pinned", web, replicas=2, spec=pinned({OS_SKU: "Ubuntu"})))  # page 3
    seed_workloads(emulator, rg, cluster, *families)
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 1, result
    plan = by_pool(result)["web"]
    assert plan["action"] == "refused" and "Deployment zz/pinned requires" in plan["reason"]
    log = kube_log(emulator, rg, cluster)
    pods = [e for e in log if e["path"] == "/api/v1/pods"]
    assert log[0] is pods[0] and len(pods) == 3  # 1,152 pods: ceil(1152/500) pages, the first request alone
    assert [("continue" in e["query"]) for e in pods] == [False, True, True]
    assert len(log) == result.json["workloads"]["requests"] == 3 + 6  # pods, then one page of each other kind
    assert all("gzip" in e["acceptEncoding"] for e in log)
    assert [e["encoding"] for e in pods] == ["gzip"] * 3  # over 128 KiB: compressed, as kube-apiserver does
    assert [e["encoding"] for e in log if e["path"] == "/api/v1/nodes"] == ["identity"]  # 6 nodes: as it is
    assert result.json["workloads"]["notRead"] == [] and "Traceback" not in result.err


def test_bare_pods_and_ubuntu_host_paths_are_warnings_and_the_plan_goes_on(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    node = web[0]["metadata"]["name"]
    seed_workloads(emulator, rg, cluster, {"nodes": web},
                   shop(web, spec=k8s.pod_spec(host_paths=["/etc/apt", "/usr/lib/x86_64-linux-gnu/libfoo.so"])),
                   {"pods": [k8s.pod("default", "debug", node),
                             k8s.pod("default", "done", node, phase="Succeeded")]})  # finished: nothing to drain
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 0, result
    plan = by_pool(result)["web"]
    assert plan["action"] == "migrate"
    assert sorted((f["rule"], f["severity"], f["value"]) for f in plan["findings"]) == [
        ("workload-bare-pod", "warning", "Pod/default/debug"),
        ("workload-ubuntu-host-path", "warning", "Deployment/shop/cart")]
    lines = warned(result, "web")
    assert any(f"Pod default/debug on node {node} of pool web has no controller, so the drain deletes it and nothing "
               "recreates it" in line for line in lines), lines
    assert any("Deployment shop/cart mounts the Ubuntu-only host path(s) /etc/apt (Azure Linux: tdnf, no apt), "
               "/usr/lib/x86_64-linux-gnu/libfoo.so (Azure Linux: /usr/lib64)" in line for line in lines), lines
    assert not any("done" in line for line in lines)


def test_a_resumed_in_place_plan_is_not_judged_again(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({OS_SKU: "Ubuntu"})),
                   cart_budget(2, max_unavailable=0))
    emulator.configure(operationSeconds=30)  # an earlier run's OS change, still under way
    moving = dict(pool_props(emulator, rg, cluster, "web"), osSKU="AzureLinux",
                  tags={"azurelinux-migration-strategy": "in-place", "azurelinux-migration-from-os-sku": "Ubuntu"})
    assert emulator.arm("PUT", resource_path(rg, cluster, "web"), {"properties": moving}).status_code == 200
    emulator.clear_requests()
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 0, result
    plan = by_pool(result)["web"]
    assert plan["action"] == "resume" and plan["findings"] == []  # its drain is under way: nothing to refuse
    assert result.json["workloads"] is None  # nothing would start a drain: the cluster's API was not read
    assert kube_log(emulator, rg, cluster) == [] and credential_requests(emulator) == []


def test_a_resumed_new_pool_plan_is_judged_for_the_old_pools_delete_still_ahead(az, emulator, rg, seed_cluster):
    record = {"azurelinux-migration-replaces": "web", "azurelinux-migration-strategy": "new-pool",
              "azurelinux-migration-from-os-sku": "Ubuntu"}
    cluster = seed_cluster([SYSTEM, pool_spec("web"), pool_spec("webal", os_sku="AzureLinux", tags=record)])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({OS_SKU: "Ubuntu"})),
                   cart_budget(2, max_unavailable=0))
    result = migrate(az, rg, cluster, "--yes", "--strategy", "new-pool")
    assert result.code == 1, result
    plan = by_pool(result)["web"]
    assert plan["action"] == "refused" and plan["preflight"]["rule"] == "workload-pdb-unsatisfiable"
    assert sorted(f["rule"] for f in errors_of(plan)) == ["workload-os-selector",  # the pods the delete strands
                                                          "workload-pdb-unsatisfiable"]
    assert arm_requests(emulator, mutating_only=True) == []  # web is not deleted, webal stays: nothing is lost
    assert len(credential_requests(emulator)) == 1


# ---- where it shows -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "yes"])
def test_nodepool_migrate_prints_the_refused_plan_and_exits_1(az, emulator, rg, seed_cluster, dry_run):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({OS_SKU_EFFECTIVE: "Ubuntu2204"})))
    result = az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "web",
                "--dry-run" if dry_run else "--yes")
    assert result.code == 1, result
    plan = result.json
    assert (plan["pool"], plan["action"], plan["outcome"]) == ("web", "refused", "refused")
    assert plan["reason"].startswith(f"Deployment shop/cart requires nodeSelector {OS_SKU_EFFECTIVE}=Ubuntu2204")
    assert "requests" not in plan and plan["strategy"] is None
    assert "web: refused Ubuntu: Deployment shop/cart" in result.err and "Traceback" not in result.err
    assert arm_requests(emulator, mutating_only=True) == []
    assert_no_token_shown(emulator, result)


def test_check_fleet_and_table_show_the_refusal(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({OS_SKU: "Ubuntu"})),
                   {"pods": [k8s.pod("default", "debug", web[1]["metadata"]["name"])]})

    check = az("aks", "azurelinux", "check", "-g", rg, "--cluster-name", cluster)
    assert check.code == 1 and check.json["allowed"] is False, check
    plan = by_pool(check)["web"]
    assert plan["action"] == "refused" and plan["reason"].startswith("Deployment shop/cart requires nodeSelector")
    assert ("workload-bare-pod", "Pod/default/debug") in [(f["rule"], f["value"]) for f in plan["findings"]]
    assert check.json["workloads"]["checked"] is True

    cluster_id = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
                  f"managedClusters/{cluster}")
    fleet = az("aks", "azurelinux", "migrate-fleet", "--clusters", cluster_id, "--dry-run")
    assert fleet.code == 1, fleet  # a pool a live check refuses would not migrate: exit 1, as migrate --dry-run
    assert fleet.json["clusters"][0]["workloads"]["checked"] is True
    pools = {p["pool"]: p for p in fleet.json["clusters"][0]["pools"]}
    assert pools["web"]["action"] == "refused" and pools["web"]["reason"] == plan["reason"]
    assert ("workload-bare-pod", "Pod/default/debug") in [(f["rule"], f["value"]) for f in pools["web"]["findings"]]
    assert "1 nothing-to-do, 1 refused" in fleet.err

    table = migrate(az, rg, cluster, "--dry-run", "-o", "table")
    assert table.code == 1, table
    header, _, *rows = table.out.splitlines()
    assert header.split()[:2] == ["Pool", "Action"]
    web_row = next(r for r in rows if r.startswith("web "))
    assert web_row.split()[1] == "refused" and "Deployment shop/cart requires nodeSelector" in web_row

    run = az("aks", "azurelinux", "migrate-fleet", "--clusters", cluster_id, "--yes")
    assert run.code == 1 and run.json["clusters"][0]["outcome"] == "failed", run
    assert arm_requests(emulator, mutating_only=True) == []
    assert_no_token_shown(emulator, check, fleet, table, run)


@pytest.mark.parametrize("command", ["migrate", "nodepool migrate", "check", "migrate-fleet"])
def test_skip_workload_check_sends_nothing_to_the_cluster_and_says_so(az, emulator, rg, seed_cluster, command):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web), cart_budget(2, max_unavailable=0))
    args = {"migrate": ["migrate", "-g", rg, "-n", cluster, "--dry-run"],
            "nodepool migrate": ["nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "web", "--dry-run"],
            "check": ["check", "-g", rg, "--cluster-name", cluster],
            "migrate-fleet": ["migrate-fleet", "--dry-run", "--clusters",
                              f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/"
                              f"Microsoft.ContainerService/managedClusters/{cluster}"]}[command]
    result = az("aks", "azurelinux", *args, "--skip-workload-check")
    assert result.code == 0, result
    assert SKIPPED in result.err
    assert kube_log(emulator, rg, cluster) == [] and credential_requests(emulator) == []
    assert arm_requests(emulator, mutating_only=True) == []
    report = result.json
    pools = report["clusters"][0]["pools"] if command == "migrate-fleet" else report.get("pools", [report])
    assert {p["pool"]: p["action"] for p in pools}["web"] == "migrate"


# ---- when the workloads cannot be read ------------------------------------------------------------------------------
@pytest.mark.parametrize("server, why", [
    ("closed", "could not be reached"),
    ("silent", "accepted the connection but did not answer within"),
])
def test_an_api_server_that_does_not_answer_is_a_warning_given_within_seconds(
        az, emulator, rg, seed_cluster, server, why):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web), cart_budget(2, max_unavailable=0), server=server)
    started = time.monotonic()
    result = migrate(az, rg, cluster, "--dry-run")
    took = time.monotonic() - started
    assert result.code == 0, result
    assert took < 30, f"{took:.1f} s"  # short timeouts and no retries against a host that does not answer
    assert by_pool(result)["web"]["action"] == "migrate"
    warning = next(line for line in result.err.splitlines() if line.startswith("WARNING: The cluster's API server"))
    for words in (why, "the workloads were not checked", "private cluster", "az aks command invoke"):
        assert words in warning, warning
    workloads = result.json["workloads"]
    assert workloads["requests"] == 1 and len(workloads["notRead"]) == 7
    assert kube_log(emulator, rg, cluster) == [] and "Traceback" not in result.err
    assert_no_token_shown(emulator, result)


def test_a_certificate_the_kubeconfig_ca_does_not_verify_is_never_trusted(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web), cart_budget(2, max_unavailable=0), wrongCa=True)
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 0, result
    assert by_pool(result)["web"]["action"] == "migrate"
    assert "presented a certificate that the kubeconfig's certificate authority does not verify, so it was not " \
           "trusted" in result.err
    assert result.json["workloads"]["requests"] == 1  # no second try with another trust store, or none at all
    assert kube_log(emulator, rg, cluster) == []  # the TLS handshake failed: no request reached the server
    assert_no_token_shown(emulator, result)


@pytest.mark.parametrize("forbidden, role", [
    ("poddisruptionbudgets", "Azure Kubernetes Service RBAC Reader role"),
    ("nodes", "Microsoft.ContainerService/managedClusters/nodes/read"),
])
def test_a_kind_that_may_not_be_listed_is_a_warning_and_the_other_rules_still_run(
        az, emulator, rg, seed_cluster, forbidden, role):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({OS_SKU: "Ubuntu"})),
                   {"poddisruptionbudgets": [k8s.budget("data", "db", {"matchLabels": {"app": "db"}}, 1,
                                                        min_available=1)]},
                   forbidden=[forbidden])
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 1, result
    warning = next(line for line in result.err.splitlines() if "403 Forbidden" in line)
    assert f"The credential may not list {forbidden} in the cluster" in warning and role in warning, warning
    assert result.json["workloads"]["notRead"] == [forbidden]
    plan = by_pool(result)["web"]
    rules = {f["rule"] for f in errors_of(plan)}
    assert "workload-os-selector" in rules  # read from the pods and the Deployment
    assert ("workload-pdb-unsatisfiable" in rules) == (forbidden != "poddisruptionbudgets")
    statuses = sorted(e["status"] for e in kube_log(emulator, rg, cluster))
    assert statuses == [200] * 6 + [403]
    assert_no_token_shown(emulator, result)


def set_cluster_properties(emulator, rg, cluster, **properties):
    """Give the ARM cluster properties that `az aks create` would set (managed Entra ID, local accounts off)."""
    doc = emulator.arm("GET", resource_path(rg, cluster)).json()
    doc["properties"].update(properties)
    emulator.seed({"clusters": [{"resourceGroup": rg, "name": cluster, "body": doc}]})
    emulator.clear_requests()


def test_a_managed_entra_cluster_is_read_with_the_cli_token_and_kubelogin_never_runs(
        az, emulator, rg, seed_cluster, tmp_path):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    set_cluster_properties(emulator, rg, cluster, disableLocalAccounts=True,  # so no static token could work
                           aadProfile={"managed": True, "enableAzureRBAC": True,
                                       "tenantID": "00000000-0000-0000-0000-0000000e1a7e"})
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({OS_SKU: "Ubuntu"})))
    marker = tmp_path / "kubelogin-ran"
    kubelogin = tmp_path / "bin" / "kubelogin"  # the kubeconfig's exec command: running it would leave the marker
    kubelogin.parent.mkdir()
    kubelogin.write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\nexit 1\n")
    kubelogin.chmod(kubelogin.stat().st_mode | stat.S_IEXEC)
    with_kubelogin = az.with_env(PATH=f"{kubelogin.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = migrate(with_kubelogin, rg, cluster, "--dry-run")
    assert result.code == 1, result
    assert by_pool(result)["web"]["reason"].startswith(f"Deployment shop/cart requires nodeSelector {OS_SKU}=Ubuntu")
    assert not marker.exists()
    log = kube_log(emulator, rg, cluster)
    assert len(log) == 7 and {e["status"] for e in log} == {200}
    audiences = {(jwt_claims(t) or {}).get("aud") for t in emulator.admin("GET", "tokens")}
    assert AKS_SERVER_APP_ID in audiences  # the CLI's own sign-in gave a token for the AKS server application
    assert_no_token_shown(emulator, result)
    without = migrate(az.with_env(PATH=os.path.dirname(az.executable) + os.pathsep + "/usr/bin:/bin"), rg, cluster,
                      "--dry-run")
    assert without.code == 1 and "kubelogin" not in without.err, without
    assert by_pool(without)["web"]["action"] == "refused"


def test_local_accounts_disabled_without_entra_is_a_warning(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    set_cluster_properties(emulator, rg, cluster, disableLocalAccounts=True)
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web), cart_budget(2, max_unavailable=0))
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 0, result
    assert by_pool(result)["web"]["action"] == "migrate"
    assert "AKS gave no user credential for the cluster" in result.err and "disable local accounts" in result.err
    assert "needs managed Entra ID" in result.err
    assert len(credential_requests(emulator)) == 1 and kube_log(emulator, rg, cluster) == []
    assert arm_requests(emulator, mutating_only=True) == []
    assert_no_token_shown(emulator, result)


# ---- defects found by these tests (see the note) ------------------------------------------------------------
def test_every_error_of_a_refused_plan_names_its_workload_in_the_findings(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 2)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, spec=pinned({OS_SKU: "Ubuntu"})),
                   k8s.statefulset("data", "db", web, replicas=2, spec=pinned({OS_SKU: "Ubuntu"})))
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 1, result
    plan = by_pool(result)["web"]
    assert plan["action"] == "refused"
    assert {f["value"] for f in errors_of(plan)} == {"Deployment/shop/cart", "StatefulSet/data/db"}, plan["findings"]


def test_the_summary_of_a_refusal_ends_each_sentence_once(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("web")])
    web = k8s.pool_nodes("web", 1)
    seed_workloads(emulator, rg, cluster, {"nodes": web}, shop(web, replicas=1), cart_budget(1, min_available=1))
    result = migrate(az, rg, cluster, "--dry-run")
    assert result.code == 1, result
    summary = next(line for line in result.err.splitlines() if "would not migrate" in line)
    assert not summary.endswith(".."), summary
