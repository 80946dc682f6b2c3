# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""`az aks azurelinux create` with the options production clusters pass to core `az aks create`: the same options
give the same body, field for field, as core 2.91 sends (both captured from the emulator's request log here, core
run in the same test against the same emulator), plus what our policy adds; bad combinations are refused before
anything is sent; the subnet's role assignment is made (or skipped) as core makes it."""
import json

import pytest

from tests import production_create
from tests.e2e.conftest import arm_requests
from tests.emulator.store import SUBSCRIPTION_ID

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ0ZXN0a2V5Zm9ydGhlZW11bGF0b3Jvbmx5MDEyMzQ1 tester@example"
# What the options set, in the cluster body: compared leaf by leaf between core's body and ours.
SET_BY_OPTIONS = ("sku", "identity", "properties.networkProfile", "properties.aadProfile",
                  "properties.apiServerAccessProfile", "properties.oidcIssuerProfile",
                  "properties.securityProfile.workloadIdentity", "properties.identityProfile",
                  "properties.supportPlan", "properties.autoUpgradeProfile", "properties.disableLocalAccounts",
                  "properties.linuxProfile", "properties.kubernetesVersion", "properties.agentPoolProfiles.0")
# Where ours differs from core's on purpose, each explained:
EXPLAINED = {
    # core sends AKS's own defaults for the system pool; we leave them to AKS (the issue allows it)
    "properties.agentPoolProfiles.0.nodeTaints": "core sends [] (no taints), AKS's default",
    "properties.agentPoolProfiles.0.enableAutoScaling": "core sends false without the autoscaler, AKS's default",
    # our policy and our builder's: the system pool is named and typed as AKS would, and marked Linux explicitly
    "properties.agentPoolProfiles.0.type": "we name VirtualMachineScaleSets, AKS's default that core leaves out",
    "properties.agentPoolProfiles.0.osType": "we name Linux: the system pool must be Linux, as our policy says",
    "properties.agentPoolProfiles.0.enableNodePublicIP": "core sends false, AKS's default",
    "properties.agentPoolProfiles.0.enableEncryptionAtHost": "core sends false, AKS's default",
    "properties.agentPoolProfiles.0.enableUltraSSD": "core sends false, AKS's default",
    "properties.agentPoolProfiles.0.enableFIPS": "core sends false, AKS's default",
    "properties.agentPoolProfiles.0.scaleSetPriority": "core sends Regular, AKS's default",
    "properties.agentPoolProfiles.0.scaleDownMode": "core sends Delete, AKS's default",
    "properties.agentPoolProfiles.0.upgradeSettings": "core sends an empty object",
    "properties.agentPoolProfiles.0.securityProfile": "core sends its own defaults (sshAccess LocalUser)",
    "properties.agentPoolProfiles.0.gpuProfile": "core sends none",
    "properties.agentPoolProfiles.0.vmSize": "core picks a default size; we leave it to AKS unless --node-vm-size",
    "properties.agentPoolProfiles.0.orchestratorVersion": "core sends -k on the pool too; we send it on the cluster",
}


def flat(value, prefix=""):
    if isinstance(value, dict):
        items = {}
        for key, inner in value.items():
            items.update(flat(inner, f"{prefix}.{key}" if prefix else key))
        return items or {prefix: {}}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        items = {}
        for index, inner in enumerate(value):
            items.update(flat(inner, f"{prefix}.{index}"))
        return items
    return {prefix: value}


def compared(body):
    return {path: value for path, value in flat(body).items()
            if any(path == p or path.startswith(p + ".") for p in SET_BY_OPTIONS)}


def unexplained(core, ours):
    core_fields, our_fields = compared(core), compared(ours)
    differ = {}
    for path in sorted(set(core_fields) | set(our_fields)):
        if core_fields.get(path) == our_fields.get(path) or (core_fields.get(path) in ("", None) and
                                                              our_fields.get(path) in ("", None)):
            continue  # core sends "" for a value it leaves to AKS (the Kubernetes version): the same as not sending
        if any(path == p or path.startswith(p + ".") for p in EXPLAINED):
            continue
        differ[path] = (core_fields.get(path), our_fields.get(path))
    return differ


@pytest.fixture
def network(emulator, rg):
    """A virtual network with subnets and two user-assigned identities in the test's resource group."""
    emulator.admin("POST", "network", {
        "virtualNetworks": [{"resourceGroup": rg, "name": "vnet", "location": "eastus",
                             "addressPrefixes": ["10.224.0.0/12"],
                             "subnets": [{"name": "nodes", "addressPrefix": "10.224.0.0/16"},
                                         {"name": "private", "addressPrefix": "10.225.0.0/16"},
                                         {"name": "kubenet", "addressPrefix": "10.226.0.0/16"}]}],
        "identities": [{"resourceGroup": rg, "name": "id-control-plane", "location": "eastus"},
                       {"resourceGroup": rg, "name": "id-kubelet", "location": "eastus"}]})
    base = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers"
    return {"subnet": f"{base}/Microsoft.Network/virtualNetworks/vnet/subnets",
            "identity": f"{base}/Microsoft.ManagedIdentity/userAssignedIdentities"}


