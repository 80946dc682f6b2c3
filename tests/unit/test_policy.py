# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The support policy, exhaustively: every size in the matrix, non-GPU sizes, case variants, versions, modules."""
import json
import os

import pytest

from azext_azurelinux import policy

POLICY = policy.Policy()  # the default edition, no organisation policy

NCV3 = ["Standard_NC6s_v3", "Standard_NC12s_v3", "Standard_NC24s_v3", "Standard_NC24rs_v3"]
T4 = ["Standard_NC4as_T4_v3", "Standard_NC8as_T4_v3", "Standard_NC16as_T4_v3", "Standard_NC64as_T4_v3"]
A100 = ["Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4", "Standard_NC96ads_A100_v4"]
OTHER_GPU = ["Standard_ND96asr_v4", "Standard_NV36ads_A10_v5", "Standard_NC40ads_H100_v5", "Standard_ND96isr_H100_v5",
             "Standard_NG8ads_V620_v1", "Standard_NC6", "Standard_NV6"]
NON_GPU = ["Standard_D2ds_v5", "Standard_D4s_v3", "Standard_DS2_v2", "Standard_E8s_v5", "Standard_F16s_v2",
           "Standard_B2ms", "Standard_L8s_v3", "Standard_M128s", "Standard_HB120rs_v3", "Standard_D2pds_v5"]


def _variants(name):
    return [name, name.lower(), name.upper(), name.swapcase()]


@pytest.mark.parametrize("size", [v for s in NCV3 + T4 for v in _variants(s)])
def test_supported_gpu_sizes_are_allowed_in_any_case(size):
    assert POLICY.check_vm_size(size) == []


@pytest.mark.parametrize("size", [v for s in A100 for v in _variants(s)])
def test_a100_is_refused_by_name_with_the_supported_list(size):
    [finding] = POLICY.check_vm_size(size)
    assert finding.refused and finding.rule == "gpu-nca100v4-refused"
    assert finding.message.startswith(f"{size} is not supported on Azure Linux node pools (NC A100 v4 series).")
    assert all(s in finding.message for s in NCV3 + T4)
    assert finding.source and finding.date


@pytest.mark.parametrize("size", [v for s in OTHER_GPU for v in _variants(s)])
def test_other_gpu_families_are_outside_the_supported_list(size):
    [finding] = POLICY.check_vm_size(size)
    assert finding.refused and finding.rule == "gpu-outside-supported-list"
    assert "outside the supported list" in finding.message


@pytest.mark.parametrize("size", NON_GPU + [s.lower() for s in NON_GPU])
def test_non_gpu_sizes_are_not_restricted(size):
    assert POLICY.check_vm_size(size) == []
    assert not POLICY.is_gpu_size(size)


@pytest.mark.parametrize("size", ["", "   ", None, 42])
def test_a_size_that_is_no_name_is_refused_cleanly(size):
    [finding] = POLICY.check_vm_size(size)
    assert finding.refused and finding.rule == "vm-size-name"


def test_canonical_spelling_of_listed_sizes():
    assert POLICY.canonical_vm_size("standard_nc4as_t4_v3") == "Standard_NC4as_T4_v3"
    assert POLICY.canonical_vm_size("standard_d2s_v3") == "standard_d2s_v3"


def test_supported_sizes_are_exactly_ncv3_and_t4():
    assert POLICY.supported_gpu_sizes() == NCV3 + T4


def test_gpu_matrix_rows_carry_reason_source_and_date():
    rows = POLICY.gpu_matrix_rows()
    assert {r["size"] for r in rows if r["series"] != "other GPU families"} == set(NCV3 + T4 + A100)
    assert all(r["reason"] and r["source"] and r["date"] for r in rows)
    assert [r["supported"] for r in rows if r["size"] in A100] == [False] * 3


@pytest.mark.parametrize("sku", ["AzureLinux", "azurelinux", "AZURELINUX", "AzureLinux3", "azurelinux3"])
def test_azure_linux_skus_are_accepted_in_any_case(sku):
    assert POLICY.check_os_sku(sku) == []
    assert POLICY.canonical_os_sku(sku) in ("AzureLinux", "AzureLinux3")


@pytest.mark.parametrize("sku", ["Ubuntu", "Windows2022", "CBLMariner", "Ubuntu2204", "AzureContainerLinux", "Mariner",
                                 ""])
def test_other_skus_are_refused(sku):
    [finding] = POLICY.check_os_sku(sku)
    assert finding.refused and "Use one of: AzureLinux, AzureLinux3." in finding.message


@pytest.mark.parametrize("version", ["1.27", "1.28.3", "1.31", "1.31.9", "v1.30"])
def test_azurelinux_on_131_or_older_warns_of_azure_linux_2(version):
    [finding] = POLICY.check_os_sku("AzureLinux", version)
    assert finding.severity == policy.WARNING and finding.rule == "azure-linux-2-retired"
    assert "Azure Linux 2.0" in finding.message and "AzureLinux3" in finding.message


@pytest.mark.parametrize("version", ["1.32", "1.33.5", "1.36", "1.40"])
def test_azurelinux_on_132_or_later_is_fine(version):
    assert POLICY.check_os_sku("AzureLinux", version) == []


@pytest.mark.parametrize("version,ok", [("1.27", False), ("1.27.9", False), ("1.28", True), ("1.28.0", True),
                                        ("1.33", True), ("1.36.2", True), ("1.37", False), ("2.0", False)])
def test_azurelinux3_runs_on_128_to_136(version, ok):
    findings = POLICY.check_os_sku("AzureLinux3", version)
    assert (not policy.refusals(findings)) == ok
    if not ok:
        assert "1.28 to 1.36" in findings[0].message


