# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Migration to Azure Linux, end to end: every setting kept, the old pool safe at every step, plans first."""
import pytest

from tests.e2e.conftest import arm_requests, pool_props, pool_spec
from tests.emulator.store import SUBSCRIPTION_ID

VOLATILE = {"osSKU", "nodeImageVersion", "eTag", "provisioningState", "tags"}
IN_PLACE_RECORD = {"azurelinux-migration-strategy": "in-place", "azurelinux-migration-from-os-sku": "Ubuntu"}

RICH = dict(
    count=3, enableAutoScaling=True, minCount=2, maxCount=6, availabilityZones=["1", "2"], maxPods=60,
    nodeLabels={"team": "data", "tier": "batch"}, nodeTaints=["dedicated=data:NoSchedule"], tags={"cost": "data"},
    osDiskSizeGB=200, kubeletConfig={"cpuManagerPolicy": "static", "imageGcHighThreshold": 85},
    linuxOSConfig={"sysctls": {"netCoreSomaxconn": 4096}, "transparentHugePageEnabled": "madvise"},
    upgradeSettings={"maxSurge": "33%", "drainTimeoutInMinutes": 20},
    vnetSubnetID=f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/net/providers/Microsoft.Network/"
                 "virtualNetworks/vnet/subnets/nodes",
    enableFIPS=False, securityProfile={"enableSecureBoot": True, "enableVTPM": True},
    scaleSetPriority="Regular", enableEncryptionAtHost=True)


def stable(properties):
    return {k: v for k, v in properties.items() if k not in VOLATILE}


def writes(emulator):
    return [(e["method"], e["path"].rsplit("/", 1)[-1], e["status"]) for e in arm_requests(emulator, True)]


def migrate(az, rg, cluster, pool, *args):
    return az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", pool, *args)


# ---- one pool, in place --------------------------------------------------------------------
def test_in_place_changes_the_os_sku_and_nothing_else(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("data", **RICH)])
    before = pool_props(emulator, rg, cluster, "data")
    emulator.clear_requests()
    result = migrate(az, rg, cluster, "data", "--yes")
    log = [e for e in arm_requests(emulator) if "/providers/Microsoft.Compute/" not in e["path"]]  # but preflight
    assert result.code == 0, result
    report = result.json
    assert (report["pool"], report["strategy"], report["osSkuBefore"], report["osSkuAfter"], report["outcome"]) == \
        ("data", "in-place", "Ubuntu", "AzureLinux", "succeeded")
    after = pool_props(emulator, rg, cluster, "data")
    assert after["osSKU"] == "AzureLinux" and stable(after) == stable(before)
    assert after["tags"] == dict(before["tags"], **IN_PLACE_RECORD)  # the user's tags, and the record
    # the cluster, its user credential (the workload check reads the cluster's Kubernetes API), PUT, poll: no final
    # read, the plan reports
    assert [e["method"] for e in log] == ["GET", "POST", "PUT", "GET"]
    assert log[1]["path"].endswith("/listClusterUserCredential")
    put = log[2]
    assert put["headers"]["If-Match"] == f'"{before["eTag"]}"'
    sent = put["body"]["properties"]
    assert sent["osSKU"] == "AzureLinux" and "nodeImageVersion" not in sent  # the image follows the OS SKU
    assert sent["tags"] == dict(before["tags"], **IN_PLACE_RECORD)  # the record rides in the same PUT
    assert {k: v for k, v in sent.items() if k not in ("osSKU", "tags")} == \
        {k: v for k, v in stable(before).items() if k in sent and k != "osSKU"}
    assert "changing the OS SKU from Ubuntu to AzureLinux" in result.err


def test_running_twice_is_a_no_op_the_second_time(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("twice")])
    az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "twice", "--yes")
    emulator.clear_requests()
    again = migrate(az, rg, cluster, "twice", "--yes")
    assert again.code == 0 and again.json["outcome"] == "nothing-to-do"
    assert "twice: nothing to do: already on AzureLinux (Azure Linux 3.0)" in again.err
    assert writes(emulator) == []


def test_dry_run_prints_the_plan_with_exact_bodies_and_sends_nothing(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("dry", **RICH)])
    before = pool_props(emulator, rg, cluster, "dry")
    plan = az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "dry",
                 "--strategy", "new-pool", "--dry-run").json
    assert plan["outcome"] == "planned" and plan["newPool"] == "dryal"
    create, delete = plan["requests"]
    assert (create["method"], create["pool"], create["headers"]) == ("PUT", "dryal", {"If-None-Match": "*"})
    assert stable(create["body"]["properties"]) == {k: v for k, v in stable(before).items()
                                                    if k in create["body"]["properties"]}
    assert create["body"]["properties"]["tags"] == dict(before["tags"], **{
        "azurelinux-migration-strategy": "new-pool", "azurelinux-migration-from-os-sku": "Ubuntu",
        "azurelinux-migration-replaces": "dry", "azurelinux-migration-replaces-etag": before["eTag"]})
    assert create["body"]["properties"]["osSKU"] == "AzureLinux"
    assert (delete["method"], delete["pool"], delete["headers"]) == ("DELETE", "dry", {"If-Match": f'"{before["eTag"]}"'})
    assert writes(emulator) == []


