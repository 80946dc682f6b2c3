# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The ARM reader on real-shaped templates: quickstart, loops, child pools, nested deployments, Bicep output."""
import json
import os

import pytest

from azext_azurelinux.templates import POOL, Location, TemplateError, arm

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "templates")
QUICKSTART = os.path.join(DATA, "arm", "aks-quickstart.json")
QUICKSTART_PARAMETERS = os.path.join(DATA, "arm", "aks-quickstart.parameters.json")
GPU_POOLS = os.path.join(DATA, "arm", "aks-gpu-pools.json")
CHILD_ONLY = os.path.join(DATA, "arm", "aks-child-pools-only.json")
NESTED = os.path.join(DATA, "arm", "aks-nested.json")
BICEP = os.path.join(DATA, "bicep", "main.json")
BICEP_PARAMETERS = os.path.join(DATA, "bicep", "main.parameters.json")
AVM = os.path.join(DATA, "bicep", "avm-like-v1.json")


def by_pool(declarations):
    return {declaration.pool: declaration for declaration in declarations}


def line_of(path, needle, after=1):
    """The 1-based line of the first line at or after `after` that contains `needle` (to keep tests honest)."""
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if number >= after and needle in text:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


# ---- the quickstart shape: defaults, a parameters file, KEY=VALUE ---------------------------------------
def test_quickstart_defaults_point_at_the_parameter_defaults():
    (pool,) = arm.read(QUICKSTART, ["dnsPrefix=x", "linuxAdminUsername=u", "sshRSAPublicKey=k"])
    assert (pool.resource, pool.cluster, pool.pool) == ("aks101cluster", "aks101cluster", "agentpool")
    assert (pool.osType, pool.vmSize, pool.osSku, pool.kubernetesVersion) == \
        ("Linux", "Standard_D2s_v3", "AzureLinux", "1.33.2")
    assert pool.line == line_of(QUICKSTART, '"name": "agentpool"') - 1
    assert pool.locations["vmSize"] == Location(QUICKSTART, line_of(QUICKSTART, '"defaultValue": "Standard_D2s_v3"'))
    assert pool.locations["osSku"] == Location(QUICKSTART, line_of(QUICKSTART, '"defaultValue": "AzureLinux"'))
    assert pool.locations["kubernetesVersion"] == Location(QUICKSTART, line_of(QUICKSTART, '"defaultValue": "1.33.2"'))
    assert pool.locations["osType"] == Location(QUICKSTART, line_of(QUICKSTART, '"osType": "Linux"'))
    assert pool.notEvaluated == []


def test_a_parameters_file_value_points_at_its_line_in_that_file():
    (pool,) = arm.read(QUICKSTART, ["@" + QUICKSTART_PARAMETERS])
    assert (pool.vmSize, pool.osSku) == ("Standard_NC24ads_A100_v4", "AzureLinux3")
    assert pool.locations["vmSize"] == Location(QUICKSTART_PARAMETERS,
                                                line_of(QUICKSTART_PARAMETERS, "Standard_NC24ads_A100_v4"))
    assert pool.locations["osSku"] == Location(QUICKSTART_PARAMETERS, line_of(QUICKSTART_PARAMETERS, '"AzureLinux3"'))


def test_key_value_points_at_the_declaration_and_the_later_value_wins():
    (pool,) = arm.read(QUICKSTART, [[QUICKSTART_PARAMETERS],
                                    ["kubernetesVersion=1.29.1", "agentVMSize=Standard_NC6s_v3"],
                                    ["agentVMSize=Standard_NC12s_v3"]])
    assert (pool.vmSize, pool.kubernetesVersion, pool.osSku) == ("Standard_NC12s_v3", "1.29.1", "AzureLinux3")
    assert pool.locations["vmSize"] == Location(QUICKSTART, line_of(QUICKSTART, '"agentVMSize": {'))
    assert pool.locations["kubernetesVersion"] == Location(QUICKSTART, line_of(QUICKSTART, '"kubernetesVersion": {'))


def test_a_file_given_after_key_value_wins_over_it():
    (pool,) = arm.read(QUICKSTART, ["agentVMSize=Standard_D4ds_v5", "@" + QUICKSTART_PARAMETERS])
    assert pool.vmSize == "Standard_NC24ads_A100_v4"


def test_inline_json_parameters_and_typed_key_values():
    (pool,) = arm.read(QUICKSTART, ['{"agentVMSize": {"value": "Standard_NC4as_T4_v3"}}', "agentCount=5"])
    assert pool.vmSize == "Standard_NC4as_T4_v3"
    assert pool.locations["vmSize"].line == line_of(QUICKSTART, '"agentVMSize": {')