@pytest.mark.parametrize("version", ["latest", "1", "1.x", "1.33.5.1", "one.two"])
def test_a_version_that_is_no_version_is_refused(version):
    [finding] = POLICY.check_os_sku("AzureLinux3", version)
    assert finding.refused and finding.rule == "kubernetes-version-format"


def test_security_modules():
    assert POLICY.check_security_module("none") == []
    [selinux] = POLICY.check_security_module("SELinux")
    assert selinux.severity == policy.INFO and "manual configuration" in selinux.message
    [apparmor] = POLICY.check_security_module("apparmor")
    assert apparmor.refused and "selinux" in apparmor.message
    [unknown] = POLICY.check_security_module("tomoyo")
    assert unknown.refused and "none, selinux, apparmor" in unknown.message


def test_selinux_label_and_notice():
    assert POLICY.security_module_label("selinux") == ("azurelinux.security-module", "selinux")
    assert POLICY.security_module_label("none") is None
    notice = POLICY.security_module_notice("selinux")
    assert "azurelinux.security-module=selinux" in notice and "yourself" in notice


def test_preflight_collects_every_finding():
    findings = POLICY.check_choice("Standard_NC24ads_A100_v4", "AzureLinux", "1.30", "apparmor")
    assert [f.rule for f in findings] == ["gpu-nca100v4-refused", "azure-linux-2-retired",
                                          "security-module-apparmor-refused"]


@pytest.mark.parametrize("os_type,sku,size,target,action", [
    ("Linux", "Ubuntu", "Standard_D4s_v5", "AzureLinux", "migrate"),
    ("Linux", "Ubuntu2204", "Standard_NC6s_v3", "AzureLinux3", "migrate"),
    ("Linux", "AzureLinux", "Standard_D4s_v5", "AzureLinux", "nothing-to-do"),
    ("Linux", "AzureLinux", "Standard_D4s_v5", "AzureLinux3", "nothing-to-do"),  # Kubernetes unknown: no move
    ("Windows", "Windows2022", "Standard_D4s_v5", "AzureLinux", "refused"),
    ("Linux", "Ubuntu", "Standard_NC24ads_A100_v4", "AzureLinux", "refused"),
    ("Linux", "Ubuntu", "Standard_D4s_v5", "Ubuntu", "refused"),
])
def test_migration_sources(os_type, sku, size, target, action):
    assert POLICY.check_migration_source(os_type, sku, size, target)[0] == action


def test_every_rule_in_the_matrix_has_reason_source_and_date():
    path = os.path.join(os.path.dirname(policy.__file__), "support_matrix.json")
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    rules = data["osSkus"] + [data["osSkus"][0]["retired"]] + data["gpu"]["series"] + \
        [data["gpu"]["otherFamilies"], data["gpu"]["nonGpu"]] + data["securityModules"]
    for rule in rules:
        assert rule["rule"] and rule["reason"] and rule["source"] and rule["date"], rule


@pytest.mark.parametrize("check,value", [
    (POLICY.check_os_sku, "\n"), (POLICY.check_os_sku, "Azure Linux"), (POLICY.check_vm_size, "Standard_NC6\nx"),
    (POLICY.check_security_module, "sel inux"), (lambda v: POLICY.check_os_sku("AzureLinux3", v), "1.40\n"),
])
def test_odd_values_are_quoted_so_every_message_stays_one_line(check, value):
    [finding] = check(value)
    assert "\n" not in finding.message and repr(value) in finding.message


def test_plain_values_are_shown_as_typed():
    assert policy.shown("Standard_NC24ads_A100_v4") == "Standard_NC24ads_A100_v4"
    assert policy.shown("") == "''" and policy.shown(None) == "None"


@pytest.mark.parametrize("sku,version,target,action", [
    ("AzureLinux", "1.29.7", "AzureLinux3", "migrate"),
    ("AzureLinux", "1.33.5", "AzureLinux3", "nothing-to-do"),
    ("AzureLinux3", "1.32.7", "AzureLinux", "nothing-to-do"),
    ("CBLMariner", "1.30.1", "AzureLinux3", "migrate"),
])
def test_moves_inside_the_azure_linux_family_only_from_2_to_3(sku, version, target, action):
    assert POLICY.check_migration_source("Linux", sku, "Standard_D4s_v5", target, version)[0] == action
    assert POLICY.check_migration_source("Linux", sku, "Standard_D4s_v5", target, version,
                                         named_target=False)[0] == "nothing-to-do"


@pytest.mark.parametrize("sku,version,refused", [
    ("Ubuntu", "1.29.7", False), ("AzureLinux", "1.33.5", False), ("AzureLinux", "1.31.2", True),
    ("CBLMariner", "1.33.5", True), ("AzureLinux3", "1.30.0", False),
])
def test_rollback_targets_aks_no_longer_accepts(sku, version, refused):
    assert bool(policy.refusals(POLICY.check_rollback_target(sku, version))) == refused


def test_azure_linux_versions():
    assert POLICY.azure_linux_version("AzureLinux", "1.31.9") == "2.0"
    assert POLICY.azure_linux_version("azurelinux", "1.32") == "3.0"
    assert POLICY.azure_linux_version("AzureLinux3", None) == "3.0"
    assert POLICY.azure_linux_version("CBLMariner", "1.29") == "2.0"
    assert POLICY.azure_linux_version("AzureLinux", None) is None
    assert POLICY.azure_linux_version("Ubuntu", "1.33") is None
