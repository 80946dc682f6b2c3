# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The polling schedule and the shared status-read budget, without a network."""
import threading

from azext_azurelinux import _polling


def test_intervals_follow_retry_after_else_5_then_10_seconds():
    assert _polling.interval(3, 0)[0] == 3.0 and "Retry-After" in _polling.interval(3, 0)[1]
    assert _polling.interval(None, 10) == (5.0, "no Retry-After: every 5 s in the first minute")
    assert _polling.interval(0, 59.9)[0] == 5.0  # Retry-After: 0 counts as absent
    assert _polling.interval(None, 60)[0] == 10.0


def test_the_budget_paces_every_taker_together():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
    budget = _polling.StatusBudget(per_second=2, burst=2, clock=lambda: now[0], sleep=sleep)
    waits = [budget.take() for _ in range(6)]  # six reads at the same instant
    assert waits == [0.0, 0.0, 0.5, 1.0, 1.5, 2.0]  # two at once, then one every half second
    now[0] = 10.0
    assert budget.take() == 0.0  # a quiet spell refills the bucket, up to its burst


def test_the_budget_is_shared_per_subscription_and_thread_safe():
    assert _polling.budget_for("a") is _polling.budget_for("a") is not _polling.budget_for("b")
    assert _polling.budget_for("a").burst == 200  # AKS's own bucket, unless the configuration says otherwise
    budget = _polling.StatusBudget(per_second=1000, burst=1000, clock=lambda: 0.0)
    threads = [threading.Thread(target=budget.take) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert budget.tokens == 950  # every take counted once
