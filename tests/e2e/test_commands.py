# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The commands, run as a user runs them: the real az, the extension installed from its wheel, the emulator."""
import os
import re

import pytest

from tests.e2e.conftest import arm_requests, pool_spec, resource_path, secret_free
from tests.emulator.store import SUBSCRIPTION_ID

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

A100_MESSAGE = ("--node-vm-size Standard_NC24ads_A100_v4 is not supported on Azure Linux node pools (NC A100 v4 "
                "series).")
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ0ZXN0a2V5Zm9ydGhlZW11bGF0b3Jvbmx5MDEyMzQ1 tester@example"


def nothing_sent(emulator):
    """Not a single request reached the emulator: not even sign-in."""
    return emulator.requests() == []


# ---- create -------------------------------------------------------------------------------
def test_create_makes_an_azure_linux_cluster_in_the_groups_location(az, emulator, rg):
    cluster = az.ok("aks", "azurelinux", "create", "-g", rg, "-n", "al1").json
    assert cluster["provisioningState"] == "Succeeded" and cluster["location"] == "eastus"
    [pool] = cluster["agentPoolProfiles"]
    assert (pool["name"], pool["osSku"], pool["mode"], pool["count"]) == ("nodepool1", "AzureLinux", "System", 3)
    log = arm_requests(emulator)
    assert [e["method"] for e in log] == ["GET", "PUT", "GET", "GET"]  # group location, PUT, poll, final GET
    put = log[1]
    assert put["headers"]["If-None-Match"] == "*"
    assert "linuxProfile" not in put["body"]["properties"]  # no SSH key unless given


def test_create_with_every_option(az, emulator, rg, tmp_path):
    key_file = tmp_path / "id_ed25519.pub"
    key_file.write_text(PUBLIC_KEY + "\n")
    workspace = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/"
                 "workspaces/logs")
    result = az.ok("aks", "azurelinux", "create", "-g", rg, "-n", "al2", "--location", "westus3", "--nodepool-name",
                   "sys", "--node-count", "2", "--os-sku", "azurelinux3", "--kubernetes-version", "1.33",
                   "--zones", "1", "2", "--max-pods", "50", "--security-module", "selinux", "--enable-fips-image",
                   "--enable-secure-boot", "--enable-vtpm", "--enable-defender", "--defender-workspace", workspace,
                   "--ssh-key-value", str(key_file), "--tags", "env=test", "team=platform",
                   "--node-vm-size", "Standard_D4ds_v5")
    assert "configure it on the nodes yourself" in result.err
    log = arm_requests(emulator)
    assert [e["method"] for e in log] == ["PUT", "GET", "GET"]  # --location given: no group lookup
    body = log[0]["body"]
    assert body["location"] == "westus3" and body["tags"] == {"env": "test", "team": "platform"}
    props = body["properties"]
    assert props["kubernetesVersion"] == "1.33"
    assert props["linuxProfile"]["ssh"]["publicKeys"] == [{"keyData": PUBLIC_KEY}]
    assert props["securityProfile"]["defender"] == {"logAnalyticsWorkspaceResourceId": workspace,
                                                    "securityMonitoring": {"enabled": True}}
    [pool] = props["agentPoolProfiles"]
    assert pool == {"name": "sys", "type": "VirtualMachineScaleSets", "osType": "Linux", "osSKU": "AzureLinux3",
                    "mode": "System", "vmSize": "Standard_D4ds_v5", "count": 2, "orchestratorVersion": "1.33",
                    "nodeLabels": {"azurelinux.security-module": "selinux"}, "availabilityZones": ["1", "2"],
                    "maxPods": 50, "enableFIPS": True,
                    "securityProfile": {"enableSecureBoot": True, "enableVTPM": True}}


def test_create_dry_run_prints_the_body_and_sends_nothing_that_changes_anything(az, emulator, rg):
    result = az.ok("aks", "azurelinux", "create", "-g", rg, "-n", "dry", "--location", "eastus", "--dry-run").json
    assert result["dryRun"] is True and result["method"] == "PUT" and result["headers"] == {"If-None-Match": "*"}
    assert result["url"].endswith(f"/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/dry"
                                  "?api-version=2026-06-01")
    assert result["body"]["properties"]["agentPoolProfiles"][0]["osSKU"] == "AzureLinux"
    assert arm_requests(emulator) == []


