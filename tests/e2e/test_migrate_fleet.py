# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Migrating a fleet: waves from ids, from the inventory's JSON and from Fleet Manager stages; the failure budget;
a rerun after an interrupted rollout; throttling; --dry-run sending nothing."""
import json
import signal
import subprocess
import time

from tests.e2e.conftest import arm_requests, pool_props, pool_spec
from tests.e2e.test_resume import wait_for_request
from tests.emulator.store import SUBSCRIPTION_ID

SYSTEM = pool_spec("system", mode="System", os_sku="AzureLinux")


def cluster_ids(rg, names):
    return [f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
            f"managedClusters/{n}" for n in names]


def seed_clusters(seed_cluster, names, pools=2):
    for name in names:
        seed_cluster([SYSTEM] + [pool_spec(f"u{i}") for i in range(pools)], name=name)
    return names


def upgrades(emulator, rg):
    return [o for o in emulator.operations() if o["resourceGroup"] == rg and o["pool"] and o["kind"] == "upgrade"]


def fleet(az, *args):
    return az("aks", "azurelinux", "migrate-fleet", *args)


def test_waves_from_ids_run_in_order(az, emulator, rg, seed_cluster):
    names = seed_clusters(seed_cluster, ["f1", "f2", "f3", "f4"])
    emulator.configure(operationSeconds=1)
    result = fleet(az, "--clusters", *cluster_ids(rg, names), "--waves", "canary=1", "rest=*",
                   "--max-parallel-clusters", "3", "--yes", "--skip-preflight")
    assert result.code == 0, result
    report = result.json
    assert [(w["name"], len(w["clusters"])) for w in report["waves"]] == [("canary", 1), ("rest", 3)]
    assert [(c["cluster"].rsplit("/", 1)[-1], c["wave"], c["outcome"]) for c in report["clusters"]] == [
        ("f1", "canary", "succeeded"), ("f2", "rest", "succeeded"), ("f3", "rest", "succeeded"),
        ("f4", "rest", "succeeded")]
    ops = upgrades(emulator, rg)
    canary_end = max(o["endEpoch"] for o in ops if o["cluster"] == "f1")
    assert all(o["startEpoch"] >= canary_end for o in ops if o["cluster"] != "f1")  # the canary first
    assert "4 cluster(s): 4 succeeded" in result.err
    for name in names:  # clusters run side by side, so each progress line says whose pool it is about
        assert f"{rg}/{name}: u0: done" in result.err and f"{rg}/{name}: u1: changing the OS SKU" in result.err
    assert "\nu0: done" not in result.err
    table = fleet(az, "--clusters", *cluster_ids(rg, names), "--yes", "-o", "table")
    assert table.code == 0 and table.out.splitlines()[0].split()[:4] == ["Wave", "Cluster", "ResourceGroup", "Outcome"]
    assert "nothing-to-do" in table.out  # a rerun skips what is done


def test_waves_from_the_inventorys_json(az, emulator, rg, seed_cluster, tmp_path):
    names = seed_clusters(seed_cluster, ["i1", "i2"])
    rows = [r for r in az.ok("aks", "azurelinux", "inventory", "--subscriptions", SUBSCRIPTION_ID, "--source",
                             "arm").json if r["resourceGroup"] == rg]
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(rows))
    result = fleet(az, "--clusters-file", str(path), "--yes")
    assert result.code == 0, result
    assert sorted(c["cluster"].rsplit("/", 1)[-1] for c in result.json["clusters"]) == names
    assert all(pool_props(emulator, rg, n, "u0")["osSKU"] == "AzureLinux" for n in names)


def test_waves_from_fleet_manager_stages(az, emulator, rg, seed_cluster):
    names = seed_clusters(seed_cluster, ["m1", "m2", "m3"], pools=1)
    ids = cluster_ids(rg, names)
    emulator.admin("POST", "fleetmanager", {
        "resourceGroup": rg, "name": "fleet1",
        "members": [{"name": n, "clusterResourceId": i, "group": g} for n, i, g in zip(names, ids, ["a", "b", "b"])],
        "updateStrategies": [{"name": "safe", "stages": [
            {"name": "first", "groups": [{"name": "a"}], "afterStageWaitInSeconds": 2},
            {"name": "second", "groups": [{"name": "b"}]}]}]})
    fleet_id = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.ContainerService/fleets/fleet1"
    plan = fleet(az, "--fleet-id", fleet_id, "--update-strategy", "safe", "--dry-run")
    assert plan.code == 0, plan
    assert [(w["name"], len(w["clusters"]), w["waitAfter"]) for w in plan.json["waves"]] == [
        ("first", 1, 2), ("second", 2, None)]
    assert arm_requests(emulator, mutating_only=True) == []
    result = fleet(az, "--fleet-id", fleet_id, "--update-strategy", "safe", "--yes")
    assert result.code == 0, result
    ops = upgrades(emulator, rg)
    first_end = max(o["endEpoch"] for o in ops if o["cluster"] == "m1")
    assert all(o["startEpoch"] - first_end >= 1.9 for o in ops if o["cluster"] != "m1")  # the stage's wait
    assert "waiting 2 s before wave second" in result.err


def test_the_failure_budget_stops_the_rollout(az, emulator, rg, seed_cluster):
    names = seed_clusters(seed_cluster, ["b1", "b2", "b3", "b4"], pools=1)
    emulator.fault("fail_operation", path=r"/managedClusters/b2/agentPools/u0$", method="PUT")
    result = fleet(az, "--clusters", *cluster_ids(rg, names), "--max-parallel-clusters", "1", "--yes",
                   "--skip-preflight")
    assert result.code == 1
    assert [c["outcome"] for c in result.json["clusters"]] == ["succeeded", "failed", "not-started", "not-started"]
    assert "--max-failed-clusters 0" in result.json["clusters"][2]["reason"]
    assert pool_props(emulator, rg, "b3", "u0")["osSKU"] == "Ubuntu"
    tolerant = fleet(az, "--clusters", *cluster_ids(rg, names), "--max-failed-clusters", "1", "--yes")
    assert tolerant.code == 0, tolerant  # b2 is retried and goes through now


def test_a_rerun_resumes_an_interrupted_rollout(az, emulator, rg, seed_cluster):
    names = seed_clusters(seed_cluster, ["r1", "r2"], pools=1)
    emulator.configure(operationSeconds=4)
    args = ["aks", "azurelinux", "migrate-fleet", "--clusters", *cluster_ids(rg, names), "--strategy", "new-pool",
            "--max-parallel-clusters", "1", "--yes", "--skip-preflight"]
    process = subprocess.Popen([az.executable, *args], env=az.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    wait_for_request(emulator, "PUT", "/managedClusters/r1/agentPools/u0al")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err, err
    outcomes = [c["outcome"] for c in json.loads(out)["clusters"]]
    assert outcomes == ["interrupted", "not-started"] and "To resume" in err
    again = az(*args)
    assert again.code == 0, again
    assert [c["outcome"] for c in again.json["clusters"]] == ["succeeded", "succeeded"]
    creates = [e for e in arm_requests(emulator) if e["method"] == "PUT" and e["path"].endswith("/u0al")
               and e["status"] == 201]
    assert len(creates) == 2  # one replacement a cluster, never a second


def test_throttling_is_waited_out_and_a_missing_cluster_is_a_failed_cluster(az, emulator, rg, seed_cluster):
    names = seed_clusters(seed_cluster, ["t1"], pools=1)
    emulator.fault("throttle", path=r"/managedClusters/t1/agentPools/u0$", method="PUT", retry_after=1)
    result = fleet(az, "--clusters", *cluster_ids(rg, names + ["ghost"]), "--max-failed-clusters", "1", "--yes")
    assert result.code == 1
    outcomes = {c["cluster"].rsplit("/", 1)[-1]: c for c in result.json["clusters"]}
    assert outcomes["t1"]["outcome"] == "succeeded"
    assert outcomes["ghost"]["outcome"] == "failed" and "does not exist" in outcomes["ghost"]["error"]
    assert "Traceback" not in result.err


def test_dry_run_and_bad_input_send_nothing(az, emulator, rg, seed_cluster):
    names = seed_clusters(seed_cluster, ["d1", "d2"], pools=1)
    emulator.clear_requests()
    plan = fleet(az, "--clusters", *cluster_ids(rg, names), "--waves", "one=1", "two=*", "--dry-run")
    assert plan.code == 0 and [c["outcome"] for c in plan.json["clusters"]] == ["planned", "planned"]
    assert {p["pool"]: p["action"] for p in plan.json["clusters"][0]["pools"]}["u0"] == "migrate"
    for args, message in ((["--waves", "a=*", "b=1"], "only the last wave"),
                          (["--wait-between", "soon"], "is not a duration"),
                          (["--max-parallel-clusters", "0"], "is too small"),
                          (["--update-strategy", "x"], "--update-strategy belongs to a fleet")):
        bad = fleet(az, "--clusters", *cluster_ids(rg, names), "--yes", *args)
        assert bad.code != 0 and message in bad.err, bad
    bad_id = fleet(az, "--clusters", "c1", "--yes")
    assert bad_id.code != 0 and "is not a managed cluster resource id" in bad_id.err
    assert arm_requests(emulator, mutating_only=True) == []


def test_a_wave_of_nothing_and_waves_that_leave_clusters_out_are_refused_before_any_request(az, emulator, rg,
                                                                                            seed_cluster):
    names = seed_clusters(seed_cluster, ["z1", "z2", "z3"], pools=1)
    emulator.clear_requests()
    empty = fleet(az, "--clusters", *cluster_ids(rg, names), "--waves", "a=0", "rest=*", "--yes")
    assert empty.code == 2 and "--waves a=0: a wave of no cluster moves nothing" in empty.err, empty
    short = fleet(az, "--clusters", *cluster_ids(rg, names), "--waves", "canary=1", "early=1", "--yes")
    assert short.code == 2, short
    assert "hold 2 of the 3 clusters, so 1 would be in no wave" in short.err and "rest=*" in short.err
    assert "Traceback" not in empty.err + short.err
    assert arm_requests(emulator) == []  # nothing read, nothing sent
