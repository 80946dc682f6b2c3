# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""`az aks azurelinux check-template` through the real az: the support policy as a CI gate on ARM/Bicep templates
and Terraform plans, offline. Every run is checked to send no ARM request at all."""
import json
import os
import shutil
import stat
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import xmlschema

from tests.e2e.conftest import arm_requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join("tests", "data", "templates")  # relative to ROOT, where the commands run
SCHEMAS = os.path.join(ROOT, "tests", "data", "schemas")
GPU_POOLS = os.path.join(DATA, "arm", "aks-gpu-pools.json")
QUICKSTART = os.path.join(DATA, "arm", "aks-quickstart.json")
QUICKSTART_PARAMETERS = os.path.join(DATA, "arm", "aks-quickstart.parameters.json")
CHILD_POOLS = os.path.join(DATA, "arm", "aks-child-pools-only.json")
BICEP_MAIN = os.path.join(DATA, "bicep", "main.json")
BICEP_PARAMETERS = os.path.join(DATA, "bicep", "main.parameters.json")
PLAN = os.path.join(DATA, "terraform", "plan-azurerm.json")
PLAN_ONE_LINE = os.path.join(DATA, "terraform", "plan-oneline.json")
A100 = "Standard_NC24ads_A100_v4"
T4 = "Standard_NC4as_T4_v3"
ONLY_T4 = 'gpuPools=[{"name": "t4", "vmSize": "Standard_NC4as_T4_v3", "count": 1}]'


@pytest.fixture
def gate(az, emulator):
    """check-template run from the repository's root; after each run, proof that nothing was asked of Azure."""
    def run(*args, runner=None, cwd=ROOT):
        result = (runner or az)("aks", "azurelinux", "check-template", *args, cwd=cwd)
        assert arm_requests(emulator) == [], result
        assert "Traceback" not in result.err, result
        return result
    return run