def test_create_of_an_existing_cluster_changes_nothing(az, emulator, rg, seed_cluster):
    seed_cluster(name="taken")
    result = az("aks", "azurelinux", "create", "-g", rg, "-n", "taken")
    assert result.code == 1 and "already exists" in result.err and "Traceback" not in result.err
    [put] = arm_requests(emulator, mutating_only=True)
    assert put["status"] == 412  # the conditional PUT was refused by the service; nothing changed


def test_create_no_wait_then_wait(az, emulator, rg):
    emulator.configure(operationSeconds=2)
    started = az.ok("aks", "azurelinux", "create", "-g", rg, "-n", "later", "--location", "eastus", "--no-wait")
    assert started.out.strip() == ""
    az.ok("aks", "azurelinux", "wait", "-g", rg, "-n", "later", "--created", "--interval", "1")
    state = emulator.arm("GET", resource_path(rg, "later")).json()
    assert state["properties"]["provisioningState"] == "Succeeded"


@pytest.mark.parametrize("args,message", [
    (["--os-sku", "AzureLinux3", "--kubernetes-version", "1.37"], "--kubernetes-version 1.37 is outside the "
                                                                   "Kubernetes versions AzureLinux3 runs on"),
    (["--os-sku", "Ubuntu"], "--os-sku Ubuntu is not an Azure Linux OS SKU"),
    (["--node-vm-size", "Standard_NC24ads_A100_v4"], A100_MESSAGE),
    (["--security-module", "apparmor"], "--security-module apparmor is not supported"),
    (["--enable-defender"], "--enable-defender needs --defender-workspace"),
    (["--enable-defender", "--defender-workspace", "logs"], "--defender-workspace logs is not a Log Analytics"),
    (["--ssh-key-value", "not-a-key"], "--ssh-key-value is neither an OpenSSH public key"),
    (["--node-count", "0"], "--node-count 0 is out of range for a System pool"),
    (["--nodepool-name", "System1"], "--nodepool-name 'System1' is not a valid Linux node pool name"),
])
def test_create_refusals_send_nothing(az, emulator, rg, args, message):
    result = az("aks", "azurelinux", "create", "-g", rg, "-n", "refused", *args)
    assert result.code != 0 and message in result.err, result
    assert "Traceback" not in result.err
    assert nothing_sent(emulator)


def test_create_refuses_a_private_key_without_printing_it(az, emulator, rg, tmp_path):
    private = tmp_path / "id_rsa"
    marker = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7private"
    private.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{marker}\n-----END OPENSSH PRIVATE KEY-----\n")
    result = az("aks", "azurelinux", "create", "-g", rg, "-n", "c", "--ssh-key-value", str(private), "--debug")
    assert result.code == 1 and "is a private key" in result.err
    assert marker not in result.err and marker not in result.out
    assert nothing_sent(emulator)


def test_warning_for_azure_linux_2(az, emulator, rg):
    result = az.ok("aks", "azurelinux", "create", "-g", rg, "-n", "old", "--kubernetes-version", "1.30",
                   "--location", "eastus", "--dry-run")
    assert "lands on Azure Linux 2.0" in result.err and "AzureLinux3" in result.err


# ---- nodepool add -------------------------------------------------------------------------
def test_add_a_t4_pool_in_three_requests(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    pool = az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "gput4",
                 "--node-vm-size", "standard_nc4as_t4_v3", "--node-count", "1").json
    assert (pool["osSku"], pool["vmSize"], pool["provisioningState"]) == ("AzureLinux", "Standard_NC4as_T4_v3",
                                                                          "Succeeded")
    log = arm_requests(emulator)
    assert [e["method"] for e in log] == ["PUT", "GET", "GET"]  # PUT, poll, final GET: no listing first
    assert log[0]["headers"]["If-None-Match"] == "*"