def test_without_yes_and_without_a_terminal_nothing_is_sent(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("ask")])
    result = migrate(az, rg, cluster, "ask")
    assert result.code == 1 and "run it again with --yes" in result.err and "Nothing was changed" in result.err
    assert writes(emulator) == []
    assert pool_props(emulator, rg, cluster, "ask")["osSKU"] == "Ubuntu"


@pytest.mark.parametrize("pool,message", [
    (pool_spec("win", os_sku="Windows2022"), "only Linux pools can move to Azure Linux"),
    (pool_spec("a100", vm_size="Standard_NC24ads_A100_v4"), "(NC A100 v4 series)"),
    (pool_spec("ndgpu", vm_size="Standard_ND96asr_v4"), "outside the supported list"),
])
def test_refused_sources_send_nothing(az, emulator, rg, seed_cluster, pool, message):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool])
    result = migrate(az, rg, cluster, pool["name"], "--yes")
    assert result.code == 1 and message in result.err and f"--name {pool['name']} cannot move" in result.err
    assert "Traceback" not in result.err
    assert writes(emulator) == []


def test_target_version_rules_apply(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("old")], kubernetes_version="1.27.9")
    result = migrate(az, rg, cluster, "old", "--os-sku", "AzureLinux3", "--yes")
    assert result.code == 1 and "outside the Kubernetes versions AzureLinux3 runs on" in result.err
    assert writes(emulator) == []


def test_missing_pool_and_bad_arguments(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    missing = migrate(az, rg, cluster, "nothere", "--yes")
    assert missing.code == 3 and "has no node pool of that name" in missing.err
    for args, message in ((["--strategy", "sideways"], "sideways"),
                          (["--new-name", "x1"], "--new-name goes with --strategy new-pool"),
                          (["--strategy", "new-pool", "--new-name", "Bad"], "--new-name 'Bad' is not a valid"),
                          (["--os-sku", "Ubuntu"], "--os-sku Ubuntu is not an Azure Linux OS SKU")):
        result = migrate(az, rg, cluster, "system", *args)
        assert result.code != 0 and message in result.err, result
    assert writes(emulator) == []


# ---- one pool, through a new pool ----------------------------------------------------------
def test_new_pool_clones_every_setting_and_deletes_the_old_pool_after_success(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("data", **RICH)])
    emulator.configure(operationSeconds=1)
    before = pool_props(emulator, rg, cluster, "data")
    result = migrate(az, rg, cluster, "data", "--strategy", "new-pool", "--new-name", "dataal3", "--os-sku",
                     "AzureLinux3", "--yes")
    assert result.code == 0, result
    assert result.json["outcome"] == "succeeded" and result.json["newPool"] == "dataal3"
    assert pool_props(emulator, rg, cluster, "data") is None
    new = pool_props(emulator, rg, cluster, "dataal3")
    assert new["osSKU"] == "AzureLinux3" and stable(new) == stable(before)
    assert new["tags"]["cost"] == "data" and new["tags"]["azurelinux-migration-replaces"] == "data"
    assert [(m, p) for m, p, _ in writes(emulator)] == [("PUT", "dataal3"), ("DELETE", "data")]
    # the old pool was deleted only after its replacement's operation had Succeeded
    operations = {(o["pool"], o["kind"]): o for o in emulator.operations() if o["resourceGroup"] == rg}
    created = operations[("dataal3", "create")]
    delete_request = next(e for e in arm_requests(emulator) if e["method"] == "DELETE")
    assert created["status"] == "Succeeded" and created["endEpoch"] <= delete_request["start"]


def test_new_pool_of_the_only_system_pool_is_system_too(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("sys", mode="System")])
    result = migrate(az, rg, cluster, "sys", "--strategy", "new-pool", "--yes")
    assert result.code == 0, result
    assert pool_props(emulator, rg, cluster, "sysal")["mode"] == "System"
    assert pool_props(emulator, rg, cluster, "sys") is None


