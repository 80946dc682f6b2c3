# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The adapter of `check-template` (_template_gate.py) without az: the policy's check as `check` and `nodepool add`
run it, the files read once for the command, `@FILE` parameters, Bicep's places, and the table's width."""
import copy
import os
import sys
from types import SimpleNamespace

import pytest
from knack.output import format_table
from knack.util import CommandResultItem

from azext_azurelinux import _template_gate
from azext_azurelinux.policy import Policy
from azext_azurelinux.templates import Declaration, Location, NotEvaluated, TemplateError, gate

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "templates")
GPU_POOLS = os.path.join(DATA, "arm", "aks-gpu-pools.json")
PARAMETERS = os.path.join(DATA, "arm", "aks-quickstart.parameters.json")


def judge(declaration, policy=None):
    policy = policy or Policy()
    return gate.judge_one(declaration, _template_gate.checker(policy, declaration), policy.is_azure_linux)


def pool(**fields):
    values = {"file": "main.json", "line": 10, "resource": "aks", "cluster": "aks", "pool": "gpu",
              "osSku": "AzureLinux3", "vmSize": "Standard_NC4as_T4_v3", "kubernetesVersion": "1.33.2"}
    values.update(fields)
    return Declaration(**values)


def rules(row):
    return [(finding["rule"], finding["severity"]) for finding in row["findings"]]


# ---- the check ----------------------------------------------------------------------------------
def test_the_checks_of_nodepool_add_decide():
    assert judge(pool())["verdict"] == "ok"
    refused = judge(pool(vmSize="Standard_NC24ads_A100_v4", locations={"vmSize": Location("p.json", 7)}))
    assert refused["verdict"] == "refused" and refused["findings"][0]["line"] == 7
    assert "(policy edition founding)" in refused["findings"][0]["message"]
    old = judge(pool(kubernetesVersion="1.27.3"))
    assert old["verdict"] == "refused" and rules(old) == [("os-sku-azurelinux3-versions", "error")]
    assert judge(pool(vmSize="Standard_NC24ads_A100_v4"), Policy("aks-2026"))["verdict"] == "ok"


def test_an_edition_that_needs_trusted_launch_refuses_a_pool_without_it():
    policy = Policy("aks-2026")
    bare = judge(pool(osSku="AzureContainerLinux", kubernetesVersion="1.34.1", vmSize="Standard_D4ds_v5"), policy)
    assert bare["verdict"] == "refused" and "needs Trusted Launch" in bare["findings"][0]["message"]
    trusted = judge(pool(osSku="AzureContainerLinux", kubernetesVersion="1.34.1", vmSize="Standard_D4ds_v5",
                         enableSecureBoot=True, enableVTPM=True), policy)
    assert trusted["verdict"] == "warning" and "Gen2" in trusted["findings"][0]["message"]  # as nodepool add warns


def test_an_edition_that_needs_fips_refuses_a_pool_without_it():
    policy = Policy()
    policy.matrix = copy.deepcopy(policy.matrix)
    next(entry for entry in policy.matrix["osSkus"] if entry["name"] == "AzureLinux3")["requires"] = {"fips": True}
    refused = judge(pool(locations={"enableFIPS": Location("main.json", 21)}), policy)
    assert rules(refused) == [("os-sku-fips", "error")] and refused["findings"][0]["line"] == 21
    assert judge(pool(enableFIPS=True), policy)["verdict"] == "ok"


def test_the_service_refuses_a_pool_name_it_cannot_take_but_a_name_not_known_is_not_judged():
    named = judge(pool(pool="GPU_Pool"))
    assert named["verdict"] == "refused" and rules(named) == [("aks-pool-name", "error")]
    assert "not a valid Linux node pool name" in named["findings"][0]["message"]
    assert judge(pool(pool="[format('{0}/{1}', parameters('c'), 'GPU')]"))["verdict"] == "ok"
    assert judge(pool(pool=None))["verdict"] == "ok"
    assert judge(pool(pool="Win1", osType="Windows", osSku="Windows2022"))["verdict"] == "skipped"


def test_an_organisation_rule_narrows_the_edition():
    class Org:  # pylint: disable=too-few-public-methods
        path = "org.json"

        def vm_size(self, size):
            from azext_azurelinux.findings import ERROR, Finding
            return [Finding("org-policy-vm-sizes", ERROR, f"{size} is refused", subject="vm_size")]

        def os_sku(self, *_):
            return []
    assert rules(judge(pool(), Policy(org=Org()))) == [("org-policy-vm-sizes", "error")]


# ---- the validator ------------------------------------------------------------------------------
def namespace(**given):
    values = {"template_file": None, "parameters": None, "terraform_plan": None, "sarif": None, "junit": None,
              "cmd": SimpleNamespace()}
    values.update(given)
    return SimpleNamespace(**values)


@pytest.mark.parametrize("given, message", [
    ({"template_file": GPU_POOLS, "terraform_plan": "plan.json"}, "both given"),
    ({}, "Nothing to check"),
    ({"terraform_plan": "plan.json", "parameters": [["a=b"]]}, "--parameters belongs to --template-file"),
    ({"template_file": GPU_POOLS, "junit": os.path.join("no", "such", "out.xml")}, "--junit"),
])
def test_the_validator_refuses_arguments_that_do_not_make_one_check(given, message):
    with pytest.raises(TemplateError, match=message):
        _template_gate.validate(namespace(**given), Policy())


def test_the_validator_reads_the_file_once_for_the_command(monkeypatch):
    given = namespace(template_file=GPU_POOLS)
    _template_gate.validate(given, Policy())
    declarations = getattr(given.cmd, "azurelinux_template_declarations")
    assert len(declarations) == 8
    monkeypatch.setattr(_template_gate, "read", lambda *_, **__: pytest.fail("read twice"))
    monkeypatch.setattr("azext_azurelinux._console.exit_after_output", lambda *_: None)
    cmd = SimpleNamespace(cli_ctx=SimpleNamespace(only_show_errors=True), **vars(given.cmd))
    rows = _template_gate.check(cmd, Policy(), template_file=GPU_POOLS)
    assert [row["verdict"] for row in rows].count("refused") == 1


def test_an_at_file_that_az_read_into_its_content_is_a_file_again(monkeypatch):
    with open(PARAMETERS, encoding="utf-8") as handle:
        content = handle.read().rstrip(os.linesep)
    monkeypatch.setattr(sys, "argv", ["az", "aks", "azurelinux", "check-template", "-p", f"@{PARAMETERS}", "x=1"])
    assert _template_gate.unexpanded_parameters([[content, "x=1"]]) == [f"@{PARAMETERS}", "x=1"]
    monkeypatch.setattr(sys, "argv", ["python"])  # az invoked from Python: the content stays
    assert _template_gate.unexpanded_parameters([[content]]) == [content]


def test_places_in_the_compiled_bicep_become_the_bicep_file():
    compiled, source = "/tmp/x/main.json", "infra/main.bicep"
    declaration = pool(file=compiled, line=40, locations={"vmSize": Location(compiled, 41),
                                                          "osSku": Location("main.parameters.json", 5)},
                       notEvaluated=[NotEvaluated("kubernetesVersion", "v", "[reference('x')]", "r",
                                                  Location(compiled, 50))])
    [relabelled] = _template_gate.relabel([declaration], compiled, source)
    assert (relabelled.file, relabelled.line) == (source, 1)
    assert relabelled.locations == {"vmSize": Location(source, 1), "osSku": Location("main.parameters.json", 5)}
    assert relabelled.notEvaluated[0].location == Location(source, 1)


# ---- -o table -----------------------------------------------------------------------------------
def test_table_lines_stay_within_200_characters_whatever_the_names():
    long = "[format('{0}-ManagedCluster-AgentPool-{1}', uniqueString(deployment().name), copyIndex())]"
    rows = [judge(pool(file=os.path.join("a" * 80, "main.json"), resource=long + "::aks/" + long, pool=long,
                       vmSize="Standard_NC24ads_A100_v4")),
            judge(pool(osSku=None)), judge(pool())]
    text = format_table(CommandResultItem(_template_gate.table(rows), table_transformer=lambda x: x))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= _template_gate.TABLE_WIDTH
    assert lines[0].split() == ["File", "Resource", "Pool", "VmSize", "OsSku", "Kubernetes", "Verdict", "Why"]
    assert "refused" in lines[2] and "Standard_NC24ads_A100_v4 is not" in lines[2] and "main.json:10" in lines[2]
    assert "skipped" in lines[3] and "no OS SKU is set" in lines[3]
