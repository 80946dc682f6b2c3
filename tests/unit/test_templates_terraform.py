# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The Terraform plan reader: azurerm clusters and pools in nested modules, azapi bodies, values known after apply."""
import json
import os

import pytest

from azext_azurelinux.templates import POOL, TemplateError, terraform

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "templates", "terraform")
AZURERM = os.path.join(DATA, "plan-azurerm.json")
AZAPI = os.path.join(DATA, "plan-azapi.json")
ONE_LINE = os.path.join(DATA, "plan-oneline.json")


def by_address(declarations):
    return {(declaration.resource, declaration.pool): declaration for declaration in declarations}


def line_of(path, needle, after=1):
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if number >= after and needle in text:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(name="azurerm")
def azurerm_pools():
    return by_address(terraform.read(AZURERM))


def test_every_module_level_is_read(azurerm):
    assert sorted(azurerm) == sorted([
        ("azurerm_kubernetes_cluster.main", "system"),
        ("azurerm_kubernetes_cluster_node_pool.user", "user"),
        ("azurerm_kubernetes_cluster_node_pool.al3", "al3"),
        ("azurerm_kubernetes_cluster_node_pool.win", "win"),
        ("azurerm_kubernetes_cluster_node_pool.legacy", "legacy"),
        ("module.gpu.azurerm_kubernetes_cluster_node_pool.a100", "a100"),
        ("module.gpu.azurerm_kubernetes_cluster_node_pool.t4[0]", "t4a"),
        ("module.gpu.azurerm_kubernetes_cluster_node_pool.t4[1]", "t4b"),
        ("module.gpu.module.spot.azurerm_kubernetes_cluster_node_pool.spot", "spot")])


def test_the_default_node_pool_and_the_cluster_version(azurerm):
    system = azurerm[("azurerm_kubernetes_cluster.main", "system")]
    assert (system.cluster, system.osType, system.vmSize, system.osSku, system.kubernetesVersion) == \
        ("aks-main", "Linux", "Standard_D4ds_v5", "AzureLinux", "1.32.4")
    assert system.line == line_of(AZURERM, '"default_node_pool": [') + 1
    assert system.locations["vmSize"].line == line_of(AZURERM, '"vm_size": "Standard_D4ds_v5"')
    assert system.locations["kubernetesVersion"].line == line_of(AZURERM, '"kubernetes_version": "1.32.4"')
    assert system.notEvaluated == []


def test_os_sku_not_set_is_ubuntu_not_unknown(azurerm):
    user = azurerm[("azurerm_kubernetes_cluster_node_pool.user", "user")]
    assert user.osSku is None and user.notEvaluated == []


def test_a_pool_finds_its_cluster_through_the_configuration(azurerm):
    al3 = azurerm[("azurerm_kubernetes_cluster_node_pool.al3", "al3")]
    assert (al3.cluster, al3.osSku, al3.enableFIPS, al3.kubernetesVersion) == \
        ("aks-main", "AzureLinux3", True, "1.32.4")
    assert al3.locations["enableFIPS"].line == line_of(AZURERM, '"fips_enabled": true')


def test_a_pool_in_a_module_finds_its_cluster_through_the_module_inputs(azurerm):
    t4 = azurerm[("module.gpu.azurerm_kubernetes_cluster_node_pool.t4[0]", "t4a")]
    assert (t4.cluster, t4.kubernetesVersion) == ("aks-main", "1.32.4")
    spot = azurerm[("module.gpu.module.spot.azurerm_kubernetes_cluster_node_pool.spot", "spot")]
    assert spot.cluster == "aks-main"


def test_a_value_known_after_apply_is_not_evaluated(azurerm):
    spot = azurerm[("module.gpu.module.spot.azurerm_kubernetes_cluster_node_pool.spot", "spot")]
    assert spot.vmSize is None
    (entry,) = spot.notEvaluated
    assert (entry.field, entry.name, entry.expression) == ("vmSize", "vm_size", "(known after apply)")
    assert entry.location.line == line_of(AZURERM, '"address": "module.gpu.module.spot.')


