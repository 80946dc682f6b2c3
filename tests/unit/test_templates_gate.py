# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The verdict on each declared pool, with the policy's check injected: refused, not evaluated, skipped, ok."""
import os

import pytest

from azext_azurelinux.templates import Declaration, Location, NotEvaluated, POOL, arm, gate, terraform

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "templates")
AZURE_LINUX = {"azurelinux", "azurelinux3", "cblmariner", "azurelinuxosguard"}


def is_azure_linux(os_sku):
    return str(os_sku).lower() in AZURE_LINUX


class RecordingCheck:
    """A stand-in for the policy's check, with the policy's shapes of findings; records its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, vm_size, os_sku, kubernetes_version, enable_fips, trusted_launch):
        self.calls.append((vm_size, os_sku, kubernetes_version, enable_fips, trusted_launch))
        findings = []
        if vm_size and "a100" in vm_size.lower():
            findings.append({"rule": "gpu-nca100v4-refused", "severity": "error", "subject": "vm_size",
                             "message": f"{vm_size} is not supported on Azure Linux node pools (NC A100 v4 series).",
                             "source": "https://learn.microsoft.com/azure/aks/gpu-cluster"})
        if os_sku.lower() == "azurelinux3" and kubernetes_version and kubernetes_version < "1.28":
            findings.append({"rule": "os-sku-azurelinux3-versions", "severity": "error",
                             "subject": "kubernetes_version",
                             "message": f"{kubernetes_version} is outside the versions AzureLinux3 runs on."})
        if os_sku.lower() == "azurelinux" and kubernetes_version is None:
            findings.append({"rule": "azure-linux-2-retired", "severity": "warning", "subject": "kubernetes_version",
                             "message": "AzureLinux may land on Azure Linux 2.0 without a version."})
        if os_sku.lower() == "azurelinuxosguard" and trusted_launch is False:
            findings.append({"rule": "os-guard-trusted-launch", "severity": "error", "subject": "os_sku",
                             "message": "AzureLinuxOSGuard needs Trusted Launch."})
        if enable_fips:
            findings.append({"rule": "fips-image", "severity": "info", "subject": "enable_fips",
                             "message": "FIPS image."})
        return findings


def pool(**fields):
    values = {"file": "main.json", "line": 10, "resource": "aks", "cluster": "aks", "pool": "p1",
              "osSku": "AzureLinux", "vmSize": "Standard_D4ds_v5", "kubernetesVersion": "1.33.2"}
    values.update(fields)
    return Declaration(**values)


def unknown(field, name=None, line=30):
    return NotEvaluated(field, name or field, "[reference('x').y]", "reference() is known only at deployment",
                        Location("main.json", line))


def judge_one(declaration, check=None):
    check = check or RecordingCheck()
    return gate.judge_one(declaration, check, is_azure_linux), check


def test_a_refused_size_points_at_where_the_size_is_written():
    declaration = pool(vmSize="Standard_NC24ads_A100_v4", locations={"vmSize": Location("params.json", 7)})
    row, _ = judge_one(declaration)
    assert row["verdict"] == gate.REFUSED
    (finding,) = row["findings"]
    assert (finding["rule"], finding["severity"], finding["file"], finding["line"]) == \
        ("gpu-nca100v4-refused", "error", "params.json", 7)
    assert finding["source"].startswith("https://")


def test_a_finding_on_a_field_not_written_points_at_the_pool():
    row, _ = judge_one(pool(kubernetesVersion=None))
    assert row["verdict"] == gate.WARNING
    assert (row["findings"][0]["file"], row["findings"][0]["line"]) == ("main.json", 10)


@pytest.mark.parametrize("fields, reason", [
    ({"osType": "Windows", "osSku": "Windows2022"}, "a Windows pool"),
    ({"osSku": None}, "no OS SKU is set, so AKS gives this Linux pool Ubuntu"),
    ({"osSku": "Ubuntu2204"}, "OS SKU Ubuntu2204 is not Azure Linux"),
    ({"osType": "windows", "osSku": None, "notEvaluated": [unknown("vmSize")]}, "a Windows pool"),
])
def test_pools_not_on_azure_linux_are_skipped_without_findings(fields, reason):
    row, check = judge_one(pool(vmSize="Standard_NC24ads_A100_v4", **fields))
    assert row["verdict"] == gate.SKIPPED and reason in row["reason"]
    assert row["findings"] == [] and check.calls == []


def test_a_field_not_evaluated_is_not_a_pass():
    row, check = judge_one(pool(vmSize=None, notEvaluated=[unknown("vmSize", "properties.vmSize")]))
    assert row["verdict"] == gate.NOT_EVALUATED
    assert check.calls == [(None, "AzureLinux", "1.33.2", False, False)]
    assert "properties.vmSize = [reference('x').y]: reference() is known only at deployment" in row["reason"]
    assert row["notEvaluated"] == [{"field": "vmSize", "name": "properties.vmSize",
                                    "expression": "[reference('x').y]",
                                    "reason": "reference() is known only at deployment",
                                    "file": "main.json", "line": 30}]


def test_something_else_refused_wins_over_not_evaluated():
    row, _ = judge_one(pool(vmSize="Standard_NC24ads_A100_v4", kubernetesVersion=None,
                            notEvaluated=[unknown("kubernetesVersion")]))
    assert row["verdict"] == gate.REFUSED
    assert [finding["rule"] for finding in row["findings"]] == ["gpu-nca100v4-refused"]


def test_a_finding_about_a_field_not_evaluated_is_dropped():
    row, check = judge_one(pool(kubernetesVersion=None, notEvaluated=[unknown("kubernetesVersion")]))
    assert check.calls[0][2] is None
    assert row["findings"] == [] and row["verdict"] == gate.NOT_EVALUATED


@pytest.mark.parametrize("field", ["osSku", POOL])
def test_without_the_os_sku_the_rules_are_not_run(field):
    row, check = judge_one(pool(osSku=None, notEvaluated=[unknown(field)]))
    assert row["verdict"] == gate.NOT_EVALUATED and check.calls == []
    assert row["reason"].startswith("whether the pool runs Azure Linux is not known")


@pytest.mark.parametrize("secure_boot, vtpm, unknowns, trusted", [
    (True, True, [], True), (True, False, [], False), (False, False, [], False),
    (True, None, ["enableVTPM"], None),
])
def test_trusted_launch_is_secure_boot_and_vtpm(secure_boot, vtpm, unknowns, trusted):
    declaration = pool(osSku="AzureLinuxOSGuard", enableSecureBoot=secure_boot, enableVTPM=vtpm,
                       notEvaluated=[unknown(field) for field in unknowns])
    row, check = judge_one(declaration)
    assert check.calls[0][4] is trusted
    assert row["verdict"] == (gate.REFUSED if trusted is False else gate.NOT_EVALUATED if unknowns else gate.OK)


def test_info_findings_leave_the_pool_ok_and_objects_are_findings_too():
    class Finding:  # pylint: disable=too-few-public-methods
        def to_dict(self):
            return {"rule": "r", "severity": "info", "message": "m", "subject": "os_sku"}

    row, _ = judge_one(pool(enableFIPS=True), check=lambda *args: [Finding()])
    assert row["verdict"] == gate.OK and row["findings"][0]["rule"] == "r"


def test_exit_code_and_strict():
    rows = [{"verdict": verdict} for verdict in (gate.OK, gate.WARNING, gate.SKIPPED)]
    assert gate.exit_code(rows) == 0
    assert gate.exit_code(rows + [{"verdict": gate.NOT_EVALUATED}]) == 0
    assert gate.exit_code(rows + [{"verdict": gate.NOT_EVALUATED}], strict=True) == 1
    assert gate.exit_code(rows + [{"verdict": gate.REFUSED}]) == 1


def test_summary_is_one_line_with_every_verdict():
    rows = [{"verdict": verdict} for verdict in (gate.REFUSED, gate.NOT_EVALUATED, gate.OK, gate.OK, gate.SKIPPED)]
    text = gate.summary(rows, strict=True)
    assert "\n" not in text
    assert text == ("5 node pools declared: 1 refused, 1 not evaluated (counted as refused: --strict), "
                    "0 with warnings, 2 ok, 1 skipped (not Azure Linux).")


def test_a_template_judged_end_to_end():
    rows = gate.judge(arm.read(os.path.join(DATA, "arm", "aks-gpu-pools.json")), RecordingCheck(), is_azure_linux)
    verdicts = {row["pool"]: row["verdict"] for row in rows}
    assert verdicts == {"system": gate.OK, "sysprod": gate.OK, "win": gate.SKIPPED, "t4": gate.OK,
                        "a100": gate.REFUSED, "user1": gate.SKIPPED, "user2": gate.SKIPPED,
                        "spot": gate.NOT_EVALUATED}
    assert gate.exit_code(rows) == 1


def test_a_plan_judged_end_to_end():
    rows = gate.judge(terraform.read(os.path.join(DATA, "terraform", "plan-azurerm.json")), RecordingCheck(),
                      is_azure_linux)
    verdicts = {row["resource"]: row["verdict"] for row in rows}
    assert verdicts["module.gpu.azurerm_kubernetes_cluster_node_pool.a100"] == gate.REFUSED
    assert verdicts["azurerm_kubernetes_cluster_node_pool.user"] == gate.SKIPPED
    assert verdicts["azurerm_kubernetes_cluster_node_pool.legacy"] == gate.NOT_EVALUATED
    assert verdicts["module.gpu.module.spot.azurerm_kubernetes_cluster_node_pool.spot"] == gate.NOT_EVALUATED
    assert verdicts["azurerm_kubernetes_cluster.main"] == gate.OK
