# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Waiting on long-running operations: soon enough to notice the end within seconds, and within the service's
budget for status reads.

Real AKS sends no Retry-After with its operations, so the SDK's poller would read the status every 30 s: an
operation that ends just after a read is noticed up to 30 s late. `BudgetedPolling` follows Retry-After when the
service sends one (above 0) and otherwise reads every 5 s in the operation's first minute, 10 s after (most pool
operations take minutes: 5 s loses 2.5 s on average where it matters, 10 s keeps a long reimage to 6 reads a
minute). Every status read of the process comes out of one budget per subscription, the service's own: a bucket
of 200 refilled at 2 reads a second (`az config set azurelinux.status_read_burst=N` makes the bucket smaller
when other tools share the subscription's budget), however many operations are waited on at once; a 429 is
still retried by the SDK as the service asks. The SDK's first read, made at once after the write, rarely finds a
pool operation done: it is kept while it comes out of the bucket's top tenth (about the first 20 operations of a run),
and after that the first read waits its interval like the others, so that the budget goes to operations that may
have finished (`bench/fleet.py` measures what that saves a fleet rollout). `--debug` logs each wait: the
operation, the interval and why.
"""
import threading
import time

from azure.mgmt.core.polling.arm_polling import ARMPolling
from knack.log import get_logger

logger = get_logger(__name__)
EARLY_SECONDS, EARLY_INTERVAL, LATE_INTERVAL = 60.0, 5.0, 10.0
STATUS_READS_PER_SECOND = 2.0
STATUS_BURST = 200  # AKS's bucket; `az config set azurelinux.status_read_burst=N` when other tools share it
SPECULATIVE_SHARE = 0.1  # of the bucket, for reads made at once after a write (they rarely find a pool operation done)


class StatusBudget:  # pylint: disable=too-few-public-methods
    """A token bucket shared by every poller of one subscription in this process."""

    def __init__(self, per_second=STATUS_READS_PER_SECOND, burst=STATUS_BURST, clock=time.monotonic,
                 sleep=time.sleep):
        self.per_second, self.burst, self.clock, self.sleep = per_second, burst, clock, sleep
        self.tokens, self.stamp = float(burst), clock()
        self.lock = threading.Lock()

    def _refill(self):
        """Add what the time since the last look earned, up to the burst (the caller holds the lock)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now

    def take(self):
        """Wait until a read is allowed; returns the seconds waited."""
        with self.lock:
            self._refill()
            self.tokens -= 1  # reserved now, paid for by waiting below
            wait = max(0.0, -self.tokens / self.per_second)
        if wait:
            self.sleep(wait)
        return wait

    def spare(self):
        """Whether a read unlikely to find its operation done may be made: only out of the top tenth of the bucket."""
        with self.lock:
            self._refill()
            return self.tokens >= self.burst * (1 - SPECULATIVE_SHARE)


_BUDGETS = {}
_BUDGETS_LOCK = threading.Lock()


def budget_for(subscription, burst=STATUS_BURST):
    with _BUDGETS_LOCK:
        return _BUDGETS.setdefault(subscription, StatusBudget(burst=burst))


def interval(retry_after, elapsed):
    """(seconds, why) until the next status read."""
    if retry_after:
        return float(retry_after), "Retry-After from the service"
    if elapsed < EARLY_SECONDS:
        return EARLY_INTERVAL, f"no Retry-After: every {EARLY_INTERVAL:.0f} s in the first minute"
    return LATE_INTERVAL, f"no Retry-After: every {LATE_INTERVAL:.0f} s after the first minute"


class BudgetedPolling(ARMPolling):
    """ARM polling with our intervals, the shared status-read budget, and (`final_get=False`) no read of the
    resource once the operation has Succeeded, for callers that do not print it: their result is the resource as the
    service answered the write."""

    def __init__(self, subscription, label, final_get=True, burst=STATUS_BURST):
        super().__init__(timeout=EARLY_INTERVAL)
        self._budget, self._label, self._final_get = budget_for(subscription, burst), label, final_get
        self._started = time.monotonic()

    def _extract_delay(self):
        from azure.core.polling.base_polling import get_retry_after
        seconds, why = interval(get_retry_after(self._pipeline_response), time.monotonic() - self._started)
        logger.debug("%s: next status read in %.1f s (%s)", self._label, seconds, why)
        return seconds

    def request_status(self, status_link):
        # the final read of the resource after it Succeeded comes here too; it is a GET of the pool, not of the
        # operation's status, and AKS's budget counts only the latter
        if status_link == self._operation.get_polling_url():
            waited = self._budget.take()
            if waited:
                logger.debug("%s: status read held %.2f s for the subscription's shared budget", self._label, waited)
        return super().request_status(status_link)

    def _poll(self):
        if not self.finished() and not self._budget.spare():
            # azure-core reads the status at once, which finds a pool operation done only when it changed nothing.
            # A run of a few operations can afford that; in a larger one each such read is taken from an operation
            # that may have finished, so once a tenth of the bucket is spent the first read waits its interval too.
            logger.debug("%s: a tenth of the subscription's status-read budget is spent: the first read waits its "
                         "interval", self._label)
            self._delay()
        if self._final_get:
            super()._poll()
            return
        from azure.core.polling.base_polling import OperationFailed
        if not self.finished():
            self.update_status()
        while not self.finished():
            self._delay()
            self.update_status()
        if str(self.status()).lower() in ("failed", "canceled"):
            raise OperationFailed("Operation failed or canceled")
        # The result is the resource as AKS answered the write (its versions included), not the last status body.
        self._pipeline_response = self._initial_response  # pylint: disable=attribute-defined-outside-init
        logger.debug("%s: Succeeded; the resource is not read again (nothing will print it)", self._label)
