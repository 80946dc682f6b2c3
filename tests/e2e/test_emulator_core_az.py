# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The emulator is faithful: the core CLI's own `az group` and `az aks` commands work against it."""
from tests.e2e.conftest import arm_requests, secret_free


def test_group_create_show_list_delete(az, emulator):
    name = "rg-core-groups"
    created = az.ok("group", "create", "-n", name, "-l", "westeurope").json
    assert created["name"] == name and created["location"] == "westeurope"
    assert created["properties"]["provisioningState"] == "Succeeded"
    assert az.ok("group", "show", "-n", name).json["id"].endswith(f"/resourceGroups/{name}")
    assert name in [g["name"] for g in az.ok("group", "list").json]
    az.ok("group", "delete", "-n", name, "--yes")
    missing = az("group", "show", "-n", name)
    assert missing.code == 3 and "ResourceGroupNotFound" in missing.err


def test_core_aks_lifecycle_with_azure_linux(az, emulator, rg):
    cluster = az.ok("aks", "create", "-g", rg, "-n", "core1", "--os-sku", "AzureLinux", "--node-count", "2",
                    "--no-ssh-key").json
    assert cluster["provisioningState"] == "Succeeded"
    assert cluster["agentPoolProfiles"][0]["osSku"] == "AzureLinux"
    assert cluster["agentPoolProfiles"][0]["count"] == 2
    shown = az.ok("aks", "show", "-g", rg, "-n", "core1").json
    assert shown["fqdn"].endswith(".azmk8s.io") and shown["kubernetesVersion"]

    added = az.ok("aks", "nodepool", "add", "-g", rg, "--cluster-name", "core1", "-n", "ubuntu1",
                  "--node-count", "1", "--os-sku", "Ubuntu").json
    assert added["osSku"] == "Ubuntu" and added["provisioningState"] == "Succeeded"
    # the pool shows on the cluster too: agent pools and agentPoolProfiles stay consistent
    profiles = az.ok("aks", "show", "-g", rg, "-n", "core1").json["agentPoolProfiles"]
    assert sorted(p["name"] for p in profiles) == ["nodepool1", "ubuntu1"]

    emulator.clear_requests()
    updated = az.ok("aks", "nodepool", "update", "-g", rg, "--cluster-name", "core1", "-n", "ubuntu1",
                    "--os-sku", "AzureLinux").json
    assert updated["osSku"] == "AzureLinux"
    put = [e for e in arm_requests(emulator, mutating_only=True)]
    assert [e["method"] for e in put] == ["PUT"] and put[0]["body"]["properties"]["osSKU"] == "AzureLinux"

    listed = az.ok("aks", "nodepool", "list", "-g", rg, "--cluster-name", "core1").json
    assert {p["name"]: p["osSku"] for p in listed} == {"nodepool1": "AzureLinux", "ubuntu1": "AzureLinux"}

    az.ok("aks", "nodepool", "delete", "-g", rg, "--cluster-name", "core1", "-n", "ubuntu1")
    listed = az.ok("aks", "nodepool", "list", "-g", rg, "--cluster-name", "core1").json
    assert [p["name"] for p in listed] == ["nodepool1"]


def test_core_nodepool_add_sends_four_requests(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    result = az.ok("aks", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "np2", "--os-sku", "AzureLinux")
    assert result.json["osSku"] == "AzureLinux"
    # list the pools, PUT, poll the operation, final GET
    assert [e["method"] for e in arm_requests(emulator)] == ["GET", "PUT", "GET", "GET"]


def test_service_refusals_are_clean_cli_errors(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    upper = az("aks", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "UpperCase")
    assert upper.code == 1 and "(InvalidParameter)" in upper.err and "agentPoolProfile.name" in upper.err
    assert "Traceback" not in upper.err
    too_many = az("aks", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "big", "--node-count", "1001")
    assert too_many.code == 1 and "InvalidParameter" in too_many.err and "0 to 1000" in too_many.err
    last = az("aks", "nodepool", "delete", "-g", rg, "--cluster-name", cluster, "-n", "system")
    assert last.code == 1 and "There has to be at least one system agent pool." in last.err
    assert "Traceback" not in too_many.err + last.err
    assert secret_free(upper) and secret_free(last)
    # nothing was changed by the refused requests
    pools = az.ok("aks", "nodepool", "list", "-g", rg, "--cluster-name", cluster).json
    assert [(p["name"], p["provisioningState"]) for p in pools] == [("system", "Succeeded")]


def test_core_aks_show_of_missing_cluster_exits_3(az, rg):
    result = az("aks", "show", "-g", rg, "-n", "nothere")
    assert result.code == 3
    assert "(ResourceNotFound)" in result.err and "managedClusters/nothere" in result.err


def test_core_az_retries_a_throttled_request(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    emulator.fault("throttle", path=r"/agentPools/np3$", method="PUT", retry_after=1)
    result = az.ok("aks", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "np3")
    assert result.json["provisioningState"] == "Succeeded"
    puts = [e for e in arm_requests(emulator) if e["method"] == "PUT"]
    assert [e["status"] for e in puts] == [429, 201] and puts[0]["fault"] == "throttle"
    assert puts[1]["start"] - puts[0]["end"] >= 0.9  # Retry-After: 1 was honoured


def test_core_az_retries_a_dropped_connection(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    emulator.fault("drop", path=r"/agentPools/np5$", method="PUT")
    result = az.ok("aks", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "np5")
    assert result.json["provisioningState"] == "Succeeded"
    puts = [e for e in arm_requests(emulator) if e["method"] == "PUT"]
    assert [e["status"] for e in puts] == ["dropped", 201]


def test_core_az_reports_an_operation_that_ends_failed(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    emulator.fault("fail_operation", path=r"/agentPools/np4$")
    result = az("aks", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "np4")
    assert result.code == 1 and "InternalOperationError" in result.err and "Traceback" not in result.err
    pool = emulator.arm("GET", f"/subscriptions/{_sub()}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
                               f"managedClusters/{cluster}/agentPools/np4").json()
    assert pool["properties"]["provisioningState"] == "Failed"


def _sub():
    from tests.emulator.store import SUBSCRIPTION_ID
    return SUBSCRIPTION_ID
