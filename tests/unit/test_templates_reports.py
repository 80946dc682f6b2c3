# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""SARIF against the SARIF 2.1.0 schema, JUnit against the JUnit XSD, and the GitHub step summary."""
import json
import os
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from azext_azurelinux.templates import arm, gate, reports, terraform

HERE = os.path.dirname(os.path.dirname(__file__))
DATA = os.path.join(HERE, "data", "templates")
SCHEMAS = os.path.join(HERE, "data", "schemas")
REPOSITORY = os.path.dirname(HERE)


def is_azure_linux(os_sku):
    return str(os_sku).lower() in ("azurelinux", "azurelinux3")


def check(vm_size, os_sku, kubernetes_version, enable_fips, trusted_launch):  # pylint: disable=unused-argument
    if vm_size and "A100" in vm_size:
        return [{"rule": "gpu-nca100v4-refused", "severity": "error", "subject": "vm_size",
                 "message": f"{vm_size} is not supported on Azure Linux | node pools.", "source": "AKS docs"}]
    if kubernetes_version is None:
        return [{"rule": "azure-linux-2-retired", "severity": "warning", "subject": "kubernetes_version",
                 "message": "no version: AzureLinux may land on Azure Linux 2.0."}]
    return []


@pytest.fixture(name="rows")
def judged_rows():
    declarations = arm.read(os.path.join(DATA, "arm", "aks-gpu-pools.json"))
    bicep = os.path.join(DATA, "bicep")
    declarations += arm.read(os.path.join(bicep, "main.json"), [os.path.join(bicep, "main.parameters.json")])
    declarations += arm.read(os.path.join(DATA, "bicep", "avm-like-v1.json"))
    declarations += terraform.read(os.path.join(DATA, "terraform", "plan-azurerm.json"))
    declarations += terraform.read(os.path.join(DATA, "terraform", "plan-oneline.json"))
    return gate.judge(declarations, check, is_azure_linux)


def validate_sarif(log):
    with open(os.path.join(SCHEMAS, "sarif-schema-2.1.0.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)


def test_sarif_is_valid_sarif_2_1_0(rows):
    log = reports.sarif(rows, version="1.4.0", cwd=REPOSITORY, environ={})
    validate_sarif(json.loads(json.dumps(log)))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "az aks azurelinux check-template" and driver["version"] == "1.4.0"
    assert len({rule["id"] for rule in driver["rules"]}) == len(driver["rules"])
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]


def test_sarif_results_as_github_code_scanning_reads_them(rows):
    log = reports.sarif(rows, cwd=REPOSITORY, environ={})
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    levels = {}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and "://" not in uri
        assert uri.startswith("tests/data/templates/")
        assert location["region"]["startLine"] >= 1
        levels.setdefault(result["ruleId"], set()).add(result["level"])
    assert levels["gpu-nca100v4-refused"] == {"error"}
    assert levels["not-evaluated"] == {"warning"}
    assert levels["azure-linux-2-retired"] == {"warning"}


def test_a_refusal_points_at_the_line_of_the_value(rows):
    log = reports.sarif(rows, cwd=REPOSITORY, environ={})
    refusals = [result for result in log["runs"][0]["results"] if result["level"] == "error"]
    places = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
               r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in refusals}
    assert ("tests/data/templates/terraform/plan-oneline.json", 1) in places
    with open(os.path.join(DATA, "arm", "aks-gpu-pools.json"), encoding="utf-8") as handle:
        a100_line = next(n for n, text in enumerate(handle, 1) if '"vmSize": "Standard_NC24ads_A100_v4"' in text)
    assert ("tests/data/templates/arm/aks-gpu-pools.json", a100_line) in places
    assert any("module.gpu.azurerm_kubernetes_cluster_node_pool.a100" in r["message"]["text"] for r in refusals)


def test_a_not_evaluated_field_is_a_warning_naming_field_and_expression(rows):
    log = reports.sarif(rows, cwd=REPOSITORY, environ={})
    messages = [r["message"]["text"] for r in log["runs"][0]["results"] if r["ruleId"] == "not-evaluated"]
    assert any("properties.orchestratorVersion = [reference(" in text for text in messages)
    assert any("vm_size = (known after apply)" in text for text in messages)


