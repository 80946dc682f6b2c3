# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Migration to Azure Linux: a pure planner, the records a migration keeps on the pools, a live preflight, an
executor, and a fleet's waves.

    planner.py    pools (with their records) -> plans, exact requests included; the plan's shape; pure
    records.py    what a migration writes on pools (agent pool tags), and reads back; pure
    preflight.py  quota, VM sizes and versions read from Azure once, and the plans that would fail refused
    executor.py   carries plans out through an ops adapter; resumes, joins, stops on a signal
    fleet.py      clusters in waves, with a failure budget
"""
from azext_azurelinux.migration.executor import (
    Interrupted, PoolStepError, StepError, execute_plans, execute_pool, retry_on_conflict, wait_intervals)
from azext_azurelinux.migration.planner import (
    ACTIONABLE, DEFAULT_TARGET, IN_PLACE, MIGRATE, NEW_POOL, NOTHING, REFUSED, REPLACEMENT, RESUME, TERMINAL_STATES,
    ClusterResult, Plan, PoolResult, derive_new_name, plan_cluster, plan_pool, plan_rollback, public, refuse,
    replacements_by_old_pool)

__all__ = ["Interrupted", "PoolStepError", "StepError", "execute_plans", "execute_pool", "retry_on_conflict",
           "wait_intervals", "ACTIONABLE", "DEFAULT_TARGET", "IN_PLACE", "MIGRATE", "NEW_POOL", "NOTHING", "REFUSED",
           "REPLACEMENT", "RESUME", "TERMINAL_STATES", "ClusterResult", "Plan", "PoolResult", "derive_new_name",
           "plan_cluster", "plan_pool", "plan_rollback", "public", "refuse", "replacements_by_old_pool"]