def test_new_pool_name_is_derived_and_free(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("longpoolname"), pool_spec("longpoolnaal")])
    plan = az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n",
                 "longpoolname", "--strategy", "new-pool", "--dry-run").json
    assert plan["newPool"] == "longpoolnal2"  # "longpoolnaal" is taken
    taken = migrate(az, rg, cluster, "longpoolname", "--strategy", "new-pool", "--new-name", "system", "--yes")
    assert taken.code == 1 and "already has a pool of that name" in taken.err


# ---- failures at each step leave the old pool untouched -----------------------------------
def test_in_place_refused_by_the_service_leaves_the_pool_unchanged(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("flaky")])
    before = pool_props(emulator, rg, cluster, "flaky")
    emulator.fault("error", path=r"/agentPools/flaky$", method="PUT", count=4)  # more than the CLI's 3 retries
    result = migrate(az, rg, cluster, "flaky", "--yes")
    assert result.code == 1 and result.json["outcome"] == "failed"
    assert "flaky is unchanged" in result.json["left"] and "InternalServerError" in result.err
    assert pool_props(emulator, rg, cluster, "flaky") == before


def test_in_place_operation_failure_is_reported_with_the_way_back(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("fails")])
    emulator.fault("fail_operation", path=r"/agentPools/fails$")
    result = migrate(az, rg, cluster, "fails", "--yes")
    assert result.code == 1 and result.json["outcome"] == "failed"
    assert f"roll back to Ubuntu with `az aks azurelinux nodepool rollback -g {rg} --cluster-name {cluster} -n fails`" \
        in result.json["left"]


def test_new_pool_create_refused_leaves_the_old_pool_and_no_new_pool(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("keep")])
    before = pool_props(emulator, rg, cluster, "keep")
    emulator.fault("error", path=r"/agentPools/keepal$", method="PUT", count=4)
    result = migrate(az, rg, cluster, "keep", "--strategy", "new-pool", "--yes")
    assert result.code == 1 and result.json["outcome"] == "failed"
    assert result.json["left"] == "keep is unchanged; no replacement pool was created"
    assert pool_props(emulator, rg, cluster, "keep") == before and pool_props(emulator, rg, cluster, "keepal") is None
    assert all(method == "PUT" for method, _, _ in writes(emulator))


def test_new_pool_whose_creation_fails_is_removed_and_the_old_pool_untouched(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("keep")])
    before = pool_props(emulator, rg, cluster, "keep")
    emulator.fault("fail_operation", path=r"/agentPools/keepal$", method="PUT")
    result = migrate(az, rg, cluster, "keep", "--strategy", "new-pool", "--yes")
    assert result.code == 1
    assert result.json["left"] == "keep is unchanged; the failed replacement pool keepal was removed"
    assert pool_props(emulator, rg, cluster, "keep") == before and pool_props(emulator, rg, cluster, "keepal") is None
    assert [(m, p) for m, p, _ in writes(emulator)] == [("PUT", "keepal"), ("DELETE", "keepal")]


def test_failed_delete_of_the_old_pool_leaves_both_and_says_so(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("both")])
    emulator.fault("fail_operation", path=r"/agentPools/both$", method="DELETE")
    result = migrate(az, rg, cluster, "both", "--strategy", "new-pool", "--yes")
    assert result.code == 1
    assert "both pools remain: bothal on AzureLinux and both on Ubuntu" in result.json["left"]
    assert pool_props(emulator, rg, cluster, "bothal")["provisioningState"] == "Succeeded"
    assert pool_props(emulator, rg, cluster, "both") is not None


def test_a_409_is_waited_out_and_retried(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("busy")])
    emulator.fault("conflict", path=r"/agentPools/busy$", method="PUT", count=2)
    result = migrate(az, rg, cluster, "busy", "--yes")
    assert result.code == 0 and result.json["outcome"] == "succeeded", result
    assert "another operation is in progress; retrying" in result.err
    assert [s for m, p, s in writes(emulator)] == [409, 409, 200]


# ---- a whole cluster ----------------------------------------------------------------------
MIXED = [pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("web"), pool_spec("api"),
         pool_spec("win", os_sku="Windows2022"), pool_spec("gpu", vm_size="Standard_NC24ads_A100_v4")]


def cluster_migrate(az, rg, cluster, *args):
    return az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, *args)


