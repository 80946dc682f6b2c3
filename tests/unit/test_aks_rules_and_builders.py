# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The service's limits checked on the client, and the builders from arguments to SDK models."""
import pytest
from azure.mgmt.containerservice import models

from azext_azurelinux import aks_rules, builders


def get_model(name):
    return getattr(models, name)


@pytest.mark.parametrize("name,ok", [("a", True), ("pool1", True), ("abcdefghijkl", True), ("abcdefghijklm", False),
                                     ("Pool1", False), ("1pool", False), ("po-ol", False), ("", False), (None, False)])
def test_pool_names(name, ok):
    assert (aks_rules.pool_name(name) is None) == ok


@pytest.mark.parametrize("name,ok", [("c", True), ("my-cluster_1", True), ("-bad", False), ("bad-", False),
                                     ("a" * 63, True), ("a" * 64, False), ("has space", False)])
def test_cluster_names(name, ok):
    assert (aks_rules.cluster_name(name) is None) == ok


@pytest.mark.parametrize("count,mode,ok", [(0, "User", True), (0, "System", False), (1000, "System", True),
                                           (1001, "User", False), (-1, "User", False)])
def test_node_counts(count, mode, ok):
    assert (aks_rules.node_count(count, mode) is None) == ok


@pytest.mark.parametrize("enabled,count,low,high,mode,ok", [
    (True, None, 1, 3, "User", True), (True, 2, 1, 3, "User", True), (True, 5, 1, 3, "User", False),
    (True, None, 3, 1, "User", False), (True, None, 0, 3, "System", False), (True, None, None, 3, "User", False),
    (False, None, 1, None, "User", False), (False, 3, None, None, "User", True), (True, None, 1, 1001, "User", False),
])
def test_autoscaler_bounds(enabled, count, low, high, mode, ok):
    assert (aks_rules.autoscaler(enabled, count, low, high, mode) is None) == ok


def test_labels_and_taints():
    assert aks_rules.parse_labels(["team=data", "tier="]) == ({"team": "data", "tier": ""}, None)
    assert aks_rules.parse_labels("a=b c=d")[0] == {"a": "b", "c": "d"}
    for bad in (["noequals"], ["-bad=x"], ["kubernetes.azure.com/mode=x"], ["ok=" + "v" * 64], ["UPPER.Prefix/a=b"]):
        labels, error = aks_rules.parse_labels(bad)
        assert labels is None and error
    assert aks_rules.parse_taints("sku=gpu:NoSchedule, dedicated:NoExecute") == \
        (["sku=gpu:NoSchedule", "dedicated:NoExecute"], None)
    for bad in ("sku=gpu", "sku=gpu:Never", "=x:NoSchedule"):
        taints, error = aks_rules.parse_taints(bad)
        assert taints is None and ("NoSchedule" in error or "label key" in error)


def test_ranges_and_zones():
    assert aks_rules.max_pods(10) is None and aks_rules.max_pods(250) is None
    assert aks_rules.max_pods(9) and aks_rules.max_pods(251)
    assert aks_rules.os_disk_size(2048) is None and aks_rules.os_disk_size(2049)
    assert aks_rules.zones(["1", "3"]) is None and aks_rules.zones(["4"])


def test_agent_pool_builder_maps_every_argument():
    pool = builders.build_agent_pool(
        get_model, node_vm_size="Standard_NC4as_T4_v3", node_count=2, mode="User", os_sku="AzureLinux3",
        kubernetes_version="1.33", labels={"team": "ml"}, node_taints=["sku=gpu:NoSchedule"], zones=["1", "2"],
        max_pods=60, enable_cluster_autoscaler=True, min_count=1, max_count=4, gpu_driver="None",
        security_label=("azurelinux.security-module", "selinux"), enable_fips_image=True, enable_secure_boot=True, enable_vtpm=True,
        os_disk_size_gb=256, tags={"env": "test"})
    assert builders.request_body(pool) == {"properties": {
        "osType": "Linux", "osSKU": "AzureLinux3", "mode": "User", "vmSize": "Standard_NC4as_T4_v3", "count": 2,
        "orchestratorVersion": "1.33", "nodeLabels": {"team": "ml", "azurelinux.security-module": "selinux"},
        "nodeTaints": ["sku=gpu:NoSchedule"], "availabilityZones": ["1", "2"], "maxPods": 60, "osDiskSizeGB": 256,
        "enableFIPS": True, "securityProfile": {"enableSecureBoot": True, "enableVTPM": True},
        "gpuProfile": {"driver": "None"}, "tags": {"env": "test"}, "enableAutoScaling": True, "minCount": 1,
        "maxCount": 4}}


def test_agent_pool_builder_leaves_out_what_was_not_given():
    pool = builders.build_agent_pool(get_model, node_count=3)
    assert builders.request_body(pool) == {"properties": {"osType": "Linux", "osSKU": "AzureLinux", "mode": "User",
                                                          "count": 3}}


def test_autoscaler_count_defaults_to_min_count():
    pool = builders.build_agent_pool(get_model, enable_cluster_autoscaler=True, min_count=2, max_count=5)
    assert builders.request_body(pool)["properties"]["count"] == 2


def test_managed_cluster_builder():
    cluster = builders.build_managed_cluster(
        get_model, name="my_cluster", resource_group_name="rg.one", subscription_id="0123456789", location="eastus",
        nodepool_name="sys", node_count=2, os_sku="AzureLinux", kubernetes_version="1.33.5",
        ssh_key_value="ssh-ed25519 AAAAC3Nza me@host", enable_defender=True,
        defender_workspace="/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w",
        security_label=("azurelinux.security-module", "selinux"), tags={"a": "b"})
    body = builders.request_body(cluster)
    assert body["location"] == "eastus" and body["identity"] == {"type": "SystemAssigned"} and body["tags"] == {"a": "b"}
    props = body["properties"]
    assert props["dnsPrefix"] == "mycluster-rgone-012345" and props["kubernetesVersion"] == "1.33.5"
    assert props["agentPoolProfiles"] == [{"name": "sys", "type": "VirtualMachineScaleSets", "osType": "Linux",
                                           "osSKU": "AzureLinux", "mode": "System", "count": 2,
                                           "orchestratorVersion": "1.33.5",
                                           "nodeLabels": {"azurelinux.security-module": "selinux"}}]
    assert props["linuxProfile"]["ssh"]["publicKeys"] == [{"keyData": "ssh-ed25519 AAAAC3Nza me@host"}]
    assert props["securityProfile"]["defender"]["securityMonitoring"] == {"enabled": True}


def test_cluster_without_ssh_key_has_no_linux_profile():
    cluster = builders.build_managed_cluster(get_model, name="c", resource_group_name="r", subscription_id="s" * 8,
                                             location="westus")
    assert "linuxProfile" not in builders.request_body(cluster)["properties"]
    assert builders.dns_prefix("9lives", "rg", "abcdef12") == "a9lives-rg-abcdef"


def test_the_api_version_we_state_is_the_one_the_bundled_sdk_sends():
    from azure.mgmt.containerservice import ContainerServiceClient
    from azext_azurelinux import _consts
    from azext_azurelinux.migration import preflight
    client = ContainerServiceClient(credential=object(), subscription_id="0")
    assert _consts.API_VERSION == preflight.VERSIONS_API == client._config.api_version  # pylint: disable=protected-access