def test_a_cluster_id_known_but_not_in_the_plan(azurerm):
    legacy = azurerm[("azurerm_kubernetes_cluster_node_pool.legacy", "legacy")]
    assert legacy.cluster == "legacy-aks" and legacy.kubernetesVersion is None
    (entry,) = legacy.notEvaluated
    assert entry.field == "kubernetesVersion" and "its cluster is not found in this plan" in entry.reason


def test_windows_and_the_pools_own_version(azurerm):
    assert azurerm[("azurerm_kubernetes_cluster_node_pool.win", "win")].osType == "Windows"
    a100 = azurerm[("module.gpu.azurerm_kubernetes_cluster_node_pool.a100", "a100")]
    assert (a100.vmSize, a100.kubernetesVersion) == ("Standard_NC24ads_A100_v4", "1.32.4")
    assert a100.locations["kubernetesVersion"].line == line_of(AZURERM, '"orchestrator_version": "1.32.4"')


def test_a_plan_on_one_line_gives_line_1():
    (pool,) = terraform.read(ONE_LINE)
    assert (pool.resource, pool.pool, pool.vmSize, pool.line) == \
        ("azurerm_kubernetes_cluster.gpu", "gpu", "Standard_NC24ads_A100_v4", 1)
    assert {location.line for location in pool.locations.values()} == {1}


def test_without_configuration_an_unset_version_stays_unknown(tmp_path):
    with open(AZURERM, encoding="utf-8") as handle:
        plan = json.load(handle)
    del plan["configuration"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    pools = by_address(terraform.read(str(path)))
    user = pools[("azurerm_kubernetes_cluster_node_pool.user", "user")]
    assert {entry.name for entry in user.notEvaluated} == {"os_sku", "orchestrator_version"}


def test_azapi_body_object_and_json_string():
    pools = by_address(terraform.read(AZAPI))
    system, gpu = pools[("azapi_resource.aks", "system")], pools[("azapi_resource.aks", "gpu")]
    assert (system.cluster, system.osSku, system.kubernetesVersion) == ("aks-azapi", "AzureLinux", "1.33.1")
    assert (gpu.vmSize, gpu.osSku, gpu.enableSecureBoot, gpu.enableVTPM) == \
        ("Standard_NC24ads_A100_v4", "AzureLinux3", True, True)
    assert gpu.locations["vmSize"].line == line_of(AZAPI, '"vmSize": "Standard_NC24ads_A100_v4"')
    legacy = pools[("azapi_resource.gpu_pool", "v100")]
    body_line = line_of(AZAPI, '"body": "{')
    assert (legacy.cluster, legacy.vmSize, legacy.osSku, legacy.kubernetesVersion) == \
        ("aks-azapi", "Standard_NC6s_v3", "AzureLinux", "1.33.1")
    assert legacy.locations["vmSize"].line == body_line and legacy.line == body_line


def test_an_azapi_body_known_after_apply():
    late = by_address(terraform.read(AZAPI))[("module.late.azapi_resource.pool", "late")]
    (entry,) = late.notEvaluated
    assert entry.field == POOL and entry.expression == "(known after apply)"


def test_other_azapi_types_are_not_pools():
    assert not any(declaration.resource == "azapi_resource.storage" for declaration in terraform.read(AZAPI))


@pytest.mark.parametrize("name, message", [
    ("plan-format2.json", "has format_version 2.0; this reads format 1.x only"),
    ("state.json", "has no planned_values: it is Terraform state"),
])
def test_plans_this_does_not_read(name, message):
    with pytest.raises(TemplateError) as raised:
        terraform.read(os.path.join(DATA, name))
    assert message in str(raised.value) and name in str(raised.value)


@pytest.mark.parametrize("content, message", [
    ("{", "is not JSON"),
    ('{"resources": []}', "is an ARM template: give it with --template-file"),
    ('{"planned_values": {}}', "it has no format_version"),
])
def test_not_a_plan(tmp_path, content, message):
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(TemplateError) as raised:
        terraform.read(str(path))
    assert message in str(raised.value)