def test_an_unused_key_vault_reference_is_harmless():
    (pool,) = arm.read(QUICKSTART, [QUICKSTART_PARAMETERS])
    assert pool.notEvaluated == []


@pytest.mark.parametrize("parameters, message", [
    (["nosuch=1"], "sets parameter 'nosuch', which the template does not declare"),
    (["agentCount=three"], "agentCount is of type int"),
    (["@/nonexistent/params.json"], "cannot be read"),
    (["neither-file-nor-pair"], "not a parameters file that exists, a JSON object or KEY=VALUE"),
    (['{"agentVMSize": '], "not valid JSON"),
    (["main.bicepparam"], "not a parameters file that exists"),
    (["@main.bicepparam"], "a .bicepparam file is not read here"),
])
def test_bad_parameters_are_template_errors(parameters, message):
    with pytest.raises(TemplateError) as raised:
        arm.read(QUICKSTART, parameters)
    assert message in str(raised.value)


def test_a_parameters_file_that_is_not_json_names_the_file(tmp_path):
    bad = tmp_path / "bad.parameters.json"
    bad.write_text('{\n  "parameters": {\n    "x": \n}\n')
    with pytest.raises(TemplateError) as raised:
        arm.read(QUICKSTART, [str(bad)])
    assert str(bad) in str(raised.value) and "line 4 column 1" in str(raised.value)


# ---- loops, conditions, child pools, Windows and Ubuntu pools ------------------------------------------------
def test_property_copy_resource_copy_and_nested_child_pools():
    pools = by_pool(arm.read(GPU_POOLS))
    assert sorted(pools) == ["a100", "spot", "sysprod", "system", "t4", "user1", "user2", "win"]
    assert "devonly" not in pools  # condition false: not deployed
    assert (pools["system"].vmSize, pools["system"].osSku, pools["system"].kubernetesVersion) == \
        ("Standard_D4ds_v5", "AzureLinux", "1.32.5")
    assert pools["sysprod"].vmSize == "Standard_D8ds_v5"
    assert pools["system"].locations["vmSize"].line == line_of(GPU_POOLS, '"vmSize": "Standard_D4ds_v5"')
    assert pools["system"].locations["osSku"].line == line_of(GPU_POOLS, '"osSku": "AzureLinux"')
    assert pools["system"].locations["kubernetesVersion"].line == line_of(GPU_POOLS, '"kubernetesVersion": "1.32.5"')
    assert pools["a100"].vmSize == "Standard_NC24ads_A100_v4"
    assert pools["a100"].locations["vmSize"].line == line_of(GPU_POOLS, '"vmSize": "Standard_NC24ads_A100_v4"')
    assert (pools["a100"].resource, pools["a100"].cluster) == ("gpu-cluster/a100", "gpu-cluster")
    assert pools["a100"].enableSecureBoot is True and pools["a100"].enableVTPM is True
    assert pools["a100"].kubernetesVersion == "1.32.5"  # the cluster's, declared in the same file
    assert (pools["win"].osType, pools["win"].resource) == ("Windows", "gpu-cluster/win")
    assert pools["user1"].osSku is None and "osSku" not in pools["user1"].locations


def test_a_condition_that_holds_deploys_the_pool():
    pools = by_pool(arm.read(GPU_POOLS, ["environment=dev"]))
    assert "devonly" in pools and "sysdev" in pools
    assert pools["sysdev"].vmSize == "Standard_D2ds_v5"


def test_a_version_from_reference_is_not_evaluated_and_not_guessed():
    spot = by_pool(arm.read(GPU_POOLS))["spot"]
    assert spot.kubernetesVersion is None
    (entry,) = spot.notEvaluated
    assert entry.field == "kubernetesVersion" and entry.name == "properties.orchestratorVersion"
    assert entry.expression.startswith("[reference(") and "reference() is known only at deployment" in entry.reason
    assert entry.location.line == line_of(GPU_POOLS, '"orchestratorVersion": "[reference(')


def test_a_parameter_array_sets_loop_count_and_fips():
    gpu = [{"name": f"g{i}", "vmSize": "Standard_NC6s_v3", "count": 1} for i in range(3)]
    pools = by_pool(arm.read(GPU_POOLS, [f"gpuPools={json.dumps(gpu)}", "userPoolCount=0", "enableFips=true"]))
    assert sorted(pools) == ["g0", "g1", "g2", "spot", "sysprod", "system", "win"]
    assert pools["system"].enableFIPS is True
    assert pools["system"].locations["enableFIPS"].line == line_of(GPU_POOLS, '"enableFips": {')


