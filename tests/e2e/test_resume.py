# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Migrations that survive real runs: interrupted and run again, two at once, polls lost, and rollback.

What a migration is doing lives on the pools (agent pool tags), so a real `az` process is
stopped mid-operation (SIGINT, SIGTERM), and the same command run again (as it would be from
another machine: nothing is kept locally) resumes; two runs started together never double a pool.
"""
import json
import signal
import subprocess
import time

import pytest

from tests.e2e.conftest import arm_requests, pool_props, pool_spec, resource_path

SYSTEM = pool_spec("system", mode="System", os_sku="AzureLinux")


def start(az, *args):
    return subprocess.Popen([az.executable, *args], env=az.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_for_request(emulator, method, path_end, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(e["method"] == method and e["path"].endswith(path_end) and e.get("status") in (200, 201, 202)
               for e in emulator.requests()):
            return
        time.sleep(0.1)
    raise AssertionError(f"no {method} ...{path_end} was sent")


def interrupt(process, sig):
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def created(emulator, pool):
    """The PUTs that created `pool` (201), across every run."""
    return [e for e in arm_requests(emulator) if e["method"] == "PUT" and e["path"].endswith(f"/agentPools/{pool}")
            and e["status"] == 201]


def pool_names(emulator, rg, cluster):
    return sorted(p["name"] for p in emulator.arm("GET", resource_path(rg, cluster) + "/agentPools").json()["value"])


# ---- interrupted, then run again ----------------------------------------------------------
def test_new_pool_interrupted_by_ctrl_c_resumes_without_a_second_replacement(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1", nodeLabels={"app": "web"})])
    emulator.configure(operationSeconds=4)
    args = ["aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1",
            "--strategy", "new-pool", "--yes"]
    process = start(az, *args)
    wait_for_request(emulator, "PUT", "/agentPools/ubu1al")
    code, out, err = interrupt(process, signal.SIGINT)
    assert code == 130, (out, err)
    assert "Traceback" not in err
    assert "ubu1: interrupted at step create: ubu1al is Creating; Azure carries on with it." in err, err  # whole
    assert f"To resume, run the same command again (from any machine): az {' '.join(args)}" in err
    report = json.loads(out)
    assert (report["outcome"], report["step"], report["stepPool"]) == ("interrupted", "create", "ubu1al")
    # the record is in Azure, on the replacement itself
    tags = pool_props(emulator, rg, cluster, "ubu1al")["tags"]
    assert tags["azurelinux-migration-replaces"] == "ubu1" and tags["azurelinux-migration-from-os-sku"] == "Ubuntu"
    assert pool_props(emulator, rg, cluster, "ubu1") is not None  # the old pool is untouched

    plan = az.ok(*args, "--dry-run").json
    assert plan["action"] == "resume" and plan["newPool"] == "ubu1al"
    assert [r["step"] for r in plan["requests"]][-1] == "delete"
    again = az(*args)
    assert again.code == 0, again
    assert again.json["action"] == "resume" and again.json["outcome"] == "succeeded"
    assert pool_names(emulator, rg, cluster) == ["system", "ubu1al"]
    assert len(created(emulator, "ubu1al")) == 1 and not created(emulator, "ubu1al2")
    assert pool_props(emulator, rg, cluster, "ubu1al")["nodeLabels"] == {"app": "web"}


def test_in_place_interrupted_by_ctrl_c_is_waited_for_on_the_rerun(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1")])
    emulator.configure(operationSeconds=4)
    args = ["aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--yes"]
    process = start(az, *args)
    wait_for_request(emulator, "PUT", "/agentPools/ubu1")
    code, out, err = interrupt(process, signal.SIGINT)
    assert code == 130 and "Traceback" not in err
    assert "ubu1: interrupted at step update: ubu1 is Upgrading; Azure carries on with it." in err, err
    assert json.loads(out)["outcome"] == "interrupted"
    again = az(*args)
    assert again.code == 0, again
    assert again.json["action"] == "resume" and again.json["outcome"] == "succeeded"
    assert "waiting for ubu1" in again.err and "nothing to do" not in again.err
    props = pool_props(emulator, rg, cluster, "ubu1")
    assert props["osSKU"] == "AzureLinux" and props["provisioningState"] == "Succeeded"
    puts = [e for e in arm_requests(emulator) if e["method"] == "PUT"]
    assert len(puts) == 1  # the rerun sent nothing: it waited


def test_sigterm_stops_a_cluster_migration_with_143_and_the_report(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("p1"), pool_spec("p2"), pool_spec("p3")])
    emulator.configure(operationSeconds=4)
    args = ["aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--max-parallel", "2", "--yes"]
    process = start(az, *args)
    wait_for_request(emulator, "PUT", "/agentPools/p2")
    code, out, err = interrupt(process, signal.SIGTERM)
    assert code == 143 and "Traceback" not in err, (out, err)
    outcomes = {p["pool"]: p["outcome"] for p in json.loads(out)["pools"]}
    assert outcomes == {"system": "nothing-to-do", "p1": "interrupted", "p2": "interrupted", "p3": "not-started"}
    assert "p1: interrupted at step update: p1 is Upgrading; Azure carries on with it." in err, err
    assert "To resume" in err
    assert not [e for e in arm_requests(emulator) if e["path"].endswith("/agentPools/p3") and e["method"] == "PUT"]
    plan = az.ok(*args[:-1], "--dry-run")
    actions = {p["pool"]: p["action"] for p in plan.json["pools"]}
    assert actions in ({"system": "nothing-to-do", "p1": "resume", "p2": "resume", "p3": "migrate"},
                       {"system": "nothing-to-do", "p1": "nothing-to-do", "p2": "nothing-to-do", "p3": "migrate"})
    again = az(*args)
    assert again.code == 0, again
    outcomes = {p["pool"]: p["outcome"] for p in again.json["pools"]}
    assert (outcomes["system"], outcomes["p3"]) == ("nothing-to-do", "succeeded")
    for pool in ("p1", "p2"):  # the operations go on in Azure: one the dry run saw running may have ended since
        assert outcomes[pool] in (("nothing-to-do",) if actions[pool] == "nothing-to-do" else
                                  ("succeeded", "nothing-to-do")), outcomes
    assert all(pool_props(emulator, rg, cluster, p)["osSKU"] == "AzureLinux" for p in ("p1", "p2", "p3"))


# ---- two runs at once ---------------------------------------------------------------------
@pytest.mark.parametrize("gap", [0.0, 2.0])
def test_two_concurrent_cluster_runs_never_double_a_pool(az, emulator, rg, seed_cluster, gap):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1"), pool_spec("ubu2")])
    emulator.configure(operationSeconds=3)
    args = ["aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--strategy", "new-pool", "--yes"]
    first = start(az, *args)
    time.sleep(gap)
    second = start(az, *args)
    results = [p.communicate(timeout=240) + (p.returncode,) for p in (first, second)]
    for out, err, code in results:
        assert code == 0 and "Traceback" not in err, (out, err)
        assert {p["pool"]: p["outcome"] for p in json.loads(out)["pools"] if p["pool"].startswith("ubu")} in (
            {"ubu1": "succeeded", "ubu2": "succeeded"},
            {"ubu1": "succeeded", "ubu2": "succeeded", "ubu1al": "replacement", "ubu2al": "replacement"})
    assert pool_names(emulator, rg, cluster) == ["system", "ubu1al", "ubu2al"]
    assert len(created(emulator, "ubu1al")) == 1 and len(created(emulator, "ubu2al")) == 1
    assert not [e for e in arm_requests(emulator) if e["path"].endswith(("al2", "al3")) and e["method"] == "PUT"]


def test_a_second_in_place_run_joins_the_first(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1")])
    emulator.configure(operationSeconds=3)
    args = ["aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--yes"]
    first = start(az, *args)
    wait_for_request(emulator, "PUT", "/agentPools/ubu1")
    second = az(*args)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.code == 0 and second.json["outcome"] == "succeeded" and second.json["action"] == "resume", second
    assert len([e for e in arm_requests(emulator) if e["method"] == "PUT"]) == 1


# ---- a poll that fails after the service accepted the request ------------------------------
@pytest.mark.parametrize("kind", ["error", "drop"])
def test_a_lost_poll_reads_the_pool_and_reports_its_true_state(az, emulator, rg, seed_cluster, kind):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1")])
    emulator.configure(operationSeconds=2)
    emulator.fault(kind, path=r"/operations/[^/]+$", method="GET", count=8)  # past the CLI's own retries
    result = az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--yes")
    assert result.code == 0 and result.json["outcome"] == "succeeded", result
    assert "reading the pool to see where it stands" in result.err and "the pool says Succeeded" in result.err
    assert pool_props(emulator, rg, cluster, "ubu1")["osSKU"] == "AzureLinux"


def test_a_lost_poll_of_an_operation_that_failed_reports_the_failure(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1")])
    emulator.configure(operationSeconds=1)
    emulator.fault("fail_operation", path=r"/agentPools/ubu1$", method="PUT")
    emulator.fault("error", path=r"/operations/[^/]+$", method="GET", count=8)
    result = az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--yes")
    assert result.code == 1 and result.json["outcome"] == "failed"
    assert "(the pool is Failed)" in result.json["error"] and "rollback" in result.json["left"]


# ---- rollback -----------------------------------------------------------------------------
def rollback(az, rg, cluster, pool, *args):
    return az("aks", "azurelinux", "nodepool", "rollback", "-g", rg, "--cluster-name", cluster, "-n", pool, *args)


def test_rollback_returns_to_the_recorded_os_sku_with_if_match(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1", tags={"team": "a"}, nodeLabels={"app": "web"})])
    az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--yes")
    migrated = pool_props(emulator, rg, cluster, "ubu1")
    emulator.clear_requests()
    plan = rollback(az, rg, cluster, "ubu1", "--dry-run")
    assert plan.code == 0 and plan.json["osSkuAfter"] == "Ubuntu" and plan.json["outcome"] == "planned"
    assert arm_requests(emulator, mutating_only=True) == []
    result = rollback(az, rg, cluster, "ubu1", "--yes")
    assert result.code == 0 and result.json["outcome"] == "succeeded", result
    [put] = arm_requests(emulator, mutating_only=True)
    assert put["headers"]["If-Match"] == f'"{migrated["eTag"]}"'
    assert put["body"]["properties"]["osSKU"] == "Ubuntu" and put["body"]["properties"]["tags"] == {"team": "a"}
    after = pool_props(emulator, rg, cluster, "ubu1")
    assert after["osSKU"] == "Ubuntu" and after["tags"] == {"team": "a"} and after["nodeLabels"] == {"app": "web"}
    again = rollback(az, rg, cluster, "ubu1", "--yes")  # the record went with the rollback
    assert again.code == 1 and "no migration is on record" in again.err


def test_rollback_no_wait_then_wait(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1")])
    az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--yes")
    emulator.configure(operationSeconds=2)
    started = time.monotonic()
    result = rollback(az, rg, cluster, "ubu1", "--yes", "--no-wait")
    assert result.code == 0 and result.out.strip() == ""
    assert pool_props(emulator, rg, cluster, "ubu1")["provisioningState"] == "Upgrading"
    az.ok("aks", "azurelinux", "nodepool", "wait", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--updated")
    assert pool_props(emulator, rg, cluster, "ubu1")["osSKU"] == "Ubuntu" and time.monotonic() - started >= 2


RECORD = {"azurelinux-migration-strategy": "in-place"}


@pytest.mark.parametrize("pool,version,message", [
    (pool_spec("fresh"), "1.33.5", "no migration is on record"),
    (pool_spec("cbl", os_sku="AzureLinux3", tags=dict(RECORD, **{"azurelinux-migration-from-os-sku": "CBLMariner"})),
     "1.33.5", "CBLMariner is no longer accepted by AKS"),
    (pool_spec("al2", os_sku="AzureLinux3", tags=dict(RECORD, **{"azurelinux-migration-from-os-sku": "AzureLinux"})),
     "1.30.4", "Azure Linux 2.0, which AKS no longer accepts"),
])
def test_rollback_refusals_send_nothing(az, emulator, rg, seed_cluster, pool, version, message):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux3"), pool],
                           kubernetes_version=version)
    result = rollback(az, rg, cluster, pool["name"], "--yes")
    assert result.code == 1 and message in result.err and "Traceback" not in result.err, result
    assert f"--name {pool['name']} cannot be rolled back" in result.err
    assert arm_requests(emulator, mutating_only=True) == []


def test_rollback_refused_while_an_operation_runs(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1")])
    az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--yes")
    emulator.configure(operationSeconds=5)
    busy = dict(pool_props(emulator, rg, cluster, "ubu1"), count=3)
    assert emulator.arm("PUT", resource_path(rg, cluster, "ubu1"), {"properties": busy}).status_code == 200
    emulator.clear_requests()
    result = rollback(az, rg, cluster, "ubu1", "--yes")
    assert result.code == 1 and "an operation is running on it (Updating)" in result.err
    assert arm_requests(emulator, mutating_only=True) == []


def test_a_pool_migrated_through_a_new_pool_cannot_be_rolled_back(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([SYSTEM, pool_spec("ubu1")])
    az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1", "--strategy",
          "new-pool", "--yes")
    emulator.clear_requests()
    by_old_name = rollback(az, rg, cluster, "ubu1", "--yes")
    assert by_old_name.code == 1 and "was migrated through a new pool: ubu1al replaced it" in by_old_name.err
    assert "az aks nodepool add" in by_old_name.err
    by_new_name = rollback(az, rg, cluster, "ubu1al", "--yes")
    assert by_new_name.code == 1 and "replacement of ubu1 (a new-pool migration)" in by_new_name.err
    assert arm_requests(emulator, mutating_only=True) == []
    rerun = az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu1",
                  "--strategy", "new-pool", "--yes")
    assert rerun.json["outcome"] == "nothing-to-do" and "replaced by ubu1al" in rerun.err
