# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The migration on what the real AKS service returned: tests/data/real_payloads.json, read at test time.

The file holds agent pool bodies recorded live against AKS by the Azure CLI's and the aks-preview
extension's own test suites, the cluster they came with, and two request bodies of core
`az aks nodepool update --os-sku AzureLinux` that AKS accepted. They are seeded into the emulator
verbatim (unknown fields, lower-case values and all); each pool must get the readiness the file
names, the right plan, and an in-place body that keeps every writable property of the real pool.
"""
import copy
import json
import os

import pytest

from tests.e2e.conftest import arm_requests, pool_props
from tests.emulator.client import ROOT

PAYLOADS = os.path.join(ROOT, "tests", "data", "real_payloads.json")  # provenance in its "about" and "sources"
# Properties the service owns: never sent back. The node image (and the snapshot a pool was built from)
# follows the OS SKU, so it is not sent either.
READ_ONLY = {"provisioningState", "currentOrchestratorVersion", "eTag"}
IMAGE = {"nodeImageVersion", "creationData"}
READ_ONLY_NESTED = {"localDNSProfile": {"state"}}
RECORD_KEYS = {"azurelinux-migration-strategy", "azurelinux-migration-from-os-sku"}


def load():
    if not os.path.exists(PAYLOADS):
        raise AssertionError(f"{PAYLOADS} is missing: the real payloads are a fixture of the repository")
    with open(PAYLOADS, encoding="utf-8") as handle:
        return json.load(handle)


REAL = load()
POOLS = REAL['pools']
EXPECTED = {pool['name']: pool['expectReadiness'] for pool in POOLS}
PLAN_ACTION = {"can migrate": "migrate", "blocked": "refused", "on Azure Linux": "nothing-to-do"}


@pytest.fixture
def real_cluster(emulator, rg):
    bodies = [dict(copy.deepcopy(pool['body']), name=pool['name']) for pool in POOLS]
    emulator.seed({"clusters": [{"resourceGroup": rg, "name": "real", "body": REAL['cluster']['body'],
                                 "agentPoolBodies": bodies}]})
    emulator.clear_requests()
    return "real"


def expected_body(real_properties, target="AzureLinux"):
    """The real pool's writable properties, as an in-place migration must send them."""
    expected = {k: copy.deepcopy(v) for k, v in real_properties.items() if k not in READ_ONLY | IMAGE}
    for key, nested in READ_ONLY_NESTED.items():
        if key in expected:
            expected[key] = {k: v for k, v in expected[key].items() if k not in nested}
    expected["osSKU"] = target
    expected["tags"] = dict(real_properties.get("tags") or {}, **{
        "azurelinux-migration-strategy": "in-place",
        "azurelinux-migration-from-os-sku": real_properties.get("osSKU") or "Ubuntu"})
    return expected


def test_the_file_holds_what_these_tests_rely_on():
    assert len(POOLS) == 19 and set(EXPECTED.values()) == set(PLAN_ACTION)
    assert {m['pool'] for m in REAL['recordedMigrations']} == {"nodepool1", "coresys"}


def test_every_real_pool_gets_the_readiness_the_file_names(az, real_cluster, rg, emulator):
    listed = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", real_cluster).json
    readiness = {p["name"]: p["azureLinuxReadiness"] for p in listed}
    assert {name: readiness[name]["status"] for name in EXPECTED} == EXPECTED
    assert "Azure Linux 2.0" in readiness["azl"]["reason"]  # on Kubernetes 1.29: retired, and said so
    assert readiness["azl3"]["reason"] is None and readiness["azl3"]["azureLinuxVersion"] == "3.0"
    assert "Windows pool" in readiness["wingpu"]["reason"]  # osType 'windows' in lower case
    assert "standard_nd96asr_v4" in readiness["gpund"]["reason"]  # a lower-case size is still judged
    table = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", real_cluster,
                  "-o", "table").out
    assert any(line.startswith("vms ") and "can migrate" in line for line in table.splitlines())
    assert arm_requests(emulator, mutating_only=True) == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_pool_gets_the_right_plan_and_body(az, real_cluster, rg, emulator, name):
    real = next(p['body']['properties'] for p in POOLS if p['name'] == name)
    result = az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", real_cluster, "-n", name,
                "--dry-run")
    expected = PLAN_ACTION[EXPECTED[name]]
    assert "Traceback" not in result.err and "None is not a VM size name" not in result.err, result
    if expected == "refused":
        assert result.code == 1 and f"--name {name} cannot move to AzureLinux" in result.err
    else:
        assert result.code == 0, result
        plan = result.json
        assert plan["action"] == expected, plan
    if expected == "migrate":
        [request] = plan["requests"]
        sent = request["body"]["properties"]
        assert sent == expected_body(real)
        assert not READ_ONLY & set(sent) and "nodeImageVersion" not in sent
        etag = pool_props(emulator, rg, real_cluster, name)["eTag"]  # the recorded one, or the emulator's own
        assert request["headers"] == {"If-Match": f'"{etag}"'} and real.get("eTag", etag) == etag
    if expected == "nothing-to-do":
        assert plan["requests"] == []
    assert arm_requests(emulator, mutating_only=True) == []


