# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Speed on the real service: the intervals chosen with and without Retry-After, one status-read budget shared by
every operation of a run, a 429 on a status read backed off, and -o none skipping the final read."""
import re

from tests.e2e.conftest import arm_requests, pool_spec

POLL = re.compile(r"/operations/[^/]+$")


def status_reads(emulator):
    return [e for e in arm_requests(emulator) if e["method"] == "GET" and POLL.search(e["path"])]


def test_without_retry_after_the_first_minute_is_polled_every_5_seconds(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    emulator.configure(retryAfter="none", operationSeconds=6)
    result = az("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "slow",
                "--kubernetes-version", "1.33.5", "--debug")
    assert result.code == 0, result.err[-2000:]
    assert f"{cluster}/slow: next status read in 5.0 s (no Retry-After: every 5 s in the first minute)" in result.err
    reads = status_reads(emulator)
    gaps = [b["start"] - a["start"] for a, b in zip(reads, reads[1:])]
    assert gaps and all(4.5 <= gap <= 6.5 for gap in gaps), gaps  # not the SDK's 30 s
    assert len(reads) <= 3


def test_with_retry_after_its_interval_is_followed(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    emulator.configure(retryAfter="1", operationSeconds=2)
    result = az("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "quick",
                "--kubernetes-version", "1.33.5", "--debug")
    assert result.code == 0
    assert f"{cluster}/quick: next status read in 1.0 s (Retry-After from the service)" in result.err


def test_one_budget_for_all_parallel_operations_keeps_status_reads_within_the_service_limit(az, emulator, rg,
                                                                                         seed_cluster):
    pools = [pool_spec("system", mode="System", os_sku="AzureLinux")] + [pool_spec(f"p{i}") for i in range(10)]
    cluster = seed_cluster(pools)
    # the service's bucket cut from AKS's 200 to 3 (as when other tools share the subscription's budget), refilled
    # at 2 a second, and the extension told so; the emulator answers 429 past it. Unpaced, ten operations polled
    # every second would be 10 reads a second.
    emulator.configure(retryAfter="1", operationSeconds=4, statusReadsPerSecond=2, statusBurst=3)
    result = az.with_env(AZURE_AZURELINUX_STATUS_READ_BURST="2")(
        "aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--max-parallel", "10", "--yes")
    assert result.code == 0, result
    reads = status_reads(emulator)
    assert len(reads) >= 10 and not [r for r in reads if r["status"] == 429]
    starts = sorted(r["start"] for r in reads)
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest <= 4  # a bucket of 2 refilled at 2 a second allows at most 4 in any second
    assert len(starts) / max(starts[-1] - starts[0], 1.0) <= 2.5


def test_once_a_tenth_of_the_budget_is_spent_first_reads_wait_their_interval(az, emulator, rg, seed_cluster):
    pools = [pool_spec("system", mode="System", os_sku="AzureLinux")] + [pool_spec(f"p{i}") for i in range(10)]
    cluster = seed_cluster(pools)
    emulator.configure(retryAfter="1", operationSeconds=2)
    # a bucket of 10 told to the extension: the first two reads come out of its top tenth, then it is spent
    result = az.with_env(AZURE_AZURELINUX_STATUS_READ_BURST="10")(
        "aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--max-parallel", "10", "--yes", "--debug")
    assert result.code == 0, result.err[-3000:]
    assert "a tenth of the subscription's status-read budget is spent: the first read waits its interval" in result.err
    started = {o["id"]: o["startEpoch"] for o in emulator.operations()
               if o["resourceGroup"] == rg and o["cluster"] == cluster and o["kind"] == "upgrade"}
    first = {}
    for read in status_reads(emulator):
        first.setdefault(read["path"].rsplit("/", 1)[-1], read["start"])
    gaps = sorted(first[op] - start for op, start in started.items())
    assert len(gaps) == 10
    assert gaps[0] < 0.5  # the SDK's read at once, while the budget was spare
    assert sum(1 for gap in gaps if gap >= 0.9) >= 7, gaps  # then after Retry-After (pacing alone would hold 2)


def test_a_429_on_a_status_read_is_backed_off_as_the_service_asks(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("web")])
    emulator.configure(operationSeconds=1)
    emulator.fault("throttle", path=POLL.pattern, method="GET", count=1, retry_after=2)
    result = az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "web", "--yes")
    assert result.code == 0 and result.json["outcome"] == "succeeded", result
    reads = status_reads(emulator)
    assert reads[0]["status"] == 429 and reads[1]["start"] - reads[0]["start"] >= 1.9


def test_output_none_skips_the_final_read(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    shown = az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "shown",
                  "--kubernetes-version", "1.33.5")
    assert shown.json["name"] == "shown"
    after_poll = [e["method"] for e in arm_requests(emulator)]
    assert after_poll == ["PUT", "GET", "GET"]  # PUT, poll, the final read that prints the pool
    emulator.clear_requests()
    quiet = az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "quiet",
                  "--kubernetes-version", "1.33.5", "-o", "none")
    assert quiet.out == "" and [e["method"] for e in arm_requests(emulator)] == ["PUT", "GET"]
    assert emulator.arm("GET", f"/subscriptions/{emulator_sub()}/resourceGroups/{rg}/providers/"
                               f"Microsoft.ContainerService/managedClusters/{cluster}/agentPools/quiet"
                        ).json()["properties"]["provisioningState"] == "Succeeded"


def test_a_default_add_takes_the_version_from_the_puts_answer_with_no_final_read(az, emulator, rg, seed_cluster):
    """Without --kubernetes-version the pool's version is known only from AKS's answer, for the Azure Linux 2.0
    warning; the answer to the PUT carries it (orchestratorVersion, currentOrchestratorVersion), so -o none reads
    nothing more."""
    cluster = seed_cluster(kubernetes_version="1.30.4")
    quiet = az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "old", "-o",
                  "none")
    assert quiet.out == "" and [e["method"] for e in arm_requests(emulator)] == ["PUT", "GET"]  # the PUT, one poll
    assert "lands on Azure Linux 2.0" in quiet.err and "1.30.4" in quiet.err
    emulator.clear_requests()
    current = az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "new",
                    "-o", "none", "--os-sku", "AzureLinux3")
    assert [e["method"] for e in arm_requests(emulator)] == ["PUT", "GET"] and "Azure Linux 2.0" not in current.err


def emulator_sub():
    from tests.emulator.store import SUBSCRIPTION_ID
    return SUBSCRIPTION_ID


def test_the_final_read_of_the_pool_is_not_an_operation_status_read(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    # a bucket of 1: the status read empties it; the read of the new pool that follows is no status read and
    # must not wait for it to refill
    result = az.with_env(AZURE_AZURELINUX_STATUS_READ_BURST="1")(
        "aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "fin",
        "--kubernetes-version", "1.33.5", "--debug")
    assert result.code == 0 and '"name": "fin"' in result.out, result.err[-2000:]
    assert [e["method"] for e in arm_requests(emulator)] == ["PUT", "GET", "GET"]
    assert "held" not in result.err