def option_sets(net):
    return production_create.option_sets(net["subnet"], net["identity"], (PUBLIC_KEY, PUBLIC_KEY))


def put_body(emulator, cluster):
    puts = [e for e in arm_requests(emulator) if e["method"] == "PUT" and
            e["path"].lower().endswith(f"/managedclusters/{cluster}")]
    assert len(puts) == 1, puts
    return puts[0]["body"]


@pytest.mark.parametrize("name", production_create.NAMES)
def test_the_same_options_send_what_core_sends(az, emulator, rg, network, name):
    options = option_sets(network)[name]
    sku = [] if "-k" in options and "1.30" in options else ["--os-sku", "AzureLinux"]
    emulator.clear_requests()
    core = az("aks", "create", "-g", rg, "-n", "core", *sku, *options, "-o", "json")
    assert core.code == 0, core
    core_body = put_body(emulator, "core")
    emulator.clear_requests()
    ours_sku = ["--os-sku", "AzureLinux3"] if not sku else []
    ours = az("aks", "azurelinux", "create", "-g", rg, "-n", "ours", *ours_sku, *options, "-o", "json")
    assert ours.code == 0, ours
    our_body = put_body(emulator, "ours")
    if ours_sku:  # core's pool on 1.30 is AzureLinux (Azure Linux 2.0, retired): ours is refused that, see below
        core_body["properties"]["agentPoolProfiles"][0]["osSKU"] = "AzureLinux3"
    assert {"sku.tier", "identity.type", "properties.networkProfile.loadBalancerSku"} <= set(compared(core_body))
    assert len(compared(our_body)) >= 15  # the comparison covers what the options set, not an empty body
    assert unexplained(core_body, our_body) == {}
    assert our_body["properties"]["agentPoolProfiles"][0]["osSKU"] in ("AzureLinux", "AzureLinux3")
    dry = az("aks", "azurelinux", "create", "-g", rg, "-n", "dry", *ours_sku, *options, "--dry-run")
    assert dry.code == 0 and unexplained(core_body, dry.json["body"]) == {}, dry


def test_the_subnet_role_assignment_is_made_for_the_clusters_identity_and_skipped_when_asked(az, emulator, rg,
                                                                                            network):
    subnet = f"{network['subnet']}/nodes"
    created = az.ok("aks", "azurelinux", "create", "-g", rg, "-n", "withrole", "--vnet-subnet-id", subnet,
                    "--network-plugin", "azure", "-o", "json")
    principal = created.json["identity"]["principalId"]
    assignments = [e for e in arm_requests(emulator) if e["method"] == "PUT" and "roleAssignments/" in e["path"]]
    assert len(assignments) == 1 and assignments[0]["path"].lower().startswith(subnet.lower())
    props = assignments[0]["body"]["properties"]
    assert props["principalId"] == principal and props["roleDefinitionId"].endswith(
        "4d97b98b-1d4f-4787-a291-c67834d212e7")  # Network Contributor
    cluster_put = [i for i, e in enumerate(arm_requests(emulator)) if e["method"] == "PUT" and
                   e["path"].lower().endswith("/managedclusters/withrole")][0]
    role_put = [i for i, e in enumerate(arm_requests(emulator)) if e["method"] == "PUT" and "roleAssignments/" in
                e["path"]][0]
    assert cluster_put < role_put  # the system-assigned identity exists only once AKS made it
    emulator.clear_requests()
    az.ok("aks", "azurelinux", "create", "-g", rg, "-n", "norole", "--vnet-subnet-id", subnet, "--network-plugin",
          "azure", "--skip-subnet-role-assignment", "-o", "none")
    assert [e for e in arm_requests(emulator) if "roleAssignments" in e["path"]] == []


def test_a_role_assignment_that_fails_is_a_warning_naming_the_command(az, emulator, rg, network):
    emulator.fault("forbidden", path=r"/roleAssignments/[^/]+$", method="PUT", count=5)
    result = az("aks", "azurelinux", "create", "-g", rg, "-n", "warned", "--vnet-subnet-id",
                f"{network['subnet']}/nodes", "-o", "none")
    assert result.code == 0, result
    assert "az role assignment create" in result.err and "Network Contributor" in result.err
    assert "Traceback" not in result.err


def test_a_subnet_that_cannot_be_read_is_a_warning_and_one_that_overlaps_is_refused(az, emulator, rg, network):
    missing = f"{network['subnet']}/nosuch"
    warned = az("aks", "azurelinux", "create", "-g", rg, "-n", "w", "--vnet-subnet-id", missing,
                "--skip-subnet-role-assignment", "--dry-run")
    assert warned.code == 0 and "Could not read the address prefix of --vnet-subnet-id" in warned.err, warned
    emulator.clear_requests()
    overlap = az("aks", "azurelinux", "create", "-g", rg, "-n", "o", "--vnet-subnet-id", f"{network['subnet']}/nodes",
                 "--network-plugin", "azure", "--service-cidr", "10.224.0.0/16", "--dns-service-ip", "10.224.0.10")
    assert overlap.code != 0 and "--service-cidr" in overlap.err and "10.224.0.0/16" in overlap.err, overlap
    assert arm_requests(emulator, mutating_only=True) == []


