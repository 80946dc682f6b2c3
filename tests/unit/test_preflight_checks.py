# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The live preflight's checks, pure: plans, pools and facts in, refusals with the numbers out."""
import json

from azext_azurelinux import _arm, migration
from azext_azurelinux.migration import preflight
from azext_azurelinux.policy import Policy


def pool(name, count=2, size="Standard_D4ds_v5", zones=None, version="1.33.5", **extra):
    props = {"osType": "Linux", "osSKU": "Ubuntu", "vmSize": size, "mode": "User", "count": count,
             "orchestratorVersion": version, **extra}
    if zones:
        props["availabilityZones"] = zones
    return {"name": name, "etag": f"e-{name}", "provisioningState": "Succeeded", "kubernetesVersion": version,
            "body": {"properties": props}}


SKUS = {"standard_d4ds_v5": {"name": "Standard_D4ds_v5", "family": "standardDDSv5Family", "vcpus": 4,
                             "zones": ["1", "2", "3"], "restrictions": []}}


def facts(family_free=100, cores_free=1000, skus=None, versions=None):
    return {"location": "eastus", "skus": SKUS if skus is None else skus, "versions": versions,
            "usages": {"standardDDSv5Family": {"current": 0, "limit": family_free},
                       "cores": {"current": 0, "limit": cores_free}}, "warnings": []}


def plan(pools, strategy=migration.IN_PLACE, max_parallel=1, roll=None, **fact_args):
    plans = migration.plan_cluster(pools, None, strategy, policy=Policy(), roll=roll)
    return preflight.apply(plans, pools, facts(**fact_args), policy=Policy(), max_parallel=max_parallel)


def test_surge_is_a_percentage_of_the_pool_rounded_up_at_least_one_node():
    [fits] = plan([pool("a", count=10)], family_free=4)  # 10% of 10 = 1 node = 4 vCPUs
    assert fits["action"] == "migrate"
    [short] = plan([pool("a", count=10)], family_free=8, roll={"maxSurge": "33%"})  # 4 nodes = 16 vCPUs
    assert short["action"] == "refused" and short["preflight"]["vcpusNeeded"] == 16
    assert short["preflight"]["vcpusFree"] == 8 and short["requests"] == []


def test_a_replacement_needs_the_whole_pool():
    [short] = plan([pool("a", count=5)], strategy=migration.NEW_POOL, family_free=16)
    assert short["action"] == "refused" and short["preflight"]["vcpusNeeded"] == 20 and "newPool" not in short


def test_parallel_pools_add_up_to_max_parallel():
    pools = [pool("a"), pool("b"), pool("c")]
    assert [p["action"] for p in plan(pools, max_parallel=2, family_free=8)] == ["migrate"] * 3
    assert [p["action"] for p in plan(pools, max_parallel=3, family_free=8)] == ["refused"] * 3


def test_sizes_zones_and_versions():
    unknown = plan([pool("a", size="Standard_Q2_v9")])[0]
    assert unknown["action"] == "refused" and "not offered in eastus" in unknown["reason"]
    restricted = dict(SKUS["standard_d4ds_v5"], restrictions=[{"type": "Zone", "zones": ["3"],
                                                               "reasonCode": "NotAvailableForSubscription"}])
    skus = {"standard_d4ds_v5": restricted}
    assert plan([pool("a", zones=["1", "2"])], skus=skus)[0]["action"] == "migrate"
    assert "zone(s) 3" in plan([pool("a", zones=["3"])], skus=skus)[0]["reason"]
    versions = {"1.34": ["1.34.2"]}
    old = plan([pool("a")], strategy=migration.NEW_POOL, versions=versions)[0]
    assert old["action"] == "refused" and "Kubernetes 1.33.5 is no longer offered" in old["reason"]
    assert plan([pool("a")], versions=versions)[0]["action"] == "migrate"  # in place keeps the version


def test_facts_that_could_not_be_read_are_not_checked():
    plans = migration.plan_cluster([pool("a", count=100)], None, migration.NEW_POOL, policy=Policy())
    blind = {"location": "eastus", "skus": None, "usages": None, "versions": None, "warnings": []}
    assert preflight.apply(plans, [pool("a", count=100)], blind, policy=Policy())[0]["action"] == "migrate"


def test_read_facts_reads_each_once_keeps_the_sku_list_a_day_and_warns_on_403(tmp_path):
    calls = []

    def get_json(path, params):
        calls.append(path.rsplit("/", 1)[-1])
        if path.endswith("/usages"):
            raise _arm.Forbidden()
        if path.endswith("/skus"):
            return {"value": [{"resourceType": "virtualMachines", "name": "Standard_D4ds_v5", "family": "f",
                               "capabilities": [{"name": "vCPUs", "value": "4"}],
                               "locationInfo": [{"zones": ["1"]}], "restrictions": []},
                              {"resourceType": "disks", "name": "Premium_LRS"}]}
        return {"values": [{"version": "1.33", "patchVersions": {"1.33.5": {}}}]}
    first = preflight.read_facts(get_json, "sub", "eastus", True, cache_dir=str(tmp_path), now=1000.0)
    assert sorted(calls) == ["kubernetesVersions", "skus", "usages"] and first["usages"] is None  # read together
    assert "lacks Microsoft.Compute/locations/usages/read" in first["warnings"][0]
    assert first["skus"] == {"standard_d4ds_v5": {"name": "Standard_D4ds_v5", "family": "f", "vcpus": 4,
                                                  "hyperVGenerations": None, "zones": ["1"], "restrictions": []}}
    assert first["versions"] == {"1.33": ["1.33.5"]}
    cached = json.loads((tmp_path / "skus-sub-eastus.json").read_text())
    assert cached == first["skus"]
    calls.clear()
    import os
    mtime = os.path.getmtime(tmp_path / "skus-sub-eastus.json")
    again = preflight.read_facts(get_json, "sub", "eastus", False, cache_dir=str(tmp_path), now=mtime + 3600)
    assert calls == ["usages"] and again["skusCached"] and again["skus"] == first["skus"]
    calls.clear()
    preflight.read_facts(get_json, "sub", "eastus", False, cache_dir=str(tmp_path), now=mtime + 25 * 3600)
    assert sorted(calls) == ["skus", "usages"]  # a day later the list is read again