def test_cluster_plan_dry_run_as_table_and_json(az, emulator, rg, seed_cluster):
    cluster = seed_cluster(MIXED)
    plan = cluster_migrate(az, rg, cluster, "--dry-run")
    assert plan.code == 0
    actions = {p["pool"]: (p["action"], p["outcome"]) for p in plan.json["pools"]}
    assert actions == {"system": ("nothing-to-do", "nothing-to-do"), "web": ("migrate", "planned"),
                       "api": ("migrate", "planned"), "win": ("refused", "refused"), "gpu": ("refused", "refused")}
    assert "2 of 5 pool(s) to migrate" in plan.err
    table = cluster_migrate(az, rg, cluster, "--dry-run", "-o", "table").out.splitlines()
    assert table[0].split()[:4] == ["Pool", "Action", "Strategy", "From"]
    assert any(line.startswith("gpu") and "refused" in line and "NC A100 v4" in line for line in table)
    assert writes(emulator) == []


def test_cluster_migration_runs_the_plan_and_reports_every_pool(az, emulator, rg, seed_cluster):
    cluster = seed_cluster(MIXED)
    result = cluster_migrate(az, rg, cluster, "--yes")
    assert result.code == 0, result
    outcomes = {p["pool"]: p["outcome"] for p in result.json["pools"]}
    assert outcomes == {"system": "nothing-to-do", "web": "succeeded", "api": "succeeded", "win": "refused",
                        "gpu": "refused"}
    assert all("seconds" in p for p in result.json["pools"])
    assert sorted(p for _, p, _ in writes(emulator)) == ["api", "web"]
    assert pool_props(emulator, rg, cluster, "win")["osSKU"] == "Windows2022"
    again = cluster_migrate(az, rg, cluster, "--yes")
    assert again.code == 0 and {p["outcome"] for p in again.json["pools"]} == {"nothing-to-do", "refused"}


def overlap(operations):
    """The most operations that ran at the same time."""
    edges = sorted([(o["startEpoch"], 1) for o in operations] + [(o["endEpoch"], -1) for o in operations])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


@pytest.mark.parametrize("max_parallel", [1, 3])
def test_cluster_migration_respects_max_parallel(az, emulator, rg, seed_cluster, max_parallel):
    pools = [pool_spec("system", mode="System", os_sku="AzureLinux")] + [pool_spec(f"u{i}") for i in range(6)]
    cluster = seed_cluster(pools)
    emulator.configure(operationSeconds=2)  # long enough that a busy machine still starts the workers together
    result = cluster_migrate(az, rg, cluster, "--max-parallel", str(max_parallel), "--yes")
    assert result.code == 0, result
    ops = [o for o in emulator.operations() if o["resourceGroup"] == rg and o["kind"] == "upgrade"]
    assert len(ops) == 6 and overlap(ops) == max_parallel


def test_cluster_migration_survives_409s(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("p1"),
                            pool_spec("p2")])
    emulator.fault("conflict", path=r"/agentPools/p[12]$", method="PUT", count=3)
    result = cluster_migrate(az, rg, cluster, "--yes")
    assert result.code == 0, result
    assert {p["pool"]: p["outcome"] for p in result.json["pools"]}["p1"] == "succeeded"
    assert [s for _, _, s in writes(emulator)].count(409) == 3


def test_after_a_failure_no_new_pool_starts(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux")] +
                           [pool_spec(f"q{i}") for i in range(4)])
    emulator.fault("fail_operation", path=r"/agentPools/q1$")
    result = cluster_migrate(az, rg, cluster, "--max-parallel", "1", "--yes")
    assert result.code == 1
    outcomes = {p["pool"]: p["outcome"] for p in result.json["pools"]}
    assert outcomes == {"system": "nothing-to-do", "q0": "succeeded", "q1": "failed", "q2": "not-started",
                        "q3": "not-started"}
    assert "3 pool(s) did not migrate" in result.err
    assert sorted(p for _, p, _ in writes(emulator)) == ["q0", "q1"]


def test_continue_on_error_goes_on(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux")] +
                           [pool_spec(f"r{i}") for i in range(3)])
    emulator.fault("fail_operation", path=r"/agentPools/r0$")
    result = cluster_migrate(az, rg, cluster, "--max-parallel", "1", "--continue-on-error", "--yes")
    assert result.code == 1
    assert {p["pool"]: p["outcome"] for p in result.json["pools"]} == {
        "system": "nothing-to-do", "r0": "failed", "r1": "succeeded", "r2": "succeeded"}


def test_cluster_migration_refusals(az, emulator, rg, seed_cluster):
    cluster = seed_cluster(MIXED)
    zero = cluster_migrate(az, rg, cluster, "--max-parallel", "0", "--yes")
    assert zero.code == 1 and "--max-parallel 0 is too small" in zero.err
    missing = cluster_migrate(az, rg, "nocluster", "--yes")
    assert missing.code == 3 and "does not exist" in missing.err
    unconfirmed = cluster_migrate(az, rg, cluster)
    assert unconfirmed.code == 1 and "--yes" in unconfirmed.err
    assert writes(emulator) == []