def test_add_with_every_option(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "full",
          "--node-vm-size", "Standard_NC6s_v3", "--mode", "System", "--os-sku", "AzureLinux3",
          "--labels", "team=ml", "tier=gpu", "--node-taints", "sku=gpu:NoSchedule,dedicated=ml:NoExecute",
          "--zones", "1", "3", "--max-pods", "40", "--enable-cluster-autoscaler", "--min-count", "1",
          "--max-count", "4", "--node-count", "2", "--gpu-driver", "None", "--enable-fips-image",
          "--enable-secure-boot", "--enable-vtpm", "--node-osdisk-size", "256", "--tags", "cost=ml",
          "--kubernetes-version", "1.33")
    [put] = arm_requests(emulator, mutating_only=True)
    assert put["body"] == {"properties": {
        "osType": "Linux", "osSKU": "AzureLinux3", "mode": "System", "vmSize": "Standard_NC6s_v3", "count": 2,
        "orchestratorVersion": "1.33", "nodeLabels": {"team": "ml", "tier": "gpu"},
        "nodeTaints": ["sku=gpu:NoSchedule", "dedicated=ml:NoExecute"], "availabilityZones": ["1", "3"],
        "maxPods": 40, "osDiskSizeGB": 256, "enableFIPS": True,
        "securityProfile": {"enableSecureBoot": True, "enableVTPM": True}, "gpuProfile": {"driver": "None"},
        "tags": {"cost": "ml"}, "enableAutoScaling": True, "minCount": 1, "maxCount": 4}}
    stored = emulator.arm("GET", resource_path(rg, cluster, "full")).json()["properties"]
    assert stored["provisioningState"] == "Succeeded" and stored["enableAutoScaling"] is True


def test_add_selinux_labels_the_pool_and_says_what_to_configure(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    result = az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "sel",
                   "--security-module", "selinux")
    assert result.json["nodeLabels"] == {"azurelinux.security-module": "selinux"}
    assert "SELinux is not turned on by AKS" in result.err
    assert "nodeSelector azurelinux.security-module=selinux" in result.err
    assert "SELinux" not in result.out