def test_child_pools_whose_cluster_is_not_in_the_file():
    pools = by_pool(arm.read(CHILD_ONLY, ["clusterName=prod"]))
    gpu, pinned = pools["gpu"], pools["pinned"]
    assert gpu.cluster == "prod" and gpu.kubernetesVersion is None
    (entry,) = gpu.notEvaluated
    assert entry.field == "kubernetesVersion" and "its cluster prod is not declared in this file" in entry.reason
    assert pinned.kubernetesVersion == "1.31.3" and pinned.notEvaluated == []
    assert pinned.locations["kubernetesVersion"].line == line_of(CHILD_ONLY, '"defaultValue": "1.31.3"')


def test_a_required_parameter_without_value_is_not_evaluated():
    gpu, pinned = arm.read(CHILD_ONLY)
    assert gpu.cluster is None and gpu.pool == gpu.resource == "[format('{0}/{1}', parameters('clusterName'), 'gpu')]"
    assert "its cluster's name is known only at deployment" in gpu.notEvaluated[0].reason
    assert pinned.kubernetesVersion == "1.31.3"


# ---- nested deployments: outer and inner scope --------------------------------------------------------------
def test_outer_scope_reads_the_parent_parameters_and_variables():
    pools = by_pool(arm.read(NESTED))
    outer = pools["outer"]
    assert outer.resource == "outerScoped::nested-aks"
    assert (outer.vmSize, outer.osSku, outer.kubernetesVersion) == ("Standard_NC24ads_A100_v4", "AzureLinux", "1.30.4")
    assert outer.locations["vmSize"].line == line_of(NESTED, '"defaultValue": "Standard_NC24ads_A100_v4"')
    assert outer.locations["osSku"].line == line_of(NESTED, '"outerSku": "AzureLinux"')


def test_inner_scope_takes_the_parameters_the_deployment_passes():
    pools = by_pool(arm.read(NESTED))
    inner, default = pools["inner"], pools["innerdefault"]
    assert inner.resource == "innerScoped::nested-aks/inner" and inner.cluster == "nested-aks"
    assert inner.vmSize == "Standard_NC6s_v3"
    assert inner.locations["vmSize"].line == line_of(NESTED, '"value": "Standard_NC6s_v3"')
    assert default.vmSize == "Standard_D2ds_v5"  # the inner template's default, not the parent's poolSize
    assert default.kubernetesVersion == "1.30.4"  # its cluster is in the file (in the other deployment)
    (entry,) = default.notEvaluated
    assert entry.field == "osSku" and "passes no value for parameter sku" in entry.reason


def test_parameters_reach_an_outer_scope_deployment():
    outer = by_pool(arm.read(NESTED, ["poolSize=Standard_NC4as_T4_v3"]))["outer"]
    assert outer.vmSize == "Standard_NC4as_T4_v3"


# ---- what Bicep writes: languageVersion 2.0, symbolic names, modules ------------------------------------------
def test_bicep_symbolic_names_loops_and_modules():
    pools = by_pool(arm.read(BICEP))
    assert pools["system"].resource == "aks"
    assert pools["user1"].resource == "pools[0]" and pools["ubuntu1"].resource == "pools[1]"
    assert pools["user1"].osSku == "AzureLinux"  # coalesce(tryGet(...), 'AzureLinux')
    assert pools["ubuntu1"].osSku == "Ubuntu"
    assert pools["ubuntu1"].locations["osSku"].line == line_of(BICEP, '"osSku": "Ubuntu"')
    a100 = pools["a100"]
    assert (a100.resource, a100.cluster, a100.vmSize, a100.osSku) == \
        ("gpu::pool", "bicep-aks", "Standard_NC24ads_A100_v4", "AzureLinux3")
    assert a100.kubernetesVersion == "1.33.2"
    assert a100.locations["kubernetesVersion"].line == line_of(BICEP, '"defaultValue": "1.33.2"')
    assert a100.locations["vmSize"].line == line_of(BICEP, '"value": "Standard_NC24ads_A100_v4"')
    assert [pools[name].resource for name in ("tenanta", "tenantb")] == ["tenants[0]::pool", "tenants[1]::pool"]
    assert pools["tenanta"].kubernetesVersion == "1.33.2"  # no version of its own: the cluster's, not 'existing'


