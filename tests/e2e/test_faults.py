# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Faults at every request of every command that changes something, and how each run ended.

For each command, its requests (as a clean run sends them) are hit in turn by a 429 with
Retry-After, a 500, a dropped connection and a 409, and each request that starts an
operation also by an operation that ends Failed. Every run must end either in success
(after a retry) or in a clean failure: a non-zero exit, a message, no traceback. The
invariants are checked on the request log and the emulator's final state: an old pool is
never changed or deleted before its replacement has Succeeded, and nothing is left behind
without being reported. The outcome table is printed at the end of the test run.
"""
import pytest

from tests.e2e.conftest import arm_requests, pool_props, pool_spec

POLL = r"/operations/[^/]+$"
FAULTS = ("throttle", "error", "drop", "conflict")


def pool_re(name):
    return rf"/agentPools/{name}$"


# command -> (argument list, request sequence as (method, path regex) of a clean run)
COMMANDS = {
    "create": (["aks", "azurelinux", "create", "-g", "{rg}", "-n", "fresh", "--location", "eastus"],
               [("PUT", r"/managedClusters/fresh$"), ("GET", POLL), ("GET", r"/managedClusters/fresh$")]),
    "nodepool add": (["aks", "azurelinux", "nodepool", "add", "-g", "{rg}", "--cluster-name", "c1", "-n", "added"],
                     [("PUT", pool_re("added")), ("GET", POLL), ("GET", pool_re("added"))]),
    "nodepool delete": (["aks", "azurelinux", "nodepool", "delete", "-g", "{rg}", "--cluster-name", "c1", "-n", "old",
                         "--yes"], [("DELETE", pool_re("old")), ("GET", POLL)]),
    "migrate in-place": (["aks", "azurelinux", "nodepool", "migrate", "-g", "{rg}", "--cluster-name", "c1", "-n",
                          "old", "--yes"],
                         [("GET", r"/managedClusters/c1$"), ("PUT", pool_re("old")), ("GET", POLL)]),
    "migrate new-pool": (["aks", "azurelinux", "nodepool", "migrate", "-g", "{rg}", "--cluster-name", "c1", "-n",
                          "old", "--strategy", "new-pool", "--yes"],
                         [("GET", r"/managedClusters/c1$"), ("PUT", pool_re("oldal")), ("GET", POLL),
                          ("DELETE", pool_re("old")), ("GET", POLL)]),
    "cluster migrate": (["aks", "azurelinux", "migrate", "-g", "{rg}", "-n", "c1", "--yes"],
                        [("GET", r"/managedClusters/c1$"), ("PUT", pool_re("old")), ("GET", POLL)]),
}


def cases():
    for command, (_, sequence) in COMMANDS.items():
        for index, (method, path) in enumerate(sequence):
            skip = sum(1 for m, p in sequence[:index] if (m, p) == (method, path))
            kinds = FAULTS + (("fail_operation",) if method in ("PUT", "DELETE") else ())
            for kind in kinds:
                yield pytest.param(command, index, method, path, skip, kind, id=f"{command}-{index}-{method}-{kind}")


@pytest.mark.parametrize("command,index,method,path,skip,kind", list(cases()))
def test_fault_ends_in_a_retry_or_a_clean_failure(az, emulator, rg, seed_cluster, record_property, command, index,
                                                  method, path, skip, kind):
    seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("old", count=2,
                                                                                     nodeLabels={"app": "web"})])
    before = pool_props(emulator, rg, "c1", "old")
    emulator.clear_requests()
    emulator.fault(kind, path=path, method=method, skip=skip, retry_after=1)
    args, _ = COMMANDS[command]
    result = az(*[a.replace("{rg}", rg) for a in args])
    log = arm_requests(emulator)
    hit = [e for e in log if e.get("fault")]
    assert hit, f"the fault was never triggered: {[(e['method'], e['path']) for e in log]}"
    assert "Traceback" not in result.err, result
    if result.code == 0:
        outcome = "succeeded after a retry" if kind in FAULTS else "succeeded"
    else:
        assert result.err.strip(), result
        message = next((line for line in result.err.splitlines() if line.startswith("ERROR")), None) or \
            result.err.strip().splitlines()[-1]
        outcome = f"failed cleanly: {message[:110]}"
    record_property("fault_outcome", f"| {command} | {index + 1} {method} {_kind(path)} | {kind} | {result.code} | "
                                     f"{outcome} |")
    check_invariants(emulator, rg, command, result, before, log)


def _kind(path):
    return "poll" if path == POLL else ("cluster" if path.endswith("/managedClusters/c1$") else "resource")


def check_invariants(emulator, rg, command, result, before, log):
    old = pool_props(emulator, rg, "c1", "old")
    if command == "migrate new-pool":
        new = pool_props(emulator, rg, "c1", "oldal")
        created = [o for o in emulator.operations() if o["resourceGroup"] == rg and o["pool"] == "oldal"
                   and o["kind"] == "create"]
        deletes_of_old = [e for e in log if e["method"] == "DELETE" and e["path"].endswith("/agentPools/old")]
        for delete in deletes_of_old:  # the old pool is deleted only after its replacement has Succeeded
            assert any(o["status"] == "Succeeded" and o["endEpoch"] <= delete["start"] for o in created)
        assert not [e for e in log if e["method"] == "PUT" and e["path"].endswith("/agentPools/old")]
        if result.code == 0:
            assert old is None and new["osSKU"] == "AzureLinux" and new["nodeLabels"] == {"app": "web"}
        elif not result.out.strip():  # refused before any plan was made: nothing may have been sent
            assert not [e for e in log if e["method"] in ("PUT", "DELETE")] and old == before and new is None
        else:
            report = result.json
            if new is not None and old is not None:  # both left: the report must say so
                assert "both pools remain" in report["left"] or "could not be removed" in report["left"], report
            if new is None:
                assert old is not None and "unchanged" in report["left"]
            if old is not None and new is None:
                assert {k: v for k, v in old.items() if k != "eTag"} == \
                    {k: v for k, v in before.items() if k != "eTag"}
    elif command in ("migrate in-place", "cluster migrate"):
        if result.code == 0:
            assert old["osSKU"] == "AzureLinux" and old["nodeLabels"] == {"app": "web"}
        elif old["osSKU"] == "Ubuntu":
            assert old == before or old["provisioningState"] != "Succeeded" or "unchanged" in result.out
    elif command == "nodepool delete" and result.code == 0:
        assert old is None
    elif command == "nodepool add" and result.code == 0:
        assert pool_props(emulator, rg, "c1", "added")["provisioningState"] == "Succeeded"
    if result.code != 0 and "already exists" in result.err:  # only a failed If-None-Match may say so
        assert any(e["status"] == 412 for e in log), result


def test_every_fault_kind_is_tried_at_every_request():
    total = list(cases())
    assert len(total) >= 80
    assert {p.values[5] for p in total} == set(FAULTS) | {"fail_operation"}
