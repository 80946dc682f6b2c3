# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The emulator's virtual networks, identities and role assignments, and AKS's checks of production cluster bodies:
what they refuse (with the service's codes) and the valid twin of each, over HTTP through the documented hook too."""
import asyncio
import copy
import importlib.util
import json
import os
import types

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.emulator.network import (NETWORK_CONTRIBUTOR, Network, check_cluster_body, fill_cluster_response,
                                    with_network)
from tests.emulator.rules import ServiceError
from tests.emulator.server import Emulator
from tests.emulator.store import SUBSCRIPTION_ID, TENANT_ID, Store

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
RG = "rg-net"
VNET = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet1"
SUBNET = f"{VNET}/subnets/nodes"
ROLE = f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{NETWORK_CONTRIBUTOR}"


@pytest.fixture
def network():
    net = Network(SUBSCRIPTION_ID, TENANT_ID)
    net.seed({"virtualNetworks": [{"resourceGroup": RG, "name": "vnet1", "addressPrefixes": ["10.224.0.0/12"],
                                   "subnets": [{"name": "nodes", "addressPrefix": "10.224.0.0/16"},
                                               {"name": "other", "addressPrefix": "10.225.0.0/24"}]}],
              "identities": [{"resourceGroup": RG, "name": "id-cp"}, {"resourceGroup": RG, "name": "id-kubelet"}]})
    return net


def refused(call):
    with pytest.raises(ServiceError) as raised:
        call()
    return raised.value


# ---- virtual networks, subnets, identities -------------------------------------------------
def test_subnets_are_served_and_checked_as_azure_does(network):
    assert network.subnet(RG, "vnet1", "nodes")["properties"]["addressPrefix"] == "10.224.0.0/16"
    assert network.subnet_by_id(SUBNET.upper())["name"] == "nodes"
    assert network.sibling_prefixes(SUBNET) == [("nodes", "10.224.0.0/16"), ("other", "10.225.0.0/24")]
    outside = refused(lambda: network.put_subnet(RG, "vnet1", "x", {"properties": {"addressPrefix": "10.0.0.0/24"}}))
    assert (outside.status, outside.code) == (400, "NetcfgSubnetRangeOutsideVnet")
    overlap = refused(lambda: network.put_subnet(RG, "vnet1", "x", {"properties": {"addressPrefix": "10.224.1.0/24"}}))
    assert overlap.code == "NetcfgSubnetRangesOverlap" and "'nodes'" in overlap.message
    assert refused(lambda: network.subnet(RG, "vnet1", "missing")).status == 404
    assert refused(lambda: network.vnet(RG, "nope")).code == "ResourceNotFound"
    doc, created = network.put_subnet(RG, "vnet1", "pods", {"properties": {"addressPrefix": "10.226.0.0/16"}})
    assert created and doc["id"] == f"{VNET}/subnets/pods"


def test_identities_have_stable_principal_and_client_ids(network):
    first = network.identity(network.identity_id(RG, "id-cp"))["properties"]
    again = Network(SUBSCRIPTION_ID, TENANT_ID).put_identity(RG, "id-cp", {})[0]["properties"]
    assert first == again and first["tenantId"] == TENANT_ID and first["principalId"] != first["clientId"]
    assert refused(lambda: network.identity(network.identity_id(RG, "none"))).status == 404


def test_role_assignments_and_definitions(network):
    definitions = network.role_definitions("roleName eq 'Network Contributor'")
    assert [d["id"] for d in definitions] == [ROLE]
    assert refused(lambda: network.role_definition("00000000-0000-0000-0000-000000000000")).code == \
        "RoleDefinitionDoesNotExist"
    body = {"properties": {"roleDefinitionId": ROLE, "principalId": "p1", "principalType": "ServicePrincipal"}}
    name = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
    doc, created = network.put_assignment(SUBNET, name, body)
    assert created and doc["properties"]["scope"] == SUBNET and doc["id"].endswith(f"/roleAssignments/{name}")
    assert network.put_assignment(SUBNET, name, body)[1] is False  # the same PUT again is idempotent
    duplicate = refused(lambda: network.put_assignment(SUBNET, "0b9e6e57-6f71-4f6b-9c4a-0d2b8d3f1e2a", body))
    assert (duplicate.status, duplicate.code) == (409, "RoleAssignmentExists")
    assert refused(lambda: network.put_assignment(SUBNET, "not-a-guid", body)).code == "InvalidRoleAssignmentId"
    vnet_wide = dict(body, properties=dict(body["properties"], principalId="p2"))
    network.put_assignment(VNET, "1b9e6e57-6f71-4f6b-9c4a-0d2b8d3f1e2a", vnet_wide)
    at_subnet = network.list_assignments(SUBNET, "atScope()")
    assert sorted(a["properties"]["principalId"] for a in at_subnet) == ["p1", "p2"]
    assert [a["properties"]["principalId"] for a in network.list_assignments(VNET, "atScope()")] == ["p2"]
    assert len(network.list_assignments(VNET)) == 2  # without atScope(), those below the scope too
    assert [a["name"] for a in network.list_assignments(SUBNET, "atScope() and assignedTo('P1')")] == [name]
    assert refused(lambda: network.assignment(SUBNET, "1b9e6e57-6f71-4f6b-9c4a-0d2b8d3f1e2a")).code == \
        "RoleAssignmentNotFound"


# ---- AKS's checks of a cluster body ----------------------------------------------------------
def body(network_profile=None, pool=None, **props):
    cluster = {"location": "westeurope", "identity": {"type": "SystemAssigned"}, "sku": {"name": "Base",
                                                                                         "tier": "Free"},
               "properties": dict({"dnsPrefix": "c1", "agentPoolProfiles": [dict({"name": "nodepool1", "count": 3,
                                                                                  "mode": "System"}, **(pool or {}))],
                                   "networkProfile": dict({"loadBalancerSku": "standard"}, **(network_profile or {}))},
                                  **props)}
    return cluster


CLUSTER_REFUSALS = [
    ("overlay-with-kubenet", body({"networkPlugin": "kubenet", "networkPluginMode": "overlay"}),
     "UnsupportedNetworkPluginModeWithNetworkPlugin", body({"networkPlugin": "azure", "networkPluginMode": "overlay"})),
    ("dns-outside-service-range", body({"networkPlugin": "azure", "serviceCidr": "10.100.0.0/16",
                                        "dnsServiceIP": "10.0.0.10"}), "InvalidParameter",
     body({"networkPlugin": "azure", "serviceCidr": "10.100.0.0/16", "dnsServiceIP": "10.100.0.10"})),
    ("dns-outside-default-range", body({"dnsServiceIP": "172.16.0.10"}), "InvalidParameter",
     body({"dnsServiceIP": "10.0.0.53"})),
    ("service-overlaps-subnet", body({"networkPlugin": "azure", "serviceCidr": "10.224.0.0/20",
                                      "dnsServiceIP": "10.224.0.10"}, {"vnetSubnetID": SUBNET}),
     "ServiceCidrOverlapExistingSubnetsCidr", body({"networkPlugin": "azure"}, {"vnetSubnetID": SUBNET})),
    ("service-overlaps-a-sibling-subnet", body({"networkPlugin": "azure", "serviceCidr": "10.225.0.0/16",
                                                "dnsServiceIP": "10.225.0.10"}, {"vnetSubnetID": SUBNET}),
     "ServiceCidrOverlapExistingSubnetsCidr", body({"networkPlugin": "azure", "serviceCidr": "10.100.0.0/16",
                                                    "dnsServiceIP": "10.100.0.10"}, {"vnetSubnetID": SUBNET})),
    ("pods-overlap-services", body({"networkPlugin": "azure", "networkPluginMode": "overlay",
                                    "podCidr": "10.0.0.0/8"}), "InvalidParameter",
     body({"networkPlugin": "azure", "networkPluginMode": "overlay", "podCidr": "192.168.0.0/16"})),
    ("reserved-service-range", body({"serviceCidr": "169.254.0.0/16", "dnsServiceIP": "169.254.0.10"}),
     "InvalidParameter", body({"serviceCidr": "172.20.0.0/16", "dnsServiceIP": "172.20.0.10"})),
    ("missing-subnet", body({"networkPlugin": "azure"}, {"vnetSubnetID": SUBNET + "x"}), "InvalidParameter",
     body({"networkPlugin": "azure"}, {"vnetSubnetID": SUBNET})),
    ("cilium-with-calico", body({"networkPlugin": "azure", "networkPluginMode": "overlay",
                                 "networkDataplane": "cilium", "networkPolicy": "calico"}), "InvalidParameter",
     body({"networkPlugin": "azure", "networkPluginMode": "overlay", "networkDataplane": "cilium",
           "networkPolicy": "cilium"})),
    ("cilium-policy-on-azure-dataplane", body({"networkPlugin": "azure", "networkPolicy": "cilium"}),
     "InvalidParameter", body({"networkPlugin": "azure", "networkPolicy": "azure"})),
    ("udr-without-subnet", body({"outboundType": "userDefinedRouting"}), "InvalidParameter",
     body({"networkPlugin": "azure", "outboundType": "userDefinedRouting"}, {"vnetSubnetID": SUBNET})),
    ("workload-identity-without-oidc", body(securityProfile={"workloadIdentity": {"enabled": True}}),
     "InvalidParameter", body(securityProfile={"workloadIdentity": {"enabled": True}},
                              oidcIssuerProfile={"enabled": True})),
    ("ranges-on-private-cluster", body(apiServerAccessProfile={"authorizedIPRanges": ["20.0.0.0/24"],
                                                               "enablePrivateCluster": True}), "InvalidParameter",
     body(apiServerAccessProfile={"authorizedIPRanges": [], "enablePrivateCluster": True})),
    ("lts-on-standard", dict(body(supportPlan="AKSLongTermSupport"), sku={"name": "Base", "tier": "Standard"}),
     "InvalidParameter", dict(body(supportPlan="AKSLongTermSupport"), sku={"name": "Base", "tier": "Premium"})),
    ("azure-rbac-without-aad", body(aadProfile={"enableAzureRBAC": True}), "InvalidParameter",
     body(aadProfile={"managed": True, "enableAzureRBAC": True})),
    ("no-local-accounts-without-aad", body(disableLocalAccounts=True), "InvalidParameter",
     body(disableLocalAccounts=True, aadProfile={"managed": True})),
]


@pytest.mark.parametrize("case,bad,code,twin", CLUSTER_REFUSALS, ids=[c[0] for c in CLUSTER_REFUSALS])
def test_aks_refusals_and_their_valid_twins(network, case, bad, code, twin):
    error = refused(lambda: check_cluster_body(bad, network))
    assert (error.status, error.code) == (400, code), case
    assert error.target and error.body()["error"]["message"] == error.message
    check_cluster_body(twin, network)


def test_identities_must_exist_when_a_network_is_wired(network):
    kubelet = network.identity_id(RG, "id-kubelet")
    good = dict(body(identityProfile={"kubeletidentity": {"resourceId": kubelet}}),
                identity={"type": "UserAssigned", "userAssignedIdentities": {network.identity_id(RG, "id-cp"): {}}})
    check_cluster_body(good, network)
    missing = copy.deepcopy(good)
    missing["identity"]["userAssignedIdentities"] = {network.identity_id(RG, "gone"): {}}
    assert refused(lambda: check_cluster_body(missing, network)).status == 404
    system = dict(good, identity={"type": "SystemAssigned"})
    assert refused(lambda: check_cluster_body(system, network)).target == "identityProfile"
    check_cluster_body(body({"networkPlugin": "azure"}, {"vnetSubnetID": SUBNET + "x"}), None)  # not wired


def load_capture_script():
    spec = importlib.util.spec_from_file_location("capture_core_create",
                                                  os.path.join(DATA, "capture_core_create.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_body_core_sent_passes_the_checks():
    capture = load_capture_script()
    state = types.SimpleNamespace(store=Store(), network=Network(SUBSCRIPTION_ID, TENANT_ID))
    capture.seed(state)
    with open(os.path.join(DATA, "core_create_bodies.json"), encoding="utf-8") as handle:
        for item in json.load(handle)["optionSets"]:
            check_cluster_body(item["clusterPutBody"], state.network)


# ---- what AKS returns ------------------------------------------------------------------------
def test_fill_gives_principal_ids_oidc_url_kubelet_identity_and_defaults(network):
    doc = {"id": f"/subscriptions/{SUBSCRIPTION_ID}/resourcegroups/rg/providers/Microsoft.ContainerService/"
                 "managedClusters/c1", "name": "c1", "location": "westeurope",
           "properties": {"dnsPrefix": "c1-rg", "nodeResourceGroup": "MC_rg_c1_westeurope",
                          "oidcIssuerProfile": {"enabled": True},
                          "networkProfile": {"serviceCidr": "10.100.0.0/16"}}}
    filled = fill_cluster_response(copy.deepcopy(doc), {"identity": {"type": "SystemAssigned"}}, network, TENANT_ID)
    props = filled["properties"]
    assert filled["identity"]["principalId"] and filled["identity"]["tenantId"] == TENANT_ID
    assert props["oidcIssuerProfile"]["issuerURL"].startswith(f"https://westeurope.oic.prod-aks.azure.com/{TENANT_ID}/")
    kubelet = props["identityProfile"]["kubeletidentity"]
    assert kubelet["resourceId"].endswith("/resourcegroups/MC_rg_c1_westeurope/providers/Microsoft.ManagedIdentity/"
                                          "userAssignedIdentities/c1-agentpool")
    assert kubelet["clientId"] and kubelet["objectId"]
    assert props["fqdn"].startswith("c1-rg-") and props["fqdn"].endswith(".hcp.westeurope.azmk8s.io")
    assert "privateFQDN" not in props and props["networkProfile"]["dnsServiceIP"] == "10.100.0.10"
    assert props["networkProfile"]["networkPlugin"] == "azure" and props["networkProfile"]["podCidr"] == \
        "10.244.0.0/16"
    assert filled["sku"] == {"name": "Base", "tier": "Free"} and props["supportPlan"] == "KubernetesOfficial"


def test_fill_for_a_private_cluster_with_user_assigned_identities(network):
    cp, kubelet = network.identity_id(RG, "id-cp"), network.identity_id(RG, "id-kubelet")
    doc = {"name": "p1", "location": "westeurope", "identity": {"type": "UserAssigned",
                                                                "userAssignedIdentities": {cp: {}}},
           "properties": {"dnsPrefix": "p1", "apiServerAccessProfile": {"enablePrivateCluster": True},
                          "identityProfile": {"kubeletidentity": {"resourceId": kubelet}}}}
    props = fill_cluster_response(doc, {}, network, TENANT_ID)["properties"]
    assert props["privateFQDN"].startswith("p1-") and ".privatelink.westeurope.azmk8s.io" in props["privateFQDN"]
    assert props["fqdn"].endswith(".hcp.westeurope.azmk8s.io")
    assert props["apiServerAccessProfile"]["privateDNSZone"] == "system"
    assert doc["identity"]["userAssignedIdentities"][cp]["principalId"] == \
        network.identity(cp)["properties"]["principalId"]
    assert props["identityProfile"]["kubeletidentity"]["objectId"] == \
        network.identity(kubelet)["properties"]["principalId"]
    no_public = {"name": "p2", "location": "westeurope", "properties": {"apiServerAccessProfile": {
        "enablePrivateCluster": True, "enablePrivateClusterPublicFQDN": False}}}
    assert "fqdn" not in fill_cluster_response(no_public, {}, network, TENANT_ID)["properties"]


# ---- over HTTP, through the hook ----------------------------------------------------------------
def run_http(scenario):
    emulator = with_network(Emulator, SUBSCRIPTION_ID, TENANT_ID)()
    emulator.tokens.add("t")
    emulator.store.put_group(RG, {"location": "westeurope"})

    async def main():
        async with TestClient(TestServer(emulator.app())) as client:
            emulator.base_url = str(client.make_url("")).rstrip("/")
            return await scenario(client, emulator)
    return asyncio.run(main())


HEADERS = {"Authorization": "Bearer t"}
API = {"api-version": "2022-04-01"}


def test_http_subnets_role_assignments_and_cluster_create():
    async def scenario(client, emulator):
        seeded = await client.post("/_emulator/network", json={"virtualNetworks": [{
            "resourceGroup": RG, "name": "vnet1", "addressPrefixes": ["10.224.0.0/12"],
            "subnets": [{"name": "nodes", "addressPrefix": "10.224.0.0/16"}]}]})
        assert seeded.status == 200
        subnet = await client.get(SUBNET, params={"api-version": "2024-05-01"}, headers=HEADERS)
        assert subnet.status == 200 and (await subnet.json())["properties"]["addressPrefix"] == "10.224.0.0/16"
        missing = await client.get(SUBNET + "x", params={"api-version": "2024-05-01"}, headers=HEADERS)
        assert missing.status == 404 and (await missing.json())["error"]["code"] == "NotFound"
        listed = await client.get(f"{SUBNET}/providers/Microsoft.Authorization/roleAssignments",
                                  params=dict(API, **{"$filter": "atScope()"}), headers=HEADERS)
        assert listed.status == 200 and (await listed.json()) == {"value": []}
        definitions = await client.get(f"{SUBNET}/providers/Microsoft.Authorization/roleDefinitions",
                                       params={"api-version": "2022-05-01-preview",
                                               "$filter": "roleName eq 'Network Contributor'"}, headers=HEADERS)
        assert [d["id"] for d in (await definitions.json())["value"]] == [ROLE]
        name = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
        put = await client.put(f"{SUBNET}/providers/Microsoft.Authorization/roleAssignments/{name}", params=API,
                               headers=HEADERS, json={"properties": {"roleDefinitionId": ROLE, "principalId": "p1",
                                                                     "principalType": "ServicePrincipal"}})
        assert put.status == 201 and (await put.json())["properties"]["scope"] == SUBNET
        unauthenticated = await client.get(f"{SUBNET}/providers/Microsoft.Authorization/roleAssignments/{name}",
                                           params=API)
        assert unauthenticated.status == 401
        cluster = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RG}/providers/Microsoft.ContainerService/" \
                  "managedClusters/c1"
        bad = body({"networkPlugin": "azure", "serviceCidr": "10.224.0.0/20", "dnsServiceIP": "10.224.0.10"},
                   {"vnetSubnetID": SUBNET, "vmSize": "Standard_D4ds_v5"})
        refused_put = await client.put(cluster, params={"api-version": "2026-06-01"}, headers=HEADERS, json=bad)
        error = (await refused_put.json())["error"]
        assert refused_put.status == 400 and error["code"] == "ServiceCidrOverlapExistingSubnetsCidr"
        assert error["target"] == "networkProfile.serviceCIDR" and "10.224.0.0/16" in error["message"]
        good = copy.deepcopy(bad)
        good["properties"]["networkProfile"].update(serviceCidr="10.100.0.0/16", dnsServiceIP="10.100.0.10")
        good["properties"]["oidcIssuerProfile"] = {"enabled": True}
        created = await client.put(cluster, params={"api-version": "2026-06-01"}, headers=HEADERS, json=good)
        assert created.status == 201
        shown = await (await client.get(cluster, params={"api-version": "2026-06-01"}, headers=HEADERS)).json()
        assert shown["identity"]["principalId"] and shown["properties"]["oidcIssuerProfile"]["issuerURL"]
        assert shown["properties"]["fqdn"].endswith(".azmk8s.io")
        assert (await client.post("/_emulator/reset", json={})).status == 200
        assert emulator.network.subnets == {} and emulator.network.assignments == {}
    run_http(scenario)


def test_http_identity_and_its_lower_cased_lookup():
    async def scenario(client, emulator):
        path = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/" \
               "userAssignedIdentities/Id-CP"
        made = await client.put(path, params={"api-version": "2024-11-30"}, headers=HEADERS, json={})
        assert made.status == 201
        read = await client.get(path.lower(), params={"api-version": "2024-11-30"}, headers=HEADERS)
        assert read.status == 200 and (await read.json())["properties"]["principalId"] == \
            (await made.json())["properties"]["principalId"]
        no_group = await client.get(path.replace(RG, "rg-missing"), params={"api-version": "2024-11-30"},
                                    headers=HEADERS)
        assert no_group.status == 404 and (await no_group.json())["error"]["code"] == "ResourceGroupNotFound"
        assert emulator.network.identities
    run_http(scenario)
