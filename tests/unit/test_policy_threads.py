# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The policy is a value: checks made from many threads under two policies never see each other's.

The inventory's ARM readers and migrate-fleet's planners check pools from threads. When the policy in force was a
module global that "would another edition allow it" switched for a moment, a size only the organisation's file
refuses was allowed in up to a third of the checks made beside an A100 check (issue 22). Here, with the interpreter
switching threads as often as it can, every check must give its own policy's answer every time.
"""
import sys
import threading

import pytest

from azext_azurelinux import org_policy
from azext_azurelinux.findings import refusals
from azext_azurelinux.policy import Policy

ROUNDS = 300


@pytest.fixture
def fast_switching():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_checks_in_many_threads_each_answer_under_their_own_policy(fast_switching):  # pylint: disable=unused-argument,redefined-outer-name
    org = org_policy.Rules("org.json", {"vmSizes": {"deny": ["Standard_D4ds_v5"]}})
    strict = Policy(org=org, chosen_by="test")  # founding, narrowed: D4ds_v5 refused, A100 refused
    loose = Policy("aks-2026", chosen_by="test")  # every NVIDIA size allowed, no organisation rules
    wrong, start = [], threading.Barrier(6)

    def check(policy, size, refused):
        start.wait()
        for _ in range(ROUNDS):
            findings = policy.check_vm_size(size)
            if bool(refusals(findings)) != refused:
                wrong.append((policy.edition, size, [f.message for f in findings]))
            if refused and size.endswith("A100_v4") and "(policy edition founding)" not in findings[0].message:
                wrong.append((policy.edition, size, "labelled with another edition"))

    workers = [threading.Thread(target=check, args=args) for args in [
        (strict, "Standard_NC24ads_A100_v4", True), (strict, "Standard_NC24ads_A100_v4", True),
        (strict, "Standard_D4ds_v5", True), (strict, "Standard_D4ds_v5", True),
        (loose, "Standard_NC24ads_A100_v4", False), (loose, "Standard_D4ds_v5", False)]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert wrong == []
    assert (strict.edition, strict.org, loose.edition, loose.org) == ("founding", org, "aks-2026", None)


def test_another_editions_verdict_is_a_function_of_two_values():
    from azext_azurelinux.policy import editions_allowing
    founding = Policy()
    assert editions_allowing(founding, Policy.check_vm_size, "Standard_NC24ads_A100_v4") == ["aks-2026"]
    assert editions_allowing(founding, Policy.check_vm_size, "Standard_D4ds_v5") == ["aks-2026"]
    assert founding.edition == "founding" and founding.org is None  # nothing was switched to ask
