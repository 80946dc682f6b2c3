# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The production options of create: each refusal and its valid twin, and the REST fields compared with the bodies
core `az aks create` really sent (tests/data/core_create_bodies.json, made by tests/data/capture_core_create.py)."""
import base64
import json
import os
import re

import pytest

from azext_azurelinux import cluster_options as co
from azext_azurelinux import role_assignments as ra
from tests.emulator.network import Network
from tests.emulator.store import SUBSCRIPTION_ID, TENANT_ID

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
SUBNET = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/"
          "vnet1/subnets/nodes")
IDENTITY = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-net/providers/Microsoft.ManagedIdentity/"
            "userAssignedIdentities/id-cp")
KUBELET = IDENTITY[:-5] + "id-kubelet"
ZONE = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/"
        "team.privatelink.westeurope.azmk8s.io")
GROUP = "7f2c8a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
OVERLAY = {"network_plugin": "azure", "network_plugin_mode": "overlay"}
SERVICE = {"service_cidr": "10.100.0.0/16", "dns_service_ip": "10.100.0.10"}


def fake_key(kind="ssh-rsa"):
    """An OpenSSH public key as core's check reads one: a blob that starts with its own type."""
    blob = len(kind).to_bytes(4, "big") + kind.encode() + b"\x00\x00\x00\x03\x01\x00\x01"
    return f"{kind} {base64.b64encode(blob).decode()} someone@example"