def test_add_an_existing_name_is_reported_as_already_exists(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("taken")])
    result = az("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "taken")
    assert result.code == 1 and "--name taken: a node pool of that name already exists in cluster c1" in result.err
    [put] = arm_requests(emulator)
    assert put["status"] == 412
    stored = emulator.arm("GET", resource_path(rg, cluster, "taken")).json()["properties"]
    assert stored["osSKU"] == "Ubuntu"  # untouched


def test_add_dry_run_sends_nothing(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    result = az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "drypool",
                   "--node-vm-size", "Standard_NC8as_T4_v3", "--dry-run").json
    assert result["body"] == {"properties": {"osType": "Linux", "osSKU": "AzureLinux", "mode": "User",
                                             "vmSize": "Standard_NC8as_T4_v3", "count": 3}}
    assert result["url"].endswith(f"/managedClusters/{cluster}/agentPools/drypool?api-version=2026-06-01")
    assert arm_requests(emulator) == []


def test_add_no_wait_then_wait(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    emulator.configure(operationSeconds=2)
    assert az.ok("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "nw",
                 "--no-wait").out.strip() == ""
    assert emulator.arm("GET", resource_path(rg, cluster, "nw")).json()["properties"]["provisioningState"] == "Creating"
    az.ok("aks", "azurelinux", "nodepool", "wait", "-g", rg, "--cluster-name", cluster, "-n", "nw", "--created",
          "--interval", "1")
    assert emulator.arm("GET", resource_path(rg, cluster, "nw")).json()["properties"]["provisioningState"] == "Succeeded"


@pytest.mark.parametrize("size", ["Standard_NC24ads_A100_v4", "standard_nc48ads_a100_v4", "STANDARD_NC96ADS_A100_V4"])
def test_add_refuses_a100_before_any_request(az, emulator, rg, size):
    result = az("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", "c1", "-n", "a100",
                "--node-vm-size", size)
    assert result.code == 1
    assert f"--node-vm-size {size} is not supported on Azure Linux node pools (NC A100 v4 series)." in result.err
    assert "Use one of: Standard_NC6s_v3" in result.err and "Standard_NC64as_T4_v3" in result.err
    assert nothing_sent(emulator)


@pytest.mark.parametrize("args,message", [
    (["--node-vm-size", "Standard_ND96asr_v4"], "outside the supported list"),
    (["--security-module", "apparmor"], "--security-module apparmor is not supported on Azure Linux node pools."),
    (["--security-module", "smack"], "--security-module smack is not a security module this extension knows"),
    (["--os-sku", "Windows2022"], "--os-sku Windows2022 is not an Azure Linux OS SKU"),
    (["--gpu-driver", "None"], "--gpu-driver applies to GPU sizes only"),
    (["--labels", "kubernetes.azure.com/mode=x"], "prefix reserved"),
    (["--node-taints", "sku=gpu"], "--node-taints 'sku=gpu' is not a taint"),
    (["--enable-cluster-autoscaler", "--min-count", "3", "--max-count", "1"], "--min-count 3 is above --max-count 1"),
    (["--max-pods", "300"], "--max-pods 300 is out of range"),
])
def test_add_refusals_send_nothing(az, emulator, rg, args, message):
    result = az("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", "c1", "-n", "np", *args)
    assert result.code != 0 and message in result.err, result
    assert "Traceback" not in result.err
    assert nothing_sent(emulator)


# ---- list / show --------------------------------------------------------------------------
READINESS_POOLS = [
    pool_spec("system", mode="System", os_sku="AzureLinux"),
    pool_spec("ubuntu", os_sku="Ubuntu"),
    pool_spec("a100", os_sku="Ubuntu", vm_size="Standard_NC24ads_A100_v4"),
    pool_spec("win", os_sku="Windows2022"),
]


def test_list_shows_readiness_as_json_and_table(az, emulator, rg, seed_cluster):
    cluster = seed_cluster(READINESS_POOLS)
    listed = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", cluster).json
    readiness = {p["name"]: p["azureLinuxReadiness"] for p in listed}
    assert readiness["system"] == {"status": "on Azure Linux", "reason": None, "azureLinuxVersion": "3.0"}
    assert readiness["ubuntu"] == {"status": "can migrate", "reason": None}
    assert readiness["a100"]["status"] == "blocked" and "NC A100 v4" in readiness["a100"]["reason"]
    assert readiness["win"]["status"] == "blocked" and "Windows pool" in readiness["win"]["reason"]
    table = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", cluster, "-o", "table").out
    header = table.splitlines()[0].split()
    assert header == ["Name", "Mode", "VmSize", "Count", "Autoscale", "OsSku", "State", "AzureLinux"]
    assert any(line.startswith("ubuntu") and "can migrate" in line for line in table.splitlines())
    assert [e["method"] for e in arm_requests(emulator, mutating_only=True)] == []


def test_list_flags_pools_left_on_azure_linux_2(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux")], kubernetes_version="1.30.4")
    [pool] = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", cluster).json
    readiness = pool["azureLinuxReadiness"]
    assert readiness["status"] == "on Azure Linux" and readiness["azureLinuxVersion"] == "2.0"
    assert "end of support" in readiness["reason"] and "--os-sku AzureLinux3" in readiness["reason"]
    table = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", cluster, "-o", "table").out
    assert "on Azure Linux: AzureLinux on Kubernetes 1.30.4 lands on Azure Linux 2.0" in table


def test_show_as_json_and_table(az, rg, seed_cluster):
    cluster = seed_cluster(READINESS_POOLS)
    shown = az.ok("aks", "azurelinux", "nodepool", "show", "-g", rg, "--cluster-name", cluster, "-n", "ubuntu").json
    assert shown["name"] == "ubuntu" and shown["azureLinuxReadiness"]["status"] == "can migrate"
    table = az.ok("aks", "azurelinux", "nodepool", "show", "-g", rg, "--cluster-name", cluster, "-n", "ubuntu",
                  "-o", "table").out
    assert "ubuntu" in table.splitlines()[2] and "can migrate" in table


def test_show_of_missing_things_says_which(az, rg, seed_cluster):
    cluster = seed_cluster()
    pool = az("aks", "azurelinux", "nodepool", "show", "-g", rg, "--cluster-name", cluster, "-n", "nothere")
    assert pool.code == 3 and "--name nothere: cluster c1 has no node pool of that name" in pool.err
    cl = az("aks", "azurelinux", "nodepool", "show", "-g", rg, "--cluster-name", "nocluster", "-n", "x")
    assert cl.code == 3 and "--cluster-name nocluster does not exist" in cl.err
    group = az("aks", "azurelinux", "nodepool", "show", "-g", "nogroup", "--cluster-name", "c", "-n", "x")
    assert group.code == 3 and "--resource-group nogroup does not exist" in group.err


# ---- delete -------------------------------------------------------------------------------
def test_delete_with_yes(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("gone")])
    az.ok("aks", "azurelinux", "nodepool", "delete", "-g", rg, "--cluster-name", cluster, "-n", "gone", "--yes")
    assert emulator.arm("GET", resource_path(rg, cluster, "gone")).status_code == 404
    assert [e["method"] for e in arm_requests(emulator, mutating_only=True)] == ["DELETE"]


def test_delete_without_yes_and_without_a_terminal_sends_nothing(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("kept")])
    result = az("aks", "azurelinux", "nodepool", "delete", "-g", rg, "--cluster-name", cluster, "-n", "kept")
    assert result.code != 0 and "--yes" in result.err
    assert nothing_sent(emulator)


def test_delete_of_the_last_system_pool_is_one_clear_sentence(az, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    result = az("aks", "azurelinux", "nodepool", "delete", "-g", rg, "--cluster-name", cluster, "-n", "system",
                "--yes")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if not line.startswith("WARNING: Command group")]  # preview
    assert errors == ["ERROR: --name system is the last System pool of cluster c1, and a cluster must keep one: add "
                      "another System pool first (az aks azurelinux nodepool add --mode System), then delete this one."]
    assert emulator.arm("GET", resource_path(rg, cluster, "system")).json()["properties"]["provisioningState"] == \
        "Succeeded"


def test_delete_no_wait_then_wait(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("slow")])
    emulator.configure(operationSeconds=2)
    az.ok("aks", "azurelinux", "nodepool", "delete", "-g", rg, "--cluster-name", cluster, "-n", "slow", "--yes",
          "--no-wait")
    assert emulator.arm("GET", resource_path(rg, cluster, "slow")).json()["properties"]["provisioningState"] == "Deleting"
    az.ok("aks", "azurelinux", "nodepool", "wait", "-g", rg, "--cluster-name", cluster, "-n", "slow", "--deleted",
          "--interval", "1")
    assert emulator.arm("GET", resource_path(rg, cluster, "slow")).status_code == 404


