# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The migration executor: carries plans out through an ops adapter, step by step.

Each plan's requests run in order and each step returns only once its operation has Succeeded,
so the old pool is deleted only after its replacement has Succeeded. A stop (Ctrl-C, SIGTERM)
ends the waiting, starts nothing new, and reports each pool in flight with its step and state:
Azure carries on with it, and the records on the pools let the next run resume.

`ops` sends and waits (see `PoolOps` in _sdk.py):
    ops.put(name, body, headers), ops.delete(name, headers): return once the operation has Succeeded
        (a pool that was deleted counts); raise StepError otherwise, Interrupted on a stop;
    ops.wait(name, gone=False): polls the pool until it is no longer busy; returns its provisioning state,
        or "gone" once it does not exist;
    ops.get(name): the pool as a view (pools.py), or None;
    ops.delete_quietly(name): removes a failed replacement, says whether there was one.
"""
import threading
import time

from azext_azurelinux.migration import records
from azext_azurelinux import pools
from azext_azurelinux.migration.planner import ACTIONABLE, IN_PLACE, public


class StepError(Exception):
    """A request of a migration failed. `accepted`: the service had started it; `status`: the HTTP status."""

    def __init__(self, message, accepted, status=None):
        super().__init__(message)
        self.accepted = accepted
        self.status = status


class Interrupted(Exception):
    """The run was told to stop while waiting; `state` is the pool's state as last seen."""

    def __init__(self, pool, state):
        super().__init__(f"{pool}: {state}")
        self.pool = pool
        self.state = state


class PoolStepError(Exception):
    """A step of a pool's migration failed; `left` says what state it left behind."""

    def __init__(self, message, left):
        super().__init__(message)
        self.left = left


def _result(plan, **outcome):
    return dict(public(plan), **outcome)