def test_bicep_with_its_parameters_file():
    pools = by_pool(arm.read(BICEP, [BICEP_PARAMETERS]))
    assert pools["system"].cluster == "prod-aks" and pools["a100"].cluster == "prod-aks"
    assert pools["h100"].vmSize == "Standard_NC40ads_H100_v5"
    assert pools["h100"].locations["vmSize"] == Location(BICEP_PARAMETERS,
                                                         line_of(BICEP_PARAMETERS, "Standard_NC40ads_H100_v5"))


def test_avm_shaped_modules_nullable_parameters_and_try_get():
    pools = by_pool(arm.read(AVM))
    system, gpu, plain = pools["systempool"], pools["userpool1"], pools["userpool2"]
    assert (system.vmSize, system.osSku, system.enableSecureBoot, system.enableVTPM) == \
        ("Standard_DS4_v2", "AzureLinux", True, False)
    assert system.kubernetesVersion is None and system.notEvaluated == []  # nullable: AKS's default version
    assert (gpu.vmSize, gpu.osType, gpu.enableFIPS, gpu.kubernetesVersion) == \
        ("Standard_NC6s_v3", "Linux", True, "1.31.1")
    assert gpu.locations["enableFIPS"].line == line_of(AVM, '"enableFIPS": true')
    assert plain.osSku is None and plain.vmSize == "Standard_DS2_v2"
    assert gpu.resource.endswith("[0]::avm-aks/userpool1")


# ---- a file that is not a template ----------------------------------------------------------------------------
@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON: Expecting property name enclosed in double quotes: line 1 column 2"),
    ('{"format_version": "1.2", "planned_values": {}}', "is a Terraform plan: give it with --terraform-plan"),
    ('{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
     ' "parameters": {}}', "is a parameters file: give it with --parameters"),
    ('{"parameters": {}}', "is not an ARM template"),
    ('[1, 2]', "is not an ARM template"),
])
def test_not_a_template(tmp_path, content, message):
    path = tmp_path / "file.json"
    path.write_text(content)
    with pytest.raises(TemplateError) as raised:
        arm.read(str(path))
    assert str(path) in str(raised.value) and message in str(raised.value)


def test_a_missing_template_file():
    with pytest.raises(TemplateError) as raised:
        arm.read("/nonexistent/main.json")
    assert "--template-file /nonexistent/main.json cannot be read" in str(raised.value)


def test_unknown_agent_pool_profiles_give_one_pool_not_evaluated(tmp_path):
    template = {"resources": [{"type": "Microsoft.ContainerService/managedClusters", "name": "c",
                               "properties": {"agentPoolProfiles": "[reference('other').pools]"}}]}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template, indent=2))
    (pool,) = arm.read(str(path))
    assert pool.cluster == "c" and pool.notEvaluated[0].field == POOL
    assert pool.notEvaluated[0].name == "properties.agentPoolProfiles"


def test_an_unknown_copy_count_is_not_evaluated(tmp_path):
    template = {"resources": [{"type": "Microsoft.ContainerService/managedClusters/agentPools",
                               "name": "[concat('c/p', copyIndex())]",
                               "copy": {"name": "loop", "count": "[length(reference('x').items)]"},
                               "properties": {"vmSize": "Standard_NC6s_v3", "osSKU": "AzureLinux"}}]}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    (pool,) = arm.read(str(path))
    assert [entry.name for entry in pool.notEvaluated if entry.field == POOL] == ["copy.count"]


def test_pools_inside_a_deployment_loop_of_unknown_count_are_not_evaluated(tmp_path):
    inner = {"resources": [{"type": "Microsoft.ContainerService/managedClusters/agentPools", "name": "c/gpu",
                            "properties": {"vmSize": "Standard_NC6s_v3", "osSKU": "AzureLinux",
                                           "orchestratorVersion": "1.33.2"}}]}
    template = {"resources": [{"type": "Microsoft.Resources/deployments", "name": "mod",
                               "copy": {"name": "mods", "count": "[length(reference('x').items)]"},
                               "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "template": inner}}]}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template, indent=2))
    (pool,) = arm.read(str(path))
    assert pool.resource == "mod[?]::c/gpu"
    assert [(entry.field, entry.name) for entry in pool.notEvaluated] == [(POOL, "copy.count")]


def test_a_linked_template_is_not_read_and_existing_clusters_declare_nothing(tmp_path):
    template = {"languageVersion": "2.0", "resources": {
        "linked": {"type": "Microsoft.Resources/deployments", "name": "linked",
                   "properties": {"templateLink": {"relativePath": "aks.json"}}},
        "cluster": {"existing": True, "type": "Microsoft.ContainerService/managedClusters", "name": "c"}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    assert arm.read(str(path)) == []
