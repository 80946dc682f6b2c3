# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The organisation's policy file: its schema, our validator held to the jsonschema library, and its rules."""
import json

import jsonschema
import pytest

from azext_azurelinux import org_policy, policy

SAMPLES = [
    {}, {"vmSizes": {"allow": ["Standard_D*"], "deny": ["Standard_NC*"]}}, {"osSkus": {"allow": ["AzureLinux3"]}},
    {"securityModules": {"allow": ["none"]}}, {"kubernetesVersions": {"min": "1.32", "max": "1.35.1"}},
    {"maxNodeCount": 50}, {"$schema": "x", "description": "ours"},
    {"vmSize": {}}, {"vmSizes": {"allow": "x"}}, {"vmSizes": {"allow": [1]}}, {"vmSizes": {"allow": [""]}},
    {"vmSizes": {"other": []}}, {"kubernetesVersions": {"min": "v1.3"}}, {"maxNodeCount": "5"},
    {"maxNodeCount": True}, {"maxNodeCount": -1}, {"maxNodeCount": 1001}, [], "text", None,
]


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(org_policy.schema())


@pytest.mark.parametrize("document", SAMPLES, ids=lambda d: json.dumps(d)[:40])
def test_our_validator_agrees_with_jsonschema(document):
    library = jsonschema.Draft202012Validator(org_policy.schema()).is_valid(document)
    assert (org_policy.validate(document) is None) == library


def test_load_names_the_file_the_field_and_the_problem(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"vmSizes": {"allow": ["ok", 7]}}))
    with pytest.raises(org_policy.OrgPolicyError) as error:
        org_policy.load(str(path))
    assert str(path) in str(error.value) and "vmSizes.allow[1] must be a string, not an integer" in str(error.value)


def test_rules_narrow_and_say_so(tmp_path):
    rules = org_policy.Rules("p.json", {"vmSizes": {"allow": ["standard_d*"], "deny": ["*_v3"]}, "maxNodeCount": 3,
                                        "kubernetesVersions": {"max": "1.33"}})
    assert rules.vm_size("Standard_D4ds_v5") == []
    [denied] = rules.vm_size("Standard_D4s_v3")
    assert denied.refused and denied.rule == "org-policy-vm-sizes" and "vmSizes.deny has '*_v3'" in denied.message
    assert "refused by your organisation's policy, p.json" in denied.message
    assert rules.vm_size("Standard_E4s_v5")[0].refused
    assert rules.os_sku("AzureLinux", "1.34.1")[0].refused and rules.os_sku("AzureLinux", "1.33.9") == []
    assert rules.node_count(4)[0].refused and rules.node_count(3) == []


def test_editions_are_values_and_unknown_names_are_refused():
    assert not policy.refusals(policy.Policy("aks-2026", chosen_by="test").check_vm_size("Standard_ND96isr_H200_v5"))
    refused = policy.refusals(policy.Policy().check_vm_size("Standard_ND96isr_H200_v5"))
    assert refused and refused[0].edition == "founding" and "aks-2026 edition allows it" in refused[0].message
    with pytest.raises(policy.UnknownEdition):
        policy.Policy("nope")