REFUSED = [
    (["--network-plugin", "kubenet", "--network-plugin-mode", "overlay"], "--network-plugin-mode",
     ["--network-plugin", "azure", "--network-plugin-mode", "overlay"]),
    (["--service-cidr", "10.10.0.0/16", "--dns-service-ip", "10.20.0.10"], "--dns-service-ip",
     ["--service-cidr", "10.10.0.0/16", "--dns-service-ip", "10.10.0.10"]),
    (["--network-plugin", "kubenet", "--pod-cidr", "10.0.0.0/14", "--service-cidr", "10.1.0.0/16",
      "--dns-service-ip", "10.1.0.10"], "--service-cidr",
     ["--network-plugin", "kubenet", "--pod-cidr", "10.244.0.0/16", "--service-cidr", "10.1.0.0/16",
      "--dns-service-ip", "10.1.0.10"]),
    (["--k8s-support-plan", "AKSLongTermSupport"], "--k8s-support-plan",
     ["--k8s-support-plan", "AKSLongTermSupport", "--tier", "premium", "-k", "1.33"]),
    (["--enable-workload-identity"], "--enable-workload-identity", ["--enable-workload-identity",
                                                                    "--enable-oidc-issuer"]),
    (["--vnet-subnet-id", "not-a-subnet"], "--vnet-subnet-id", ["--skip-subnet-role-assignment"]),
    (["--enable-cluster-autoscaler", "--min-count", "5", "--max-count", "2"], "--min-count",
     ["--enable-cluster-autoscaler", "--min-count", "2", "--max-count", "5"]),
    (["--enable-private-cluster", "--api-server-authorized-ip-ranges", "20.30.40.0/24"],
     "--api-server-authorized-ip-ranges", ["--enable-private-cluster"]),
    (["--network-dataplane", "cilium", "--network-policy", "calico", "--network-plugin", "azure",
      "--network-plugin-mode", "overlay"], "--network-policy",
     ["--network-dataplane", "cilium", "--network-policy", "cilium", "--network-plugin", "azure",
      "--network-plugin-mode", "overlay"]),
    (["--network-dataplane", "cilium", "--network-plugin", "azure"], "--network-dataplane",
     ["--network-dataplane", "cilium", "--network-plugin", "azure", "--network-plugin-mode", "overlay"]),
    (["--tier", "gold"], "--tier", ["--tier", "standard"]),
    (["--auto-upgrade-channel", "weekly"], "--auto-upgrade-channel", ["--auto-upgrade-channel", "stable"]),
    (["--assign-kubelet-identity", "/subscriptions/x/resourceGroups/r/providers/Microsoft.ManagedIdentity/"
      "userAssignedIdentities/k"], "--assign-kubelet-identity", ["--no-ssh-key"]),
]


@pytest.mark.parametrize("bad, option, good", REFUSED, ids=[r[1] + str(i) for i, r in enumerate(REFUSED)])
def test_a_refused_combination_sends_nothing_and_its_valid_twin_is_taken(az, emulator, rg, bad, option, good):
    emulator.clear_requests()
    refused = az("aks", "azurelinux", "create", "-g", rg, "-n", "bad", *bad, "--dry-run")
    assert refused.code != 0 and option in refused.err and "Traceback" not in refused.err, refused
    assert len([line for line in refused.err.strip().splitlines() if line.startswith("ERROR")]) <= 1
    assert arm_requests(emulator, mutating_only=True) == []
    accepted = az("aks", "azurelinux", "create", "-g", rg, "-n", "good", *good, "--dry-run")
    assert accepted.code == 0, accepted
    assert json.loads(accepted.out)["dryRun"] is True


def test_the_organisations_max_node_count_applies_to_max_count(az, emulator, rg, tmp_path):
    policy = tmp_path / "org.json"
    policy.write_text(json.dumps({"maxNodeCount": 5}))
    strict = az.with_env(AZURE_AZURELINUX_POLICY_FILE=str(policy))
    refused = strict("aks", "azurelinux", "create", "-g", rg, "-n", "big", "--enable-cluster-autoscaler",
                     "--min-count", "1", "--max-count", "10", "--dry-run")
    assert refused.code != 0 and "--max-count 10 is refused: maxNodeCount is 5" in refused.err, refused
    refused_size = az("aks", "azurelinux", "create", "-g", rg, "-n", "gpu", "--network-plugin", "azure",
                      "--network-plugin-mode", "overlay", "--node-vm-size", "Standard_NC24ads_A100_v4", "--dry-run")
    assert refused_size.code != 0 and "NC A100 v4" in refused_size.err
