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


def test_reads_made_at_once_come_only_out_of_the_top_tenth_of_the_bucket():
    now = [0.0]
    budget = _polling.StatusBudget(per_second=2, burst=10, clock=lambda: now[0], sleep=lambda _: None)
    assert budget.spare()  # full: 10
    budget.take()
    assert budget.spare()  # 9 of 10 left
    budget.take()
    assert not budget.spare()  # 8 of 10
    now[0] = 0.5
    assert budget.spare()  # refilled to 9


class _Recorder(_polling.BudgetedPolling):
    """The polling loop with its reads and waits recorded instead of sent and slept."""

    def __init__(self, budget, reads_until_done):
        super().__init__("sub-recorder", "rg/c/p", final_get=False)
        self._budget, self.events, self.left = budget, [], reads_until_done
        self._initial_response = "the answer to the write"  # what azure-core's initialize() keeps

    def finished(self):
        return self.left == 0

    def update_status(self):
        self.events.append("read")
        self.left -= 1

    def _delay(self):
        self.events.append("wait")

    def status(self):
        return "Succeeded"


def test_the_first_read_is_at_once_while_the_budget_is_spare_and_after_the_interval_once_it_is_not():
    full = _polling.StatusBudget(per_second=2, burst=10, clock=lambda: 0.0, sleep=lambda _: None)
    spare = _Recorder(full, reads_until_done=2)
    spare._poll()  # pylint: disable=protected-access
    assert spare.events == ["read", "wait", "read"]  # as azure-core polls
    assert spare._pipeline_response == "the answer to the write"  # pylint: disable=protected-access  # no final read
    spent = _polling.StatusBudget(per_second=2, burst=10, clock=lambda: 0.0, sleep=lambda _: None)
    for _ in range(2):
        spent.take()
    short = _Recorder(spent, reads_until_done=2)
    short._poll()  # pylint: disable=protected-access
    assert short.events == ["wait", "read", "wait", "read"]