def test_a_cluster_of_real_pools_migrates_exactly_the_pools_that_can(az, real_cluster, rg, emulator):
    result = az("aks", "azurelinux", "migrate", "-g", rg, "-n", real_cluster, "--max-parallel", "4", "--yes")
    assert result.code == 0, result
    outcomes = {p["pool"]: p["outcome"] for p in result.json["pools"]}
    assert {n: outcomes[n] for n in EXPECTED} == {
        n: {"can migrate": "succeeded", "blocked": "refused", "on Azure Linux": "nothing-to-do"}[e]
        for n, e in EXPECTED.items()}
    puts = {e["path"].rsplit("/", 1)[-1]: e for e in arm_requests(emulator, mutating_only=True)}
    assert set(puts) == {n for n, e in EXPECTED.items() if e == "can migrate"}  # azl3 and azl are left alone
    for name, request in puts.items():
        real = next(p['body']['properties'] for p in POOLS if p['name'] == name)
        assert request["method"] == "PUT" and request["body"]["properties"] == expected_body(real), name
    listed = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", real_cluster).json
    assert {p["name"] for p in listed if p["azureLinuxReadiness"]["status"] == "on Azure Linux"} == \
        {n for n, e in EXPECTED.items() if e != "blocked"}


@pytest.mark.parametrize("recorded", REAL['recordedMigrations'], ids=lambda r: r['pool'])
def test_our_in_place_body_is_the_one_real_aks_accepted_less_the_image(az, real_cluster, rg, emulator, recorded):
    """Core `az aks nodepool update --os-sku AzureLinux` sent these bodies and AKS accepted them. Ours is the same
    request, without the old node image (the image follows the OS SKU) and with the migration record."""
    plan = az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", real_cluster, "-n",
                 recorded['pool'], "--dry-run").json
    ours = plan["requests"][0]["body"]["properties"]
    theirs = {k: v for k, v in recorded['putBody']['properties'].items() if k not in IMAGE}
    assert {k: v for k, v in ours.items() if k != "tags"} == theirs
    assert set(ours["tags"]) == RECORD_KEYS


def test_a_pool_on_azure_linux_2_moves_to_3_only_when_asked(az, real_cluster, rg, emulator):
    stays = az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", real_cluster, "-n", "azl",
                  "--yes")
    assert stays.json["outcome"] == "nothing-to-do" and "Azure Linux 2.0" in stays.err
    assert "--os-sku AzureLinux3" in stays.err
    assert arm_requests(emulator, mutating_only=True) == []
    moved = az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", real_cluster, "-n", "azl",
               "--os-sku", "AzureLinux3", "--yes")
    assert moved.code == 0 and moved.json["outcome"] == "succeeded", moved
    [put] = arm_requests(emulator, mutating_only=True)
    real = next(p['body']['properties'] for p in POOLS if p['name'] == "azl")
    assert put["body"]["properties"] == expected_body(real, "AzureLinux3")


def test_a_pool_on_azure_linux_3_is_never_moved_back(az, real_cluster, rg, emulator):
    for args in ([], ["--os-sku", "AzureLinux"]):
        result = az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", real_cluster, "-n",
                       "azl3", "--yes", *args)
        assert result.json["outcome"] == "nothing-to-do"
    plan = az.ok("aks", "azurelinux", "migrate", "-g", rg, "-n", real_cluster, "--os-sku", "AzureLinux",
                 "--dry-run").json
    assert {p["pool"]: p["action"] for p in plan["pools"]}["azl3"] == "nothing-to-do"
    assert arm_requests(emulator, mutating_only=True) == []


def test_a_snapshot_pool_moves_to_the_azure_linux_image(az, real_cluster, rg, emulator):
    plan = az.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", real_cluster, "-n", "snap",
                 "--strategy", "new-pool", "--dry-run", "--skip-preflight").json  # 1.25 is no longer offered
    create = plan["requests"][0]["body"]["properties"]
    assert "creationData" not in create and create["osSKU"] == "AzureLinux"
    assert any(f["rule"] == "migration-snapshot-not-kept" for f in plan["findings"])