def line_of(path, text, start=1):
    """The 1-based line of the first occurrence of `text` in a file, at or after line `start` (test-side only)."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if number >= start and text in line:
                return number
    raise AssertionError(f"{text} is not in {path}")


def by_pool(rows):
    return {row["pool"]: row for row in rows}


def errors(row):
    return [finding for finding in row["findings"] if finding["severity"] == "error"]


def test_it_needs_no_sign_in(gate, az, tmp_path):
    signed_out = az.with_env(AZURE_CONFIG_DIR=str(tmp_path / "never-signed-in"))
    result = gate("--template-file", GPU_POOLS, runner=signed_out)
    assert result.code == 1 and "az login" not in result.err, result
    assert by_pool(result.json)["a100"]["verdict"] == "refused"
    offline = signed_out("aks", "azurelinux", "check", "--node-vm-size", "Standard_NC4as_T4_v3")
    assert offline.code == 0 and offline.json["allowed"] is True, offline  # the offline check, likewise


# ---- ARM templates ------------------------------------------------------------------------------
def test_an_a100_pool_is_refused_at_the_line_where_its_size_is_written(gate):
    result = gate("--template-file", GPU_POOLS)
    assert result.code == 1, result
    pools = by_pool(result.json)
    a100 = pools["a100"]
    assert (a100["verdict"], a100["resource"], a100["cluster"], a100["vmSize"]) == \
        ("refused", "gpu-cluster/a100", "gpu-cluster", A100)
    [finding] = errors(a100)
    assert finding["subject"] == "vm_size" and "(NC A100 v4 series)" in finding["message"]
    assert (finding["file"], finding["line"]) == (GPU_POOLS, line_of(GPU_POOLS, A100))  # the parameter's default
    assert pools["t4"]["verdict"] == "ok" and pools["system"]["verdict"] == "ok"
    assert "8 node pools declared: 1 refused, 1 not evaluated" in result.err
    assert "Policy edition founding." in result.err


def test_windows_and_ubuntu_pools_are_skipped_with_the_reason_and_no_findings(gate):
    pools = by_pool(gate("--template-file", GPU_POOLS).json)
    assert pools["win"]["verdict"] == "skipped" and "Windows" in pools["win"]["reason"]
    for name in ("user1", "user2"):
        assert pools[name]["verdict"] == "skipped" and pools[name]["osSku"] is None
        assert "Ubuntu" in pools[name]["reason"]
    assert all(pools[name]["findings"] == [] for name in ("win", "user1", "user2"))


def test_a_parameters_file_sets_the_size_and_the_finding_points_into_it(gate):
    for given in (f"@{QUICKSTART_PARAMETERS}", QUICKSTART_PARAMETERS):  # as az deployment takes it: @file or path
        result = gate("--template-file", QUICKSTART, "--parameters", given)
        assert result.code == 1, result
        [row] = result.json
        assert (row["verdict"], row["vmSize"], row["osSku"]) == ("refused", A100, "AzureLinux3")
        [finding] = errors(row)
        assert (finding["file"], finding["line"]) == (QUICKSTART_PARAMETERS, line_of(QUICKSTART_PARAMETERS, A100))


def test_later_parameters_win_and_an_inline_value_points_at_the_declaration(gate):
    overridden = gate("--template-file", QUICKSTART, "-p", f"@{QUICKSTART_PARAMETERS}", f"agentVMSize={T4}")
    assert overridden.code == 0, overridden
    assert overridden.json[0]["vmSize"] == T4 and overridden.json[0]["verdict"] == "ok"
    file_last = gate("--template-file", QUICKSTART, "-p", f"agentVMSize={T4}", "-p", f"@{QUICKSTART_PARAMETERS}")
    assert file_last.code == 1 and file_last.json[0]["vmSize"] == A100
    inline = gate("--template-file", QUICKSTART, "--parameters", f"agentVMSize={A100}", "dnsPrefix=aks1")
    assert inline.code == 1, inline
    [finding] = errors(inline.json[0])
    assert (finding["file"], finding["line"]) == (QUICKSTART, line_of(QUICKSTART, '"agentVMSize"'))


def test_bicep_output_in_language_version_2_with_modules(gate):
    result = gate("--template-file", BICEP_MAIN, "--parameters", BICEP_PARAMETERS)
    assert result.code == 1, result
    rows = {row["resource"]: row for row in result.json}
    module_pool = rows["gpu::pool"]  # a pool declared in a module (an inner-scope nested deployment)
    assert (module_pool["pool"], module_pool["vmSize"], module_pool["verdict"]) == ("a100", A100, "refused")
    assert module_pool["cluster"] == "prod-aks" and module_pool["kubernetesVersion"] == "1.33.2"
    assert rows["tenants[0]::pool"]["verdict"] == "ok" and rows["tenants[1]::pool"]["verdict"] == "ok"
    h100 = rows["pools[1]"]
    assert h100["verdict"] == "refused"
    assert (errors(h100)[0]["file"], errors(h100)[0]["line"]) == \
        (BICEP_PARAMETERS, line_of(BICEP_PARAMETERS, "Standard_NC40ads_H100_v5"))


def test_a_value_known_only_at_deployment_is_not_evaluated_and_fails_only_with_strict(gate):
    result = gate("--template-file", GPU_POOLS, "--parameters", ONLY_T4)
    assert result.code == 0, result
    spot = by_pool(result.json)["spot"]
    assert spot["verdict"] == "not-evaluated" and spot["kubernetesVersion"] is None
    [entry] = spot["notEvaluated"]
    assert entry["name"] == "properties.orchestratorVersion" and entry["expression"].startswith("[reference(")
    assert "properties.orchestratorVersion" in spot["reason"] and "reference(" in spot["reason"]
    assert "1 not evaluated" in result.err
    strict = gate("--template-file", GPU_POOLS, "--parameters", ONLY_T4, "--strict")
    assert strict.code == 1, strict
    assert "(counted as refused: --strict)" in strict.err


def test_child_pools_whose_cluster_is_elsewhere_have_their_version_not_evaluated(gate):
    result = gate("--template-file", CHILD_POOLS)
    assert result.code == 0, result
    gpu, pinned = result.json
    assert gpu["verdict"] == "not-evaluated" and gpu["notEvaluated"][0]["field"] == "kubernetesVersion"
    assert pinned["verdict"] == "ok" and pinned["kubernetesVersion"] == "1.31.3"
    assert gpu["findings"] == []  # a pool name not evaluated is not judged by the naming rule


# ---- Terraform plans ----------------------------------------------------------------------------
def test_a_terraform_plan_with_modules_and_values_known_after_apply(gate):
    result = gate("--terraform-plan", PLAN)
    assert result.code == 1, result
    rows = {row["resource"]: row for row in result.json}
    a100 = rows["module.gpu.azurerm_kubernetes_cluster_node_pool.a100"]
    assert a100["verdict"] == "refused" and a100["cluster"] == "aks-main"
    address = line_of(PLAN, '"module.gpu.azurerm_kubernetes_cluster_node_pool.a100"')
    assert errors(a100)[0]["line"] == line_of(PLAN, f'"vm_size": "{A100}"', start=address)  # in planned_values
    spot = rows["module.gpu.module.spot.azurerm_kubernetes_cluster_node_pool.spot"]
    assert spot["verdict"] == "not-evaluated"
    assert spot["notEvaluated"][0]["name"].endswith("vm_size") and \
        spot["notEvaluated"][0]["expression"] == "(known after apply)"
    assert rows["azurerm_kubernetes_cluster_node_pool.win"]["verdict"] == "skipped"
    assert rows["azurerm_kubernetes_cluster_node_pool.user"]["verdict"] == "skipped"


def test_a_plan_on_one_line_points_at_line_one_and_names_the_address(gate):
    result = gate("--terraform-plan", PLAN_ONE_LINE)
    assert result.code == 1, result
    [row] = result.json
    assert row["resource"] == "azurerm_kubernetes_cluster.gpu" and row["line"] == 1
    assert errors(row)[0]["line"] == 1


# ---- the policy in force --------------------------------------------------------------------------
def test_the_aks_2026_edition_allows_the_a100_for_one_run(gate):
    result = gate("--template-file", QUICKSTART, "-p", f"@{QUICKSTART_PARAMETERS}", "--policy", "aks-2026")
    assert result.code == 0, result
    assert result.json[0]["vmSize"] == A100 and result.json[0]["verdict"] == "ok"
    assert "Policy edition aks-2026." in result.err


def test_an_organisation_policy_file_refuses_a_size_the_edition_allows(gate, az, tmp_path):
    org = tmp_path / "org-policy.json"
    org.write_text(json.dumps({"vmSizes": {"deny": ["Standard_D2s_v3"]}}))
    runner = az.with_env(AZURE_AZURELINUX_POLICY_FILE=str(org))
    result = gate("--template-file", QUICKSTART, runner=runner)
    assert result.code == 1, result
    [finding] = errors(result.json[0])
    assert finding["rule"] == "org-policy-vm-sizes" and "refused by your organisation's policy" in finding["message"]
    assert finding["line"] == line_of(QUICKSTART, "Standard_D2s_v3")
    assert f"organisation policy {org}" in result.err


# ---- reports for CI -------------------------------------------------------------------------------
def test_sarif_and_junit_reports_are_valid_and_point_into_the_repository(gate, tmp_path):
    sarif, junit = tmp_path / "gate.sarif", tmp_path / "gate.xml"
    result = gate("--template-file", GPU_POOLS, "--sarif", str(sarif), "--junit", str(junit))
    assert result.code == 1, result
    log = json.loads(sarif.read_text(encoding="utf-8"))
    with open(os.path.join(SCHEMAS, "sarif-schema-2.1.0.json"), encoding="utf-8") as handle:
        jsonschema.Draft4Validator(json.load(handle), format_checker=jsonschema.FormatChecker()).validate(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "az aks azurelinux check-template"
    refused = [r for r in run["results"] if r["level"] == "error"]
    [location] = refused[0]["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "tests/data/templates/arm/aks-gpu-pools.json"
    assert location["physicalLocation"]["region"]["startLine"] == line_of(GPU_POOLS, A100)
    assert any(r["ruleId"] == "not-evaluated" and r["level"] == "warning" for r in run["results"])
    xmlschema.XMLSchema(os.path.join(SCHEMAS, "junit-10.xsd")).validate(str(junit))
    suite = ET.parse(str(junit)).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("8", "1", "4")
    [failure] = suite.iter("failure")
    assert A100 in failure.get("message")


def test_under_github_actions_the_refused_pools_are_appended_to_the_step_summary(gate, az, tmp_path):
    workspace = tmp_path / "repo"
    (workspace / "infra").mkdir(parents=True)
    template = workspace / "infra" / "main.json"
    shutil.copy(os.path.join(ROOT, GPU_POOLS), template)
    summary = tmp_path / "summary.md"
    summary.write_text("## an earlier step\n", encoding="utf-8")
    runner = az.with_env(GITHUB_STEP_SUMMARY=str(summary), GITHUB_WORKSPACE=str(workspace))
    result = gate("--template-file", str(template), "--sarif", str(tmp_path / "out.sarif"), runner=runner,
                  cwd=str(tmp_path))
    assert result.code == 1, result
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## an earlier step\n") and "### Azure Linux node pools: `check-template`" in text
    [line] = [line for line in text.splitlines() if A100 in line]
    assert line.startswith("| ") and "| a100 |" in line
    uri = json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"][0]["locations"][0]
    assert uri["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.json"  # not a git tree: the workspace


def test_the_table_is_readable(gate):
    for args in (("--template-file", GPU_POOLS), ("--terraform-plan", PLAN),
                 ("--template-file", os.path.join(DATA, "bicep", "avm-like-v1.json"))):
        result = gate(*args, "-o", "table")
        lines = result.out.splitlines()
        assert lines[0].split() == ["File", "Resource", "Pool", "VmSize", "OsSku", "Kubernetes", "Verdict", "Why"]
        assert max(len(line) for line in lines) <= 200, result.out
    a100 = [line for line in lines if "refused" in line]
    assert a100 == []  # avm-like-v1 refuses nothing
    gpu = gate("--template-file", GPU_POOLS, "-o", "table").out
    [refused] = [line for line in gpu.splitlines() if " refused " in line]
    assert f"aks-gpu-pools.json:{line_of(GPU_POOLS, A100)}" in refused and f"{A100} is not supported" in refused


# ---- Bicep --------------------------------------------------------------------------------------
def fake_bicep(folder, compiled):
    """A `bicep` that 'compiles' by copying a template that `bicep build` wrote: `bicep build FILE --outfile OUT`."""
    folder.mkdir()
    script = folder / "bicep"
    script.write_text(f"#!{sys.executable}\nimport shutil, sys\nargs = sys.argv[1:]\n"
                      f"assert args[0] == 'build' and args[2] == '--outfile', args\n"
                      f"shutil.copy({compiled!r}, args[3])\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(folder)


def test_a_bicep_file_is_compiled_by_the_bicep_on_path_and_rows_name_it(gate, az, tmp_path):
    source = tmp_path / "main.bicep"
    source.write_text("// the fake bicep ignores this text\n")
    runner = az.with_env(PATH=fake_bicep(tmp_path / "bin", os.path.join(ROOT, BICEP_MAIN)))
    result = gate("--template-file", str(source), "--parameters", BICEP_PARAMETERS, runner=runner)
    assert result.code == 1, result
    rows = {row["resource"]: row for row in result.json}
    assert rows["gpu::pool"]["verdict"] == "refused" and rows["gpu::pool"]["file"] == str(source)
    assert errors(rows["gpu::pool"])[0]["file"] == str(source)
    assert errors(rows["pools[1]"])[0]["file"] == BICEP_PARAMETERS  # the parameters file keeps its own lines


# ---- argument errors: exit 2, one message naming the file, no traceback ----------------------------
def bad_files(tmp_path):
    not_json = tmp_path / "broken.json"
    not_json.write_text('{"resources": [')
    source = tmp_path / "main.bicep"
    source.write_text("resource aks 'Microsoft.ContainerService/managedClusters@2024-05-01' = {}\n")
    return {"not_json": str(not_json), "bicep": str(source), "folder": str(tmp_path)}


CASES = {
    "both files": (("--template-file", GPU_POOLS, "--terraform-plan", PLAN), "both given"),
    "no file": ((), "Nothing to check"),
    "missing": (("--template-file", "nowhere/azuredeploy.json"), "nowhere/azuredeploy.json cannot be read"),
    "a folder": (("--terraform-plan", "{folder}"), "{folder} cannot be read"),
    "not JSON": (("--template-file", "{not_json}"), "{not_json} is not JSON"),
    "a parameters file as template": (("--template-file", QUICKSTART_PARAMETERS), "is a parameters file"),
    "a plan as template": (("--template-file", PLAN), f"{PLAN} is a Terraform plan"),
    "a template as plan": (("--terraform-plan", GPU_POOLS), f"{GPU_POOLS} is an ARM template"),
    "format 2": (("--terraform-plan", os.path.join(DATA, "terraform", "plan-format2.json")), "format_version 2"),
    "state": (("--terraform-plan", os.path.join(DATA, "terraform", "state.json")), "no planned_values"),
    "parameters with a plan": (("--terraform-plan", PLAN, "-p", "a=b"), "--parameters belongs to --template-file"),
    "undeclared parameter": (("--template-file", QUICKSTART, "-p", "nodeSize=x"), "does not declare"),
    "report folder": (("--template-file", GPU_POOLS, "--sarif", "no/such/dir/out.sarif"), "cannot be written"),
    "bicep not installed": (("--template-file", "{bicep}"), "az bicep install"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_file_or_argument_that_cannot_be_used_exits_2_with_one_clear_message(gate, az, tmp_path, case):
    args, expected = CASES[case]
    files = bad_files(tmp_path)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    runner = az.with_env(PATH=str(empty))  # no bicep anywhere (nor in the private config's folder)
    result = gate(*(arg.format(**files) for arg in args), runner=runner)
    assert result.code == 2, result
    [error] = [line for line in result.err.splitlines() if not line.startswith("WARNING: Command group")]
    assert error.startswith("ERROR: ") and expected.format(**files) in error, result
    assert result.out == "", result