class _Run:
    """One pool's plan being carried out."""

    def __init__(self, plan, ops, progress, where):
        self.plan, self.ops, self.progress, self.where = plan, ops, progress, where
        self.pool, self.new = plan["pool"], plan.get("newPool")
        self.step = None

    def rollback_hint(self):
        return " ".join(f"az aks azurelinux nodepool rollback {self.where} -n {self.pool}".split())

    def run(self):
        for step in self.plan["requests"]:
            self.step = step
            getattr(self, "_" + step["step"].replace("-", "_"))(step)

    # ---- in place ------------------------------------------------------------------------
    def _update(self, step):
        before, after = self.plan["osSkuBefore"], self.plan["osSkuAfter"]
        self.progress(f"{self.pool}: changing the OS SKU from {before} to {after} in place (AKS reimages the nodes "
                      "with surge)")
        try:
            self.ops.put(step["pool"], step["body"], step["headers"])
        except StepError as error:
            if error.status == 412:
                return self._join_in_place(error)
            if error.accepted and self.plan.get("rollback"):
                raise PoolStepError(f"rolling {self.pool} back to {after} failed: {error}",
                                    f"{self.pool} may be partly reimaged; see its state with `az aks azurelinux "
                                    f"nodepool show {self.where} -n {self.pool}`") from error
            if error.accepted:
                raise PoolStepError(
                    f"changing the OS SKU of {self.pool} failed: {error}",
                    f"{self.pool} may be partly reimaged; run the migration again, or roll back to {before} with "
                    f"`{self.rollback_hint()}`") from error
            raise PoolStepError(f"changing the OS SKU of {self.pool} failed: {error}",
                                f"{self.pool} is unchanged") from error
        return None

    def _join_in_place(self, error):
        """The pool's ETag moved since the plan: if another run is moving it to the same target, join it."""
        current = self.ops.get(self.pool)
        if current is None or pools.os_sku(pools.properties(current)) != self.plan["osSkuAfter"]:
            raise PoolStepError(f"{self.pool} changed since this run planned it ({error})",
                                f"{self.pool} was not changed by this run; run the command again to plan anew")
        self.progress(f"{self.pool}: another run is already moving it to {self.plan['osSkuAfter']}; waiting with it")
        self._wait({"pool": self.pool})

    # ---- through a new pool --------------------------------------------------------------
    def _create(self, step):
        self.progress(f"{self.pool}: creating replacement pool {self.new} on {self.plan['osSkuAfter']}")
        try:
            self.ops.put(step["pool"], step["body"], step["headers"])
        except StepError as error:
            if error.status == 412:
                return self._join_replacement(error)
            if error.accepted:
                left = self._cleanup()
            else:
                left = f"{self.pool} is unchanged; no replacement pool was created"
            raise PoolStepError(f"creating {self.new} failed: {error}", left) from error
        self.progress(f"{self.pool}: {self.new} has Succeeded")
        return None

    def _join_replacement(self, error):
        """A pool of the replacement's name exists already: if another run created it for this pool, join it."""
        current = self.ops.get(self.new)
        if current is None or (records.read(current) or {}).get("replaces") != self.pool:
            raise PoolStepError(f"creating {self.new} failed: a pool of that name exists and does not replace "
                                f"{self.pool} ({error})",
                                f"{self.pool} is unchanged; choose another --new-name")
        self.progress(f"{self.pool}: another run created {self.new} for it already; waiting with it")
        self._wait({"pool": self.new})

    def _wait(self, step):
        name = step["pool"]
        self.progress(f"{self.pool}: waiting for {name} (an operation already under way)")
        state = self.ops.wait(name)
        if state == "Succeeded":
            self.progress(f"{self.pool}: {name} has Succeeded")
            return
        if name == self.new:
            if state == "gone":
                raise PoolStepError(f"replacement {self.new} disappeared while it was being created",
                                    f"{self.pool} is unchanged")
            raise PoolStepError(f"replacement {self.new} ended {state}", self._cleanup())
        raise PoolStepError(f"{name} ended {state}",
                            f"{name} is {state}; run the migration again, or roll back with `{self.rollback_hint()}`")

    def _wait_deleted(self, step):
        state = self.ops.wait(step["pool"], gone=True)
        if state != "gone":
            raise PoolStepError(f"deleting {step['pool']} ended {state}", self._both_remain())

    def _delete(self, step):
        self.progress(f"{self.pool}: deleting {self.pool} (AKS cordons and drains its nodes)")
        try:
            self.ops.delete(step["pool"], step["headers"])
        except StepError as error:
            if error.status == 412 and self.ops.get(self.pool) is None:
                return None  # another run deleted it: the outcome is the same
            if error.status == 412:
                raise PoolStepError(f"{self.pool} changed since the migration planned it ({error}); it was not "
                                    "deleted", self._both_remain()) from error
            raise PoolStepError(f"{self.new} is ready, but deleting {self.pool} failed: {error}",
                                self._both_remain()) from error
        return None

    def _remove_failed(self, step):
        self.progress(f"{self.pool}: removing the failed replacement {step['pool']} left by an earlier run")
        try:
            self.ops.delete(step["pool"], step["headers"])
        except StepError as error:
            raise PoolStepError(f"the failed replacement {step['pool']} could not be removed: {error}",
                                f"{self.pool} is unchanged; delete {step['pool']} with `az aks azurelinux "
                                "nodepool delete`, then run again") from error
        raise PoolStepError(f"the replacement {step['pool']} created by an earlier run had failed",
                            f"{self.pool} is unchanged; the failed replacement pool {step['pool']} was removed; run "
                            "again to start over")

    def _both_remain(self):
        return (f"both pools remain: {self.new} on {self.plan['osSkuAfter']} and {self.pool} on "
                f"{self.plan['osSkuBefore']}; delete {self.pool} with `az aks azurelinux nodepool delete` once the "
                "cause is fixed")

    def _cleanup(self):
        self.progress(f"{self.pool}: removing the failed replacement pool {self.new}; {self.pool} is untouched")
        try:
            removed = self.ops.delete_quietly(self.new)
        except StepError as error:
            return (f"{self.pool} is unchanged; the failed replacement pool {self.new} could not be removed "
                    f"({error}): delete it with `az aks azurelinux nodepool delete`")
        if removed:
            return f"{self.pool} is unchanged; the failed replacement pool {self.new} was removed"
        return f"{self.pool} is unchanged; no replacement pool was left"