# ---- check / vm-size list -----------------------------------------------------------------
def test_check_allowed_exits_zero_without_a_request(az, emulator):
    report = az.ok("aks", "azurelinux", "check", "--node-vm-size", "Standard_NC6s_v3", "--os-sku", "AzureLinux3",
                   "--kubernetes-version", "1.33", "--security-module", "none").json
    assert report["allowed"] is True and report["findings"] == []
    assert nothing_sent(emulator)


def test_check_refused_prints_the_report_and_exits_one(az, emulator):
    result = az("aks", "azurelinux", "check", "--node-vm-size", "Standard_NC24ads_A100_v4", "--os-sku",
                "AzureLinux", "--kubernetes-version", "1.30", "--security-module", "selinux")
    assert result.code == 1
    report = result.json
    assert report["allowed"] is False
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [
        ("gpu-nca100v4-refused", "error"), ("azure-linux-2-retired", "warning"),
        ("security-module-selinux-manual", "info")]
    assert all(f["source"] and f["date"] for f in report["findings"])
    table = az("aks", "azurelinux", "check", "--security-module", "apparmor", "-o", "table")
    assert table.code == 1 and table.out.splitlines()[0].split()[:3] == ["Severity", "Rule", "Message"]
    query = az("aks", "azurelinux", "check", "--security-module", "apparmor", "--query", "allowed")
    assert query.code == 1 and query.out.strip() == "false"
    assert nothing_sent(emulator)


