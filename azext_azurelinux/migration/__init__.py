# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Migration to Azure Linux: a pure planner, the records a migration keeps on the pools, and an executor.

    planner.py    pools (with their records) -> plans, exact requests included; pure
    records.py    what a migration writes on pools (agent pool tags), and reads back; pure
    executor.py   carries plans out through an ops adapter; resumes, joins, stops on a signal
"""
from azext_azurelinux.migration.executor import (
    Interrupted, PoolStepError, StepError, execute_plans, execute_pool, retry_on_conflict, wait_intervals)
from azext_azurelinux.migration.planner import (
    DEFAULT_TARGET, IN_PLACE, MIGRATE, NEW_POOL, NOTHING, REFUSED, REPLACEMENT, RESUME, TERMINAL_STATES,
    derive_new_name, plan_cluster, plan_pool, plan_rollback, pool_os_sku, pool_version, pool_vm_sizes, readiness,
    replacements_by_old_pool)

__all__ = ["Interrupted", "PoolStepError", "StepError", "execute_plans", "execute_pool", "retry_on_conflict",
           "wait_intervals", "DEFAULT_TARGET", "IN_PLACE", "MIGRATE", "NEW_POOL", "NOTHING", "REFUSED",
           "REPLACEMENT", "RESUME", "TERMINAL_STATES", "derive_new_name", "plan_cluster", "plan_pool",
           "plan_rollback", "pool_os_sku", "pool_version", "pool_vm_sizes", "readiness", "replacements_by_old_pool"]