def test_an_empty_run_is_valid_sarif():
    validate_sarif(reports.sarif([], environ={}))


def test_uris_are_relative_to_the_git_work_tree(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra" / "my aks").mkdir(parents=True)
    template = repo / "infra" / "my aks" / "main.json"
    template.write_text("{}")
    assert reports.artifact_uri(str(template), environ={}, cwd=str(tmp_path)) == "infra/my%20aks/main.json"
    assert reports.artifact_uri("repo/infra/my aks/main.json", environ={}, cwd=str(tmp_path)) == \
        "infra/my%20aks/main.json"


def test_uris_without_git_use_github_workspace_then_the_current_folder(tmp_path):
    (tmp_path / "ws" / "infra").mkdir(parents=True)
    template = tmp_path / "ws" / "infra" / "main.json"
    template.write_text("{}")
    environ = {"GITHUB_WORKSPACE": str(tmp_path / "ws")}
    assert reports.artifact_uri(str(template), environ=environ, cwd="/") == "infra/main.json"
    assert reports.artifact_uri(str(template), environ={}, cwd=str(tmp_path / "ws" / "infra")) == "main.json"


def junit_schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(os.path.join(SCHEMAS, "junit-10.xsd"))


def test_junit_is_valid_and_has_a_case_per_pool(rows):
    text = reports.junit(rows)
    junit_schema().validate(text)
    suite = ET.fromstring(text)
    cases = suite.findall("testcase")
    assert suite.tag == "testsuite" and len(cases) == len(rows) == int(suite.get("tests"))
    refused = [row for row in rows if row["verdict"] == gate.REFUSED]
    assert int(suite.get("failures")) == len(refused) == len(suite.findall("testcase/failure"))
    skipped = [row for row in rows if row["verdict"] in (gate.SKIPPED, gate.NOT_EVALUATED)]
    assert int(suite.get("skipped")) == len(skipped) == len(suite.findall("testcase/skipped"))


def test_junit_failure_message_and_skipped_reason(rows):
    suite = ET.fromstring(reports.junit(rows))
    messages = [failure.get("message") for failure in suite.iter("failure")]
    assert any("Standard_NC24ads_A100_v4 is not supported" in message for message in messages)
    reasons = [skipped.get("message") for skipped in suite.iter("skipped")]
    assert any(reason.startswith("not-evaluated: ") and "vm_size = (known after apply)" in reason
               for reason in reasons)
    assert any(reason.startswith("skipped: a Windows pool") for reason in reasons)


def test_junit_drops_characters_xml_cannot_carry():
    row = {"file": "a.json", "line": 1, "resource": "r\x01", "cluster": None, "pool": "p\x1b", "verdict": gate.REFUSED,
           "findings": [{"rule": "x", "severity": "error", "message": "bad\x00 value", "file": "a.json", "line": 1}]}
    text = reports.junit([row])
    junit_schema().validate(text)
    assert "bad value" in text


def test_step_summary_lists_refused_pools(rows):
    text = reports.step_summary(rows)
    assert text.startswith("### Azure Linux node pools")
    assert gate.summary(rows) in text
    table = [line for line in text.splitlines() if line.startswith("| ") and "File" not in line]
    assert len(table) == sum(1 for row in rows if row["verdict"] == gate.REFUSED)
    assert all(line.count(" | ") == 7 for line in table)
    assert "Azure Linux \\| node pools" in text


def test_step_summary_stays_under_the_limit():
    row = {"file": "main.json", "line": 3, "resource": "aks", "pool": "p", "vmSize": "Standard_NC24ads_A100_v4",
           "osSku": "AzureLinux", "kubernetesVersion": "1.33.2", "verdict": gate.REFUSED,
           "findings": [{"severity": "error", "message": "x" * 500}]}
    text = reports.step_summary([row] * 5000, limit=20000)
    assert len(text.encode("utf-8")) <= 20000
    assert "more refused pools: see the SARIF or JUnit report" in text
    assert len(reports.step_summary([row] * 5000).encode("utf-8")) < 1024 * 1024