def execute_pool(plan, ops, progress, where=""):
    """Carry out one pool's plan; the result is the plan (without its requests) with its outcome.

    `where` is the `-g RG --cluster-name C` part of the commands that messages suggest."""
    started = time.monotonic()
    run = _Run(plan, ops, progress, where)
    try:
        run.run()
        outcome = {"outcome": "succeeded"}
        progress(f"{plan['pool']}: done")
    except PoolStepError as error:
        outcome = {"outcome": "failed", "error": str(error), "left": error.left}
        progress(f"{plan['pool']}: FAILED: {error} ({error.left})")
    except Interrupted as stop:
        step = run.step or {}
        outcome = {"outcome": "interrupted", "step": step.get("step"), "stepPool": stop.pool, "state": stop.state,
                   "left": f"{stop.pool} is {stop.state}; Azure carries on with it"}
    return _result(plan, seconds=round(time.monotonic() - started, 1), **outcome)


def execute_plans(plans, ops, progress, max_parallel=1, continue_on_error=False, stop=None, where=""):
    """Run every `migrate` and `resume` plan, at most `max_parallel` at a time; after a failure start no new
    pool unless `continue_on_error`; after a stop, start none. Returns one result per plan, in order."""
    from concurrent.futures import ThreadPoolExecutor

    failed = threading.Event()
    stop = stop or threading.Event()

    def run(plan):
        if plan["action"] not in ACTIONABLE:
            return _result(plan, outcome=plan["action"], seconds=0)
        if stop.is_set():
            return _result(plan, outcome="not-started", seconds=0, reason="not started: the run was interrupted")
        if failed.is_set() and not continue_on_error:
            progress(f"{plan['pool']}: not started, because an earlier pool failed")
            return _result(plan, outcome="not-started", seconds=0,
                           reason="not started because an earlier pool failed (use --continue-on-error to go on)")
        result = execute_pool(plan, ops, progress, where)
        if result["outcome"] == "failed":
            failed.set()
        return result

    with ThreadPoolExecutor(max_workers=max(1, max_parallel)) as workers:
        return list(workers.map(run, plans))


def retry_on_conflict(start, is_conflict, progress, sleep=time.sleep, clock=time.monotonic, timeout=1800.0,
                      first_wait=1.0, longest_wait=30.0):
    """Call `start()`; while it raises a 409 (another operation runs on the pool or cluster), wait and retry.

    Waits grow from `first_wait` to `longest_wait` seconds, for at most `timeout` seconds in all.
    """
    deadline = clock() + timeout
    wait = first_wait
    while True:
        try:
            return start()
        except Exception as error:  # pylint: disable=broad-except
            if not is_conflict(error) or clock() + wait > deadline:
                raise
            progress(f"another operation is in progress; retrying in {wait:.0f}s")
            sleep(wait)
            wait = min(wait * 2, longest_wait)


def wait_intervals(first=1.0, early=5.0, late=10.0, early_seconds=60.0):
    """Seconds between reads of a pool whose operation this run did not start (so no Retry-After is known):
    1, 2, 4, then 5 until a minute has passed, then 10. A joined operation may be nearly done."""
    waited, interval = 0.0, first
    while True:
        yield interval
        waited += interval
        interval = min(interval * 2, early) if waited < early_seconds else late


__all__ = ["StepError", "Interrupted", "PoolStepError", "execute_pool", "execute_plans", "retry_on_conflict",
           "wait_intervals", "IN_PLACE"]
