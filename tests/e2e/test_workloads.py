# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Workloads in the plan: each cluster's Kubernetes API (the emulator's, one per cluster) read before the first
write, and the pools whose drain would fail, or whose workloads the new OS would strand, refused with the reason."""
from tests.e2e.conftest import arm_requests, pool_spec
from tests.emulator import kube_objects as k8s

SYSTEM = pool_spec("system", mode="System", os_sku="AzureLinux")


def seed_workloads(emulator, rg, cluster, *families, **settings):
    seed = dict(k8s.merge(*families), resourceGroup=rg, name=cluster, **settings)
    emulator.admin("POST", "kube", seed)


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