# (case, refused options, the option named, the valid twin)
REFUSALS = [
    ("overlay-with-kubenet", {"network_plugin": "kubenet", "network_plugin_mode": "overlay"},
     "--network-plugin-mode", OVERLAY),
    ("pod-cidr-without-overlay", {"network_plugin": "azure", "pod_cidr": "192.168.0.0/16"},
     "--pod-cidr", dict(OVERLAY, pod_cidr="192.168.0.0/16")),
    ("policy-without-plugin", {"network_policy": "calico"}, "--network-policy",
     {"network_policy": "calico", "network_plugin": "azure"}),
    ("cilium-on-kubenet", {"network_plugin": "kubenet", "network_dataplane": "cilium"}, "--network-dataplane",
     dict(OVERLAY, network_dataplane="cilium")),
    ("cilium-without-overlay-or-subnet", {"network_plugin": "azure", "network_dataplane": "cilium"},
     "--network-dataplane", {"network_plugin": "azure", "network_dataplane": "cilium", "vnet_subnet_id": SUBNET,
                             "service_cidr": "10.100.0.0/16", "dns_service_ip": "10.100.0.10"}),
    ("cilium-with-calico", dict(OVERLAY, network_dataplane="cilium", network_policy="calico"), "--network-policy",
     dict(OVERLAY, network_dataplane="cilium", network_policy="cilium")),
    ("cilium-policy-without-dataplane", dict(OVERLAY, network_policy="cilium"), "--network-policy",
     dict(OVERLAY, network_policy="cilium", network_dataplane="cilium")),
    ("azure-policy-on-kubenet", {"network_plugin": "kubenet", "network_policy": "azure"}, "--network-policy",
     {"network_plugin": "kubenet", "network_policy": "calico"}),
    ("malformed-subnet-id", {"vnet_subnet_id": SUBNET.rsplit("/subnets/", 1)[0]}, "--vnet-subnet-id",
     {"vnet_subnet_id": SUBNET}),
    ("dns-outside-service-range", {"service_cidr": "10.100.0.0/16", "dns_service_ip": "10.0.0.10"},
     "--dns-service-ip", SERVICE),
    ("dns-outside-default-range", {"dns_service_ip": "172.16.0.10"}, "--dns-service-ip",
     {"dns_service_ip": "172.16.0.10", "service_cidr": "172.16.0.0/16"}),
    ("dns-is-network-address", {"service_cidr": "10.100.0.0/16", "dns_service_ip": "10.100.0.0"},
     "--dns-service-ip", SERVICE),
    ("dns-not-an-address", {"dns_service_ip": "10.0.0.300"}, "--dns-service-ip", {"dns_service_ip": "10.0.0.10"}),
    ("service-overlaps-pods", dict(OVERLAY, pod_cidr="10.0.0.0/14", service_cidr="10.1.0.0/16",
                                   dns_service_ip="10.1.0.10"), "--service-cidr",
     dict(OVERLAY, pod_cidr="192.168.0.0/16", service_cidr="10.1.0.0/16", dns_service_ip="10.1.0.10")),
    ("default-service-overlaps-subnet", {"network_plugin": "azure", "vnet_subnet_id": SUBNET,
                                         "subnet_prefix": "10.0.1.0/24"}, "--service-cidr",
     dict(SERVICE, network_plugin="azure", vnet_subnet_id=SUBNET, subnet_prefix="10.0.1.0/24")),
    ("service-overlaps-subnet", dict(SERVICE, network_plugin="azure", vnet_subnet_id=SUBNET,
                                     subnet_prefix="10.100.8.0/22"), "--service-cidr",
     dict(SERVICE, network_plugin="azure", vnet_subnet_id=SUBNET, subnet_prefix="10.224.0.0/16")),
    ("pods-overlap-subnet", dict(OVERLAY, **SERVICE, vnet_subnet_id=SUBNET, subnet_prefix="10.244.0.0/24"),
     "--pod-cidr", dict(OVERLAY, **SERVICE, vnet_subnet_id=SUBNET, subnet_prefix="10.244.0.0/24",
                        pod_cidr="192.168.0.0/16")),
    ("service-not-cidr", {"service_cidr": "10.100.0.0", "dns_service_ip": "10.100.0.10"}, "--service-cidr", SERVICE),
    ("service-host-bits", {"service_cidr": "10.100.0.5/16", "dns_service_ip": "10.100.0.10"}, "--service-cidr",
     SERVICE),
    ("service-in-reserved-range", {"service_cidr": "172.31.0.0/16", "dns_service_ip": "172.31.0.10"},
     "--service-cidr", {"service_cidr": "172.20.0.0/16", "dns_service_ip": "172.20.0.10"}),
    ("plugin-outside-set", {"network_plugin": "cni"}, "--network-plugin", {"network_plugin": "Azure"}),
    ("policy-not-lowercase", {"network_plugin": "azure", "network_policy": "Calico"}, "--network-policy",
     {"network_plugin": "azure", "network_policy": "calico"}),
    ("tier-outside-set", {"tier": "gold"}, "--tier", {"tier": "Premium"}),
    ("auto-upgrade-channel-outside-set", {"auto_upgrade_channel": "weekly"}, "--auto-upgrade-channel",
     {"auto_upgrade_channel": "node-image"}),
    ("node-os-channel-outside-set", {"node_os_upgrade_channel": "Daily"}, "--node-os-upgrade-channel",
     {"node_os_upgrade_channel": "SecurityPatch"}),
    ("outbound-outside-set", {"outbound_type": "nat"}, "--outbound-type", {"outbound_type": "loadBalancer"}),
    ("load-balancer-outside-set", {"load_balancer_sku": "premium"}, "--load-balancer-sku",
     {"load_balancer_sku": "Standard"}),
    ("support-plan-outside-set", {"k8s_support_plan": "Extended"}, "--k8s-support-plan",
     {"k8s_support_plan": "KubernetesOfficial"}),
    ("os-disk-type-outside-set", {"node_osdisk_type": "Temp"}, "--node-osdisk-type", {"node_osdisk_type": "Ephemeral"}),
    ("lts-on-standard", {"k8s_support_plan": "AKSLongTermSupport", "tier": "standard"}, "--k8s-support-plan",
     {"k8s_support_plan": "AKSLongTermSupport", "tier": "premium"}),
    ("lts-on-free", {"k8s_support_plan": "AKSLongTermSupport"}, "--k8s-support-plan",
     {"k8s_support_plan": "AKSLongTermSupport", "tier": "premium"}),
    ("workload-identity-without-oidc", {"enable_workload_identity": True}, "--enable-workload-identity",
     {"enable_workload_identity": True, "enable_oidc_issuer": True}),
    ("azure-rbac-without-aad", {"enable_azure_rbac": True}, "--enable-azure-rbac",
     {"enable_azure_rbac": True, "enable_aad": True}),
    ("no-local-accounts-without-aad", {"disable_local_accounts": True}, "--disable-local-accounts",
     {"disable_local_accounts": True, "enable_aad": True}),
    ("admin-group-not-guid", {"enable_aad": True, "aad_admin_group_object_ids": f"{GROUP},admins"},
     "--aad-admin-group-object-ids", {"enable_aad": True, "aad_admin_group_object_ids": f"{GROUP}, {GROUP.upper()}"}),
    ("tenant-not-guid", {"enable_aad": True, "aad_tenant_id": "contoso.com"}, "--aad-tenant-id",
     {"enable_aad": True, "aad_tenant_id": TENANT_ID}),
    ("identity-not-an-identity", {"assign_identity": SUBNET}, "--assign-identity", {"assign_identity": IDENTITY}),
    ("kubelet-without-identity", {"assign_kubelet_identity": KUBELET}, "--assign-kubelet-identity",
     {"assign_kubelet_identity": KUBELET, "assign_identity": IDENTITY}),
    ("ranges-on-private-cluster", {"api_server_authorized_ip_ranges": "20.30.40.0/24", "enable_private_cluster": True},
     "--api-server-authorized-ip-ranges", {"enable_private_cluster": True}),
    ("range-not-public", {"api_server_authorized_ip_ranges": "20.30.40.0/24,10.0.0.0/8"},
     "--api-server-authorized-ip-ranges", {"api_server_authorized_ip_ranges": "20.30.40.0/24, 52.1.2.3"}),
    ("range-ipv6", {"api_server_authorized_ip_ranges": "2001:db8::/32"}, "--api-server-authorized-ip-ranges",
     {"api_server_authorized_ip_ranges": "20.30.40.0/24"}),
    ("nodes-only-range-with-others", {"api_server_authorized_ip_ranges": "0.0.0.0/32,20.30.40.0/24"},
     "--api-server-authorized-ip-ranges", {"api_server_authorized_ip_ranges": "0.0.0.0/32"}),
    ("basic-lb-with-ranges", {"load_balancer_sku": "basic", "api_server_authorized_ip_ranges": "20.30.40.0/24"},
     "--api-server-authorized-ip-ranges", {"load_balancer_sku": "standard",
                                           "api_server_authorized_ip_ranges": "20.30.40.0/24"}),
    ("basic-lb-private", {"load_balancer_sku": "basic", "enable_private_cluster": True}, "--enable-private-cluster",
     {"load_balancer_sku": "standard", "enable_private_cluster": True}),
    ("basic-lb-with-outbound", {"load_balancer_sku": "basic", "outbound_type": "loadBalancer"}, "--outbound-type",
     {"load_balancer_sku": "basic"}),
    ("zone-without-private-cluster", {"private_dns_zone": "system"}, "--private-dns-zone",
     {"private_dns_zone": "system", "enable_private_cluster": True}),
    ("zone-not-a-zone", {"enable_private_cluster": True, "private_dns_zone": SUBNET, "assign_identity": IDENTITY},
     "--private-dns-zone", {"enable_private_cluster": True, "private_dns_zone": ZONE, "assign_identity": IDENTITY}),
    ("custom-zone-without-identity", {"enable_private_cluster": True, "private_dns_zone": ZONE}, "--private-dns-zone",
     {"enable_private_cluster": True, "private_dns_zone": "none"}),
    ("udr-without-subnet", {"outbound_type": "userDefinedRouting"}, "--outbound-type",
     dict(SERVICE, outbound_type="userDefinedRouting", vnet_subnet_id=SUBNET)),
    ("user-nat-without-subnet", {"outbound_type": "userAssignedNATGateway"}, "--outbound-type",
     dict(SERVICE, outbound_type="userAssignedNATGateway", vnet_subnet_id=SUBNET)),
    ("managed-nat-with-subnet", dict(SERVICE, outbound_type="managedNATGateway", vnet_subnet_id=SUBNET),
     "--vnet-subnet-id", {"outbound_type": "managedNATGateway"}),
    ("min-above-max", {"enable_cluster_autoscaler": True, "min_count": 5, "max_count": 3, "node_count": 3},
     "--min-count", {"enable_cluster_autoscaler": True, "min_count": 3, "max_count": 5, "node_count": 3}),
    ("autoscaler-without-max", {"enable_cluster_autoscaler": True, "min_count": 1, "node_count": 3},
     "--enable-cluster-autoscaler",
     {"enable_cluster_autoscaler": True, "min_count": 1, "max_count": 3, "node_count": 3}),
    ("bounds-without-autoscaler", {"min_count": 1, "max_count": 3, "node_count": 3}, "--min-count",
     {"min_count": 1, "max_count": 3, "node_count": 3, "enable_cluster_autoscaler": True}),
    ("count-outside-bounds", {"enable_cluster_autoscaler": True, "min_count": 5, "max_count": 10, "node_count": 3},
     "--node-count", {"enable_cluster_autoscaler": True, "min_count": 5, "max_count": 10, "node_count": 5}),
    ("system-min-zero", {"enable_cluster_autoscaler": True, "min_count": 0, "max_count": 3, "node_count": 1},
     "--min-count", {"enable_cluster_autoscaler": True, "min_count": 1, "max_count": 3, "node_count": 1}),
    ("max-above-1000", {"enable_cluster_autoscaler": True, "min_count": 1, "max_count": 1001, "node_count": 3},
     "--max-count", {"enable_cluster_autoscaler": True, "min_count": 1, "max_count": 1000, "node_count": 3}),
    ("pool-name-uppercase", {"nodepool_name": "System1"}, "--nodepool-name", {"nodepool_name": "system1"}),
    ("pool-name-too-long", {"nodepool_name": "systempool123"}, "--nodepool-name", {"nodepool_name": "systempool12"}),
    ("max-pods-too-low", {"max_pods": 5}, "--max-pods", {"max_pods": 30}),
    ("max-pods-too-high", {"network_plugin": "kubenet", "max_pods": 300}, "--max-pods",
     {"network_plugin": "kubenet", "max_pods": 250}),
    ("os-disk-too-large", {"node_osdisk_size": 5000}, "--node-osdisk-size", {"node_osdisk_size": 2048}),
    ("label-without-value", {"nodepool_labels": ["env"]}, "--nodepool-labels", {"nodepool_labels": ["env=prod"]}),
    ("label-reserved-prefix", {"nodepool_labels": "kubernetes.azure.com/mode=x"}, "--nodepool-labels",
     {"nodepool_labels": "example.com/mode=x"}),
    ("label-dict-bad-value", {"nodepool_labels": {"env": "not valid!"}}, "--nodepool-labels",
     {"nodepool_labels": {"env": "prod"}}),
    ("taint-bad-effect", {"nodepool_taints": "dedicated=infra:Sometimes"}, "--nodepool-taints",
     {"nodepool_taints": "dedicated=infra:NoSchedule,CriticalAddonsOnly=true:NoExecute"}),
    ("admin-username-digit-first", {"admin_username": "1admin"}, "--admin-username", {"admin_username": "opsadmin"}),
    ("ssh-key-not-a-key", {"ssh_key_value": "not-a-key"}, "--ssh-key-value", {"ssh_key_value": fake_key()}),
]


