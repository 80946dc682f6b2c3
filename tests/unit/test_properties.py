# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Property-based tests: any string or number gets an answer or a clean refusal, never an unexpected exception."""
import argparse

import pytest
from azure.cli.core.azclierror import AzCLIError
from hypothesis import given, settings, strategies as st

from azext_azurelinux import _validators, aks_rules, migration, policy

POLICY = policy.Policy()  # the default edition, no organisation policy

text = st.one_of(st.text(max_size=80), st.from_regex(r"(?i)standard_n[cdvg][0-9a-z_]{0,24}", fullmatch=True))
numbers = st.one_of(st.none(), st.integers(min_value=-10**6, max_value=10**6))
versions = st.one_of(st.none(), st.text(max_size=12), st.from_regex(r"v?[0-9]{1,2}\.[0-9]{1,3}(\.[0-9]{1,3})?",
                                                                      fullmatch=True))


@given(text)
def test_any_vm_size_is_allowed_or_refused_with_a_reason(size):
    findings = POLICY.check_vm_size(size)
    assert all(f.refused and f.message and f.rule for f in findings)
    if POLICY.is_gpu_size(size) and size.lower() not in {s.lower() for s in POLICY.supported_gpu_sizes()}:
        assert findings, size


@given(text, versions)
def test_any_os_sku_and_version_get_findings(sku, version):
    for finding in POLICY.check_os_sku(sku, version):
        assert finding.severity in (policy.ERROR, policy.WARNING) and finding.message


@given(text)
def test_any_security_module_gets_an_answer(name):
    for finding in POLICY.check_security_module(name):
        assert finding.severity in (policy.ERROR, policy.INFO) and finding.message


@given(text, text, text, versions)
def test_any_migration_source_gets_an_action(os_type, sku, size, version):
    action, findings = POLICY.check_migration_source(os_type, sku, size, "AzureLinux", version)
    assert action in ("migrate", "nothing-to-do", "refused")
    assert (action == "refused") == bool(policy.refusals(findings))


@given(st.one_of(st.none(), text), numbers, numbers, numbers, st.sampled_from(["User", "System"]))
def test_aks_rules_answer_none_or_a_sentence(name, count, low, high, mode):
    for answer in (aks_rules.pool_name(name), aks_rules.cluster_name(name), aks_rules.node_count(count, mode),
                   aks_rules.autoscaler(True, count, low, high, mode), aks_rules.max_pods(count),
                   aks_rules.os_disk_size(count)):
        assert answer is None or (isinstance(answer, str) and answer.endswith("."))


@given(st.lists(text, max_size=4), st.one_of(st.none(), text))
def test_labels_and_taints_parse_or_refuse(labels, taints):
    parsed, error = aks_rules.parse_labels(labels)
    assert (parsed is None) == bool(error)
    parsed, error = aks_rules.parse_taints(taints)
    assert parsed is None or error is None


@given(st.from_regex(r"[a-z][a-z0-9]{0,11}", fullmatch=True), st.sets(st.from_regex(r"[a-z][a-z0-9]{0,11}",
                                                                                    fullmatch=True), max_size=20))
def test_derived_names_are_valid_and_free(name, taken):
    new = migration.derive_new_name(name, taken | {name})
    assert aks_rules.pool_name(new) is None and new not in taken and new != name


def namespace(**values):
    base = dict(resource_group_name="rg", cluster_name="c1", nodepool_name="np", name="c1", node_vm_size=None,
                node_count=3, mode="User", os_sku="AzureLinux", kubernetes_version=None, labels=None,
                node_taints=None, zones=None, max_pods=None, enable_cluster_autoscaler=False, min_count=None,
                max_count=None, os_disk_size_gb=None, gpu_driver=None, security_module=None, tags=None,
                enable_defender=False, defender_workspace=None, ssh_key_value=None, strategy="in-place",
                new_name=None, max_parallel=2, location=None)
    base.update(values)
    return argparse.Namespace(**base)


def validated_or_refused(validator, ns):
    try:
        validator(ns)
    except AzCLIError as error:
        assert str(error) and "\n" not in str(error)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.none(), text), st.one_of(st.none(), text), numbers, numbers, numbers, st.one_of(st.none(), text),
       versions, st.one_of(st.none(), text), st.one_of(st.none(), st.lists(text, max_size=3)), numbers)
def test_nodepool_add_validator_never_crashes(pool, size, count, low, high, module, version, taints, labels, pods):
    validated_or_refused(_validators.validate_nodepool_add, namespace(
        nodepool_name=pool, node_vm_size=size, node_count=count, min_count=low, max_count=high,
        enable_cluster_autoscaler=low is not None, security_module=module, kubernetes_version=version,
        node_taints=taints, labels=labels, max_pods=pods, os_disk_size_gb=pods))


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.none(), text), text, numbers, text, versions, st.one_of(st.none(), text),
       st.one_of(st.none(), st.lists(text, max_size=3)))
def test_create_validator_never_crashes(name, pool, count, sku, version, key, zones):
    validated_or_refused(_validators.validate_create, namespace(
        name=name, nodepool_name=pool, node_count=count, os_sku=sku, kubernetes_version=version, ssh_key_value=key,
        zones=zones))


@settings(max_examples=150, deadline=None)
@given(text, st.one_of(st.none(), text), st.sampled_from(["in-place", "new-pool"]), text, numbers)
def test_migrate_validators_never_crash(pool, new_name, strategy, sku, parallel):
    validated_or_refused(_validators.validate_nodepool_migrate,
                         namespace(nodepool_name=pool, new_name=new_name, strategy=strategy, os_sku=sku))
    validated_or_refused(_validators.validate_migrate, namespace(os_sku=sku, max_parallel=parallel))


@pytest.mark.parametrize("value", ["", " ", "ssh-rsa", "ssh-rsa AAAA\nssh-rsa BBBB", "~/nothere.pub", "/"])
def test_ssh_key_odd_values_are_refused_cleanly(value):
    with pytest.raises(AzCLIError):
        _validators.validate_create(namespace(ssh_key_value=value))