def test_check_needs_something_to_check(az):
    result = az("aks", "azurelinux", "check")
    assert result.code == 1 and "Nothing to check" in result.err


def test_vm_size_list_as_json_and_table(az, emulator):
    rows = az.ok("aks", "azurelinux", "vm-size", "list").json
    by_size = {r["size"]: r for r in rows}
    assert by_size["Standard_NC4as_T4_v3"]["supported"] is True
    assert by_size["Standard_NC24ads_A100_v4"]["supported"] is False
    assert by_size["Standard_NC24ads_A100_v4"]["series"] == "NC A100 v4"
    assert all({"size", "series", "gpu", "supported", "reason", "source", "date"} <= set(r) for r in rows)
    table = az.ok("aks", "azurelinux", "vm-size", "list", "-o", "table").out
    assert table.splitlines()[0].split() == ["Size", "Series", "Gpu", "Supported", "Reason", "Date", "Source"]
    assert nothing_sent(emulator)


# ---- help ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    "aks azurelinux", "aks azurelinux create", "aks azurelinux check", "aks azurelinux vm-size list",
    "aks azurelinux wait", "aks azurelinux migrate", "aks azurelinux nodepool", "aks azurelinux nodepool add",
    "aks azurelinux nodepool list", "aks azurelinux nodepool show", "aks azurelinux nodepool delete",
    "aks azurelinux nodepool migrate", "aks azurelinux nodepool wait"])
def test_help_has_a_summary_and_examples(az, command):
    result = az.ok(*command.split(), "--help")
    assert "Command" in result.out or "Group" in result.out
    if len(command.split()) > 2 and command not in ("aks azurelinux nodepool",):
        assert "Examples" in result.out, result


def test_the_extension_runs_from_the_installed_wheel(az):
    shown = az.ok("extension", "show", "-n", "azurelinux").json
    assert shown["path"].startswith(az.extension_dir) and shown["version"] == "1.0.0b1"
    debug = az("aks", "azurelinux", "vm-size", "list", "--debug")
    assert os.path.join(az.extension_dir, "azurelinux") in debug.err
    assert secret_free(debug)


def test_the_code_that_runs_is_the_wheels_even_from_the_source_tree(az):
    """`az` is `python -m azure.cli`, which puts the working folder first on sys.path: run in the repository, as make
    test runs it, it imported azext_azurelinux from the source tree and tested that instead of the installed wheel
    (a file left out of the wheel would have passed). The verbose import log names the file of every module."""
    imports = az.with_env(PYTHONVERBOSE="1")("aks", "azurelinux", "policy", "show", "-o", "none", cwd=ROOT)
    assert imports.code == 0, imports
    sources = re.findall(r"^# code object from '?([^'\s]*azext_azurelinux[^'\s]*)", imports.err, re.MULTILINE)
    assert {os.path.basename(s).split(".")[0] for s in sources} >= {"__init__", "commands", "custom", "policy"}, sources
    assert all(s.startswith(os.path.join(az.extension_dir, "azurelinux") + os.sep) for s in sources), sources


def test_check_table_rows_carry_the_first_sentence_and_json_the_whole_message(az):
    args = ("aks", "azurelinux", "check", "--node-vm-size", "Standard_NC24ads_A100_v4", "--kubernetes-version", "1.30",
            "--security-module", "apparmor")
    whole = az(*args)
    table = az(*args, "-o", "table")
    assert whole.code == table.code == 1
    messages = [f["message"] for f in whole.json["findings"]]
    assert max(len(m) for m in messages) > 300  # the full refusal, with the supported sizes and the edition's hint
    widest = max(len(line) for line in table.out.splitlines())
    assert widest <= 200, table.out  # was over 500 characters: one paragraph in one cell
    assert "Standard_NC24ads_A100_v4 is not supported on Azure Linux node pools (NC A100 v4 series)." in table.out
    assert "Use one of:" not in table.out and "Use one of:" in messages[0]