@pytest.mark.parametrize("case,refused,option,twin", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_names_its_option_and_its_valid_twin_passes(case, refused, option, twin):
    with pytest.raises(co.OptionError) as raised:
        co.validate(refused)
    error = raised.value
    assert error.option == option, (case, error.message)
    assert error.message.startswith(option) and error.message.endswith("."), error.message
    assert not re.search(r"\. [A-Z]", error.message), f"more than one sentence: {error.message}"
    assert error.kind in ("invalid", "missing", "exclusive")
    assert co.problems(twin) == [], [p.message for p in co.problems(twin)]


def test_messages_name_the_value_and_the_fix():
    error = co.problems({"service_cidr": "10.100.0.0/16", "dns_service_ip": "10.0.0.10"})[0]
    assert "10.0.0.10" in error.message and "10.100.0.0/16" in error.message and "10.100.0.10" in error.message
    default = co.problems({"dns_service_ip": "172.16.0.10"})[0].message
    assert "--service-cidr (not given, so AKS's default 10.0.0.0/16)" in default
    lts = co.problems({"k8s_support_plan": "AKSLongTermSupport", "tier": "standard"})[0]
    assert "--tier premium" in lts.message and "standard" in lts.message
    assert co.problems({"enable_workload_identity": True})[0].kind == "missing"
    assert co.problems({"api_server_authorized_ip_ranges": "1.2.3.4", "enable_private_cluster": True})[0].kind == \
        "exclusive"


def test_problems_lists_every_refusal_in_order():
    found = co.problems({"tier": "gold", "network_plugin": "kubenet", "network_plugin_mode": "overlay",
                         "enable_workload_identity": True})
    assert [p.option for p in found] == ["--tier", "--network-plugin-mode", "--enable-workload-identity"]
    assert co.problems({}) == []


def test_no_ssh_key_skips_the_key_check_and_cilium_rule_can_be_switched_off(monkeypatch):
    assert co.problems({"ssh_key_value": "not-a-key", "no_ssh_key": True}) == []
    monkeypatch.setattr(co, "CILIUM_NEEDS_OVERLAY_OR_SUBNET", False)
    assert co.problems({"network_plugin": "azure", "network_dataplane": "cilium"}) == []


def test_warnings_for_what_core_ignores_and_an_unreadable_subnet():
    notes = co.warnings({"aad_tenant_id": TENANT_ID, "skip_subnet_role_assignment": True},
                        subnet_read_error="AuthorizationFailed")
    assert len(notes) == 3 and "--aad-tenant-id is ignored without --enable-aad" in notes[0]
    assert "AuthorizationFailed" in notes[2] and "AKS will check them" in notes[2]
    assert co.warnings({"enable_aad": True, "aad_tenant_id": TENANT_ID}) == []


def test_range_helpers():
    assert co.subnet_overlap("10.0.0.0/16", "10.0.1.0/24") and not co.subnet_overlap("10.100.0.0/16", "10.0.1.0/24")
    assert co.dns_ip_in_range("10.0.0.10", "10.0.0.0/16")
    assert not co.dns_ip_in_range("10.0.0.1", "10.0.0.0/16") and not co.dns_ip_in_range("10.1.0.10", "10.0.0.0/16")
    assert not co.dns_ip_in_range("nonsense", "10.0.0.0/16") and not co.cidr_overlap("x", "10.0.0.0/8")
    assert co.parse_subnet_id(SUBNET) == (SUBSCRIPTION_ID, "rg-net", "vnet1", "nodes")
    assert co.parse_subnet_id(IDENTITY) is None
    assert co.is_valid_ssh_public_key(fake_key()) and not co.is_valid_ssh_public_key("ssh-rsa AAAA")


# ---- rest_fields against core's own bodies ----------------------------------------------
STORE_TRUE = {"--enable-aad", "--enable-azure-rbac", "--disable-local-accounts", "--enable-oidc-issuer",
              "--enable-workload-identity", "--enable-cluster-autoscaler", "--enable-private-cluster",
              "--skip-subnet-role-assignment", "--no-ssh-key", "--generate-ssh-keys"}
INTEGERS = {"--min-count", "--max-count", "--node-count", "--max-pods", "--node-osdisk-size"}
SHORT = {"-k": "kubernetes_version", "-g": "resource_group_name", "-n": "name", "-o": "output"}
# Fields core fills with AKS's own default, which our fragment may leave out (see core_create_options.md).
AKS_DEFAULTS = {("properties", "agentPoolProfiles", "nodeTaints"): [],
                ("properties", "agentPoolProfiles", "enableAutoScaling"): False,
                ("properties", "agentPoolProfiles", "name"): "nodepool1"}


def options_of(command, ssh_key):
    """The options dict of a captured `az aks create` command line, as core's parser would fill it."""
    options, args, index = {"node_count": 3}, command[3:], 0
    while index < len(args):
        flag = args[index]
        key = SHORT.get(flag) or flag.lstrip("-").replace("-", "_")
        if flag in STORE_TRUE:
            options[key], index = True, index + 1
            continue
        values = []
        index += 1
        while index < len(args) and not args[index].startswith("-"):
            values.append(args[index])
            index += 1
        value = values if flag == "--nodepool-labels" else values[0]
        options[key] = int(value) if flag in INTEGERS else value
    if ssh_key and not options.get("no_ssh_key"):
        options["ssh_key_value"] = ssh_key
    return options


def core_sets():
    with open(os.path.join(DATA, "core_create_bodies.json"), encoding="utf-8") as handle:
        return json.load(handle)["optionSets"]


def kubelet_ids(options):
    """The ids the emulator's identity answered core with (the same Network, seeded the same way)."""
    if not options.get("assign_kubelet_identity"):
        return None
    network = Network(SUBSCRIPTION_ID, TENANT_ID)
    parts = options["assign_kubelet_identity"].split("/")
    return network.put_identity(parts[4], parts[-1], {})[0]["properties"]


def compare(ours, core, path=()):
    """Every field ours sets equals core's; every field core sets (under what the options control) is ours too,
    unless it is one of AKS's defaults."""
    differences = []
    for key in set(ours) | set(core):
        here = path + (key,)
        if key == "agentPoolProfiles":
            differences += compare(ours[key][0], core[key][0], here)
        elif key not in ours:
            if AKS_DEFAULTS.get(here, object()) != core[key]:
                differences.append(f"{'.'.join(here)}: core sends {core[key]!r}, ours leaves it out")
        elif key not in core:
            differences.append(f"{'.'.join(here)}: ours sends {ours[key]!r}, core does not")
        elif isinstance(ours[key], dict) and isinstance(core[key], dict) and key not in ("nodeLabels",
                                                                                         "userAssignedIdentities"):
            differences += compare(ours[key], core[key], here)
        elif ours[key] != core[key]:
            differences.append(f"{'.'.join(here)}: core {core[key]!r}, ours {ours[key]!r}")
    return differences


CONTROLLED = {"sku", "identity", "properties"}
CONTROLLED_PROPERTIES = {"disableLocalAccounts", "networkProfile", "aadProfile", "apiServerAccessProfile",
                         "oidcIssuerProfile", "securityProfile", "identityProfile", "autoUpgradeProfile",
                         "supportPlan", "linuxProfile", "agentPoolProfiles"}
CONTROLLED_POOL = {"name", "vnetSubnetID", "count", "enableAutoScaling", "minCount", "maxCount", "nodeLabels",
                   "nodeTaints", "osDiskSizeGB", "osDiskType", "maxPods"}


def controlled_part(body):
    part = {k: v for k, v in body.items() if k in CONTROLLED}
    props = {k: v for k, v in body["properties"].items() if k in CONTROLLED_PROPERTIES}
    props["agentPoolProfiles"] = [{k: v for k, v in props["agentPoolProfiles"][0].items() if k in CONTROLLED_POOL}]
    return dict(part, properties=props)


@pytest.mark.parametrize("captured", core_sets(), ids=lambda c: c["name"])
def test_rest_fields_match_what_core_sent_value_for_value(captured):
    assert captured["exitCode"] == 0, captured["stderr"]
    options = options_of(captured["command"], captured["sshPublicKeyUsed"])
    assert co.problems(options) == [], [p.message for p in co.problems(options)]
    ours = co.rest_fields(options, kubelet_identity=kubelet_ids(options))
    assert compare(ours, controlled_part(captured["clusterPutBody"])) == []


def test_at_least_four_production_option_sets_were_captured():
    names = [c["name"] for c in core_sets() if c["name"] != "baseline"]
    assert len(names) >= 4
    bodies = [c["clusterPutBody"]["properties"] for c in core_sets()]
    assert any(b.get("apiServerAccessProfile", {}).get("enablePrivateCluster") for b in bodies)
    assert any(b["agentPoolProfiles"][0].get("vnetSubnetID") for b in bodies)
    assert any(b.get("aadProfile") for b in bodies) and any(b.get("identityProfile") for b in bodies)


def test_basic_load_balancer_profile_and_merge():
    basic = co.rest_fields({"load_balancer_sku": "Basic"})["properties"]["networkProfile"]
    assert basic == {"loadBalancerSku": "basic"}
    fragment = co.rest_fields({"vnet_subnet_id": SUBNET, "max_pods": 0, "nodepool_labels": {"a": "b"}})
    assert fragment["properties"]["agentPoolProfiles"][0] == {"vnetSubnetID": SUBNET, "nodeLabels": {"a": "b"}}
    body = {"location": "eastus", "properties": {"dnsPrefix": "x", "networkProfile": {"podCidr": "1.0.0.0/8"},
                                                 "agentPoolProfiles": [{"name": "np", "count": 3}, {"name": "u"}]}}
    merged = co.merge(body, fragment)
    assert merged["properties"]["agentPoolProfiles"] == [{"name": "np", "count": 3, "vnetSubnetID": SUBNET,
                                                          "nodeLabels": {"a": "b"}}, {"name": "u"}]
    assert merged["properties"]["networkProfile"] == {"podCidr": "1.0.0.0/8", "loadBalancerSku": "standard",
                                                      "outboundType": "loadBalancer"}
    assert merged["location"] == "eastus" and body["properties"]["agentPoolProfiles"][0] == {"name": "np", "count": 3}


# ---- SSH keys, as core decides --------------------------------------------------------------
def test_ssh_key_plan_follows_core(tmp_path):
    home = str(tmp_path)
    default = os.path.join(home, ".ssh", "id_rsa.pub")
    assert co.ssh_key_plan(None, no_ssh_key=True, home=home) == ("none", None)
    assert co.ssh_key_plan(None, home=home, exists=lambda p: False) == ("none", None)
    assert co.ssh_key_plan(None, home=home, exists=lambda p: p == default) == ("read", default)
    assert co.ssh_key_plan(fake_key(), home=home, exists=lambda p: False) == ("key", fake_key())
    assert co.ssh_key_plan(None, generate_ssh_keys=True, home=home, exists=lambda p: False) == \
        ("generate", (default[:-4], default))
    other = os.path.join(home, "keys", "ops")
    assert co.ssh_key_plan(other, generate_ssh_keys=True, home=home, exists=lambda p: False) == \
        ("generate", (other + ".private", other))
    action, message = co.ssh_key_plan(other, home=home, exists=lambda p: False)
    assert action == "error" and message.startswith("--ssh-key-value") and "--generate-ssh-keys" in message


def test_read_or_generate_reuses_a_key_and_generates_one(tmp_path):
    home = str(tmp_path)
    generated = co.read_or_generate_ssh_key(co.ssh_key_plan(None, generate_ssh_keys=True, home=home))
    assert co.is_valid_ssh_public_key(generated) and generated.startswith("ssh-rsa ")
    assert os.path.exists(os.path.join(home, ".ssh", "id_rsa"))
    again = co.read_or_generate_ssh_key(co.ssh_key_plan(None, generate_ssh_keys=True, home=home))
    assert again == generated  # the existing ~/.ssh/id_rsa.pub is read, not replaced
    assert co.read_or_generate_ssh_key(("key", fake_key() + "\n")) == fake_key()
    assert co.read_or_generate_ssh_key(("none", None)) is None


# ---- the subnet role assignment against core's own requests --------------------------------
def captured_requests(name):
    return next(c for c in core_sets() if c["name"] == name)["requests"]


def test_role_assignment_plan_for_each_identity():
    assert ra.subnet_assignment_plan({}) is None
    assert ra.subnet_assignment_plan({"vnet_subnet_id": SUBNET, "skip_subnet_role_assignment": True}) is None
    assert ra.subnet_assignment_plan({"vnet_subnet_id": SUBNET})["when"] == "after-put"
    user = ra.subnet_assignment_plan({"vnet_subnet_id": SUBNET, "assign_identity": IDENTITY})
    assert user == {"scope": SUBNET, "when": "before-create", "assignee": "user-assigned", "identityId": IDENTITY}


@pytest.mark.parametrize("name", ["byo-subnet-system-identity-lts", "private-user-identity-udr"])
def test_role_assignment_request_is_core_s(name):
    requests = captured_requests(name)
    put = next(r for r in requests if r["method"] == "PUT" and "/subnets/" in r["path"]
               and "roleAssignments/" in r["path"])
    scope, assignment = put["path"].split("/providers/Microsoft.Authorization/roleAssignments/")
    ours = ra.role_assignment_request(scope, put["body"]["properties"]["principalId"], name=assignment)
    assert (ours["method"], ours["path"], ours["body"]) == ("PUT", put["path"], put["body"])
    assert ours["api-version"] == put["query"]["api-version"]
    listed = next(r for r in requests if r["method"] == "GET" and r["path"].endswith("/roleAssignments"))
    first = ra.existing_assignments_request(scope)
    assert (first["path"], first["params"]["$filter"], first["api-version"]) == \
        (listed["path"], listed["query"]["$filter"], listed["query"]["api-version"])
    puts = [r["path"] for r in requests if r["method"] == "PUT"]
    order = "after-put" if puts.index(put["path"]) > 0 else "before-create"
    options = options_of(next(c for c in core_sets() if c["name"] == name)["command"], None)
    assert ra.subnet_assignment_plan(options)["when"] == order


def test_kubelet_identity_requests_are_core_s():
    requests = captured_requests("private-user-identity-udr")
    put = next(r for r in requests if r["method"] == "PUT" and "userassignedidentities/id-kubelet" in r["path"])
    principal = put["body"]["properties"]["principalId"]
    ours = ra.kubelet_operator_request(KUBELET.replace("rg-net", "rg-network"), principal)
    assert ours["body"] == put["body"] and ours["path"].rsplit("/", 1)[0] == put["path"].rsplit("/", 1)[0]
    identity_get = next(r for r in requests if r["method"] == "GET" and r["path"].endswith("/id-kubelet"))
    assert ra.identity_request(identity_get["path"])["api-version"] == identity_get["query"]["api-version"]


def test_existing_assignments_and_the_warning():
    role = ra.role_definition_id(SUBSCRIPTION_ID)
    listed = [{"properties": {"scope": SUBNET.upper(), "roleDefinitionId": role, "principalId": "p1"}}]
    assert ra.has_network_contributor(listed, SUBNET)
    assert not ra.has_network_contributor(listed, SUBNET + "2") and not ra.has_network_contributor([], SUBNET)
    above = [{"properties": {"scope": SUBNET.split("/providers/")[0], "principalId": "P1",
                             "roleDefinitionId": ra.role_definition_id(SUBSCRIPTION_ID,
                                                                       ra.MANAGED_IDENTITY_OPERATOR_ROLE)}}]
    assert ra.has_role(above, KUBELET, "p1", ra.MANAGED_IDENTITY_OPERATOR_ROLE)
    assert not ra.has_role(above, KUBELET, "p2", ra.MANAGED_IDENTITY_OPERATOR_ROLE)
    assert not ra.has_role(above, "/subscriptions/other/resourceGroups/rg-net", "p1", ra.MANAGED_IDENTITY_OPERATOR_ROLE)
    assert ra.role_assignment_name(SUBNET, "p1") == ra.role_assignment_name(SUBNET.upper(), "P1")
    warning = ra.role_assignment_warning(SUBNET, "p1", "AuthorizationFailed")
    assert "az role assignment create --assignee-object-id p1" in warning and f"--scope {SUBNET}" in warning
