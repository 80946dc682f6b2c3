# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Roll control and the live preflight: surge and drain settings reach the PUT; quota, VM sizes and Kubernetes
versions are checked before the first write, and what would fail is refused with the numbers."""
import uuid

import pytest

from tests.e2e.conftest import arm_requests, pool_props, pool_spec

D4 = "Standard_D4ds_v5"  # 4 vCPUs, family standardDDSv5Family
FAMILY = "standardDDSv5Family"


@pytest.fixture
def place(emulator):
    """A location of its own, so that the limits a test sets meet only its own pools."""
    return f"loc{uuid.uuid4().hex[:8]}"


def seed(seed_cluster, place, *pools, version="1.33.5"):
    return seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux", vm_size=D4, count=1)] + list(pools),
                        location=place, kubernetes_version=version)


def writes(emulator):
    return [e for e in arm_requests(emulator, mutating_only=True)]


def reads_of(emulator, fragment):
    return [e for e in arm_requests(emulator) if fragment in e["path"]]


def migrate(az, rg, cluster, pool, *args):
    return az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", pool, *args)


# ---- roll control ---------------------------------------------------------------------------
ROLL = ["--max-surge", "33%", "--max-unavailable", "1", "--drain-timeout", "45", "--node-soak-duration", "5",
        "--undrainable-node-behavior", "Cordon"]
ROLL_BODY = {"maxSurge": "33%", "maxUnavailable": "1", "drainTimeoutInMinutes": 45, "nodeSoakDurationInMinutes": 5,
             "undrainableNodeBehavior": "Cordon"}


@pytest.mark.parametrize("strategy,target", [("in-place", "web"), ("new-pool", "webal")])
def test_each_roll_flag_reaches_the_put(az, emulator, rg, seed_cluster, place, strategy, target):
    cluster = seed(seed_cluster, place, pool_spec("web", vm_size=D4, upgradeSettings={"maxSurge": "1"}))
    result = migrate(az, rg, cluster, "web", "--strategy", strategy, "--yes", *ROLL)
    assert result.code == 0, result
    [put] = [e for e in writes(emulator) if e["method"] == "PUT"]
    assert put["path"].endswith(f"/agentPools/{target}") and put["body"]["properties"]["upgradeSettings"] == ROLL_BODY
    assert result.json["upgradeSettings"] == ROLL_BODY  # the report says what the pool has now
    assert pool_props(emulator, rg, cluster, target)["upgradeSettings"] == ROLL_BODY


def test_without_roll_flags_the_pool_keeps_its_own_settings(az, emulator, rg, seed_cluster, place):
    own = {"maxSurge": "50%", "drainTimeoutInMinutes": 20}
    cluster = seed(seed_cluster, place, pool_spec("web", vm_size=D4, upgradeSettings=own))
    result = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--yes", "--max-unavailable", "2")
    assert result.code == 0, result
    [put] = [e for e in writes(emulator) if e["method"] == "PUT"]
    assert put["body"]["properties"]["upgradeSettings"] == dict(own, maxUnavailable="2")


def test_roll_flags_on_nodepool_add(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place)
    az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "rolled", *ROLL)
    [put] = writes(emulator)
    assert put["body"]["properties"]["upgradeSettings"] == ROLL_BODY


@pytest.mark.parametrize("args,message", [
    (["--max-surge", "abc"], "--max-surge 'abc' is neither a node count nor a percentage"),
    (["--max-surge", "101%"], "--max-surge 101% is out of range"),
    (["--max-unavailable", "-1"], "--max-unavailable '-1' is neither"),
    (["--max-surge", "0", "--max-unavailable", "0"], "--max-surge 0 needs --max-unavailable above 0"),
    (["--drain-timeout", "0"], "--drain-timeout 0 is out of range: use 1 to 1440 minutes"),
    (["--drain-timeout", "1441"], "--drain-timeout 1441 is out of range"),
    (["--node-soak-duration", "31"], "--node-soak-duration 31 is out of range: use 0 to 30 minutes"),
    (["--undrainable-node-behavior", "Evict"], "Evict"),
])
def test_bad_roll_values_are_refused_before_anything_is_sent(az, emulator, rg, seed_cluster, place, args, message):
    cluster = seed(seed_cluster, place, pool_spec("web", vm_size=D4))
    emulator.clear_requests()
    for command in (["nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "web", "--yes"],
                    ["migrate", "-g", rg, "-n", cluster, "--yes"],
                    ["nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "np"]):
        result = az("aks", "azurelinux", *command, *args)
        assert result.code != 0 and message in result.err and "Traceback" not in result.err, result
    assert arm_requests(emulator) == []  # not even a read


def test_a_pool_and_its_surge_stay_within_1000_nodes(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place)
    result = az("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "big", "-c", "990",
                "--max-surge", "20")
    assert result.code != 0 and "exceed the 1000 nodes" in result.err and writes(emulator) == []


# ---- vCPU quota -----------------------------------------------------------------------------
def limit(emulator, place, family, cores=100000):
    emulator.admin("POST", "compute", {"location": place, "limits": {FAMILY: family, "cores": cores}})


def test_quota_short_for_the_surge_refuses_with_the_numbers(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("big", vm_size=D4, count=10))
    limit(emulator, place, family=45)  # in use: 1 + 10 nodes x 4 = 44; the surge needs 1 node = 4
    emulator.clear_requests()
    result = migrate(az, rg, cluster, "big", "--yes")
    assert result.code == 1 and "Traceback" not in result.err
    assert (f"not enough vCPU quota in {place}: it needs 4 vCPUs of family {FAMILY} at once (4 for 1 surge node(s) "
            f"of {D4} (4 vCPUs each)), and 1 of the limit of 45 are free (44 in use)") in result.err
    assert "a lower --max-surge" in result.err and "quota increase" in result.err
    assert writes(emulator) == []
    assert len(reads_of(emulator, "/usages")) == 1 and len(reads_of(emulator, "/skus")) == 1
    # without the preflight, AKS itself refuses it: the emulator enforces the same quota
    unchecked = migrate(az, rg, cluster, "big", "--yes", "--skip-preflight")
    assert unchecked.code == 1 and "InsufficientVCPUQuota" in unchecked.err
    assert pool_props(emulator, rg, cluster, "big")["osSKU"] == "Ubuntu"


def test_quota_short_for_a_replacement_pool(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("big", vm_size=D4, count=10))
    limit(emulator, place, family=60)  # 16 free: enough for a surge node, not for 10 new nodes (40)
    emulator.clear_requests()
    dry = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--strategy", "new-pool", "--dry-run")
    assert dry.code == 1, dry
    big = next(p for p in dry.json["pools"] if p["pool"] == "big")
    assert big["action"] == "refused" and big["preflight"]["vcpusNeeded"] == 40 and big["preflight"]["vcpusFree"] == 16
    assert "--strategy in-place (it needs only the surge)" in big["reason"]
    assert "1 pool(s) would not migrate" in dry.err
    in_place = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--dry-run")
    assert in_place.code == 0 and {p["pool"]: p["action"] for p in in_place.json["pools"]}["big"] == "migrate"
    assert writes(emulator) == []


def test_quota_short_for_two_pools_run_in_parallel(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("a", vm_size=D4, count=2), pool_spec("b", vm_size=D4, count=2))
    limit(emulator, place, family=26)  # in use 4 + 8 + 8 = 20; 6 free: one surge node (4) fits, two (8) do not
    emulator.clear_requests()
    both = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--max-parallel", "2", "--yes")
    assert both.code == 1
    refused = {p["pool"]: p for p in both.json["pools"] if p["action"] == "refused"}
    assert set(refused) == {"a", "b"}
    assert "plus up to 4 for the 1 other pool(s) that --max-parallel 2 runs at the same time" in refused["a"]["reason"]
    assert "a lower --max-parallel" in refused["a"]["reason"]
    assert writes(emulator) == []
    one_at_a_time = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--max-parallel", "1", "--yes")
    assert one_at_a_time.code == 0, one_at_a_time
    assert {p["pool"]: p["outcome"] for p in one_at_a_time.json["pools"]} == {
        "system": "nothing-to-do", "a": "succeeded", "b": "succeeded"}


def test_regional_cores_count_too(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("web", vm_size=D4, count=2))
    limit(emulator, place, family=1000, cores=14)  # 12 in use, 2 free
    result = migrate(az, rg, cluster, "web", "--dry-run")
    assert result.code == 1 and "of Total Regional Cores at once" in result.err


# ---- VM sizes and versions -----------------------------------------------------------------
def test_a_size_restricted_in_one_of_the_pools_zones_is_refused(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("zonal", vm_size=D4, availabilityZones=["1", "2"]),
                   pool_spec("other", vm_size=D4, availabilityZones=["1", "3"]))
    emulator.admin("POST", "compute", {"location": place, "restrictions": [
        {"size": D4, "type": "Zone", "zones": ["2"], "reasonCode": "NotAvailableForSubscription"}]})
    emulator.clear_requests()
    result = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--yes")
    assert result.code == 1
    actions = {p["pool"]: (p["action"], p.get("outcome")) for p in result.json["pools"]}
    assert actions["zonal"] == ("refused", "refused") and actions["other"] == ("migrate", "succeeded")
    zonal = next(p for p in result.json["pools"] if p["pool"] == "zonal")
    assert f"the VM size {D4} is not available to this subscription in zone(s) 2 of {place}" in zonal["reason"]
    assert [e["path"].rsplit("/", 1)[-1] for e in writes(emulator)] == ["other"]


def test_a_size_restricted_in_the_location_is_refused(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("web", vm_size="Standard_E8s_v5"))
    emulator.admin("POST", "compute", {"location": place, "restrictions": [{"size": "Standard_E8s_v5"}]})
    result = migrate(az, rg, cluster, "web", "--yes")
    assert result.code == 1 and "is restricted for this subscription" in result.err and writes(emulator) == []


def test_a_kubernetes_version_no_longer_offered_refuses_a_new_pool(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("old", vm_size=D4), version="1.31.2")
    emulator.admin("POST", "compute", {"location": place, "kubernetesVersions": {"1.33": ["1.33.5"],
                                                                                 "1.34": ["1.34.2"]}})
    emulator.clear_requests()
    result = migrate(az, rg, cluster, "old", "--strategy", "new-pool", "--os-sku", "AzureLinux3", "--yes")
    assert result.code == 1 and f"Kubernetes 1.31.2 is no longer offered for new pools in {place}" in result.err
    assert "--strategy in-place" in result.err and writes(emulator) == []
    assert len(reads_of(emulator, "/kubernetesVersions")) == 1
    in_place = migrate(az, rg, cluster, "old", "--os-sku", "AzureLinux3", "--dry-run")
    assert in_place.code == 0 and in_place.json["action"] == "migrate"


# ---- permissions, the check command, cost ---------------------------------------------------
def test_an_identity_that_may_not_read_quota_gets_a_warning_and_the_plan_goes_on(az, emulator, rg, seed_cluster,
                                                                               place):
    cluster = seed(seed_cluster, place, pool_spec("web", vm_size=D4))
    emulator.fault("forbidden", path=r"/usages$", method="GET")
    result = migrate(az, rg, cluster, "web", "--yes")
    assert result.code == 0 and result.json["outcome"] == "succeeded", result
    assert "lacks Microsoft.Compute/locations/usages/read (HTTP 403)" in result.err


def test_live_check_of_a_cluster_changes_nothing(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("big", vm_size=D4, count=10), pool_spec("small", vm_size=D4))
    limit(emulator, place, family=60)
    emulator.clear_requests()
    fine = az("aks", "azurelinux", "check", "-g", rg, "--cluster-name", cluster)
    assert fine.code == 0 and fine.json["allowed"] is True, fine
    short = az("aks", "azurelinux", "check", "-g", rg, "--cluster-name", cluster, "--strategy", "new-pool",
               "--max-parallel", "1")
    assert short.code == 1 and short.json["allowed"] is False
    assert {p["pool"]: p["action"] for p in short.json["pools"]} == {"system": "nothing-to-do", "big": "refused",
                                                                     "small": "migrate"}
    table = az("aks", "azurelinux", "check", "-g", rg, "--cluster-name", cluster, "--strategy", "new-pool",
               "-o", "table")
    assert table.code == 1 and any(line.startswith("big") and "refused" in line for line in table.out.splitlines())
    assert writes(emulator) == []
    bad = az("aks", "azurelinux", "check", "-g", rg, "--cluster-name", cluster, "--node-vm-size", D4)
    assert bad.code != 0 and "--node-vm-size is for the offline check" in bad.err


def test_the_sku_list_is_read_once_a_day(az, emulator, rg, seed_cluster, place):
    cluster = seed(seed_cluster, place, pool_spec("web", vm_size=D4))
    emulator.clear_requests()
    for _ in range(2):
        az.ok("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--strategy", "new-pool", "--dry-run")
    assert len(reads_of(emulator, "/skus")) == 1  # the second plan took it from the day's cache
    assert len(reads_of(emulator, "/usages")) == 2 and len(reads_of(emulator, "/kubernetesVersions")) == 2
    skipped = az.ok("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--dry-run", "--skip-preflight")
    assert skipped.json["preflight"] is None and len(reads_of(emulator, "/usages")) == 2
