# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""SDK plumbing: models and clients through the CLI's profile, conditional requests, waiting within the
subscription's status-read budget, and `PoolOps`, the migration executor's port to the agent pools API."""
import time

from azure.cli.core.azclierror import InvalidArgumentValueError

from azext_azurelinux import pools
from azext_azurelinux._consts import PROGRESS_SECONDS
from azext_azurelinux._console import one_line
from azext_azurelinux.migration import executor


def model_getter(cmd, operation_group="agent_pools"):
    """get_model(name): an SDK model class of the CLI's profile of azure-mgmt-containerservice."""
    from azure.cli.core.profiles import ResourceType

    def get_model(name):
        return cmd.get_models(name, resource_type=ResourceType.MGMT_CONTAINERSERVICE, operation_group=operation_group)
    return get_model


def subscription_of(cmd):
    from azure.cli.core.commands.client_factory import get_subscription_id
    return get_subscription_id(cmd.cli_ctx)


def container_service(cmd, subscription=None):
    from azext_azurelinux._client_factory import cf_container_service
    return cf_container_service(cmd.cli_ctx, subscription_id=subscription)


def error_code(error):
    inner = getattr(error, "error", None)
    return getattr(inner, "code", None) or ""


def output_is_none(cmd):
    """`-o none`: nothing will print the resource, so it need not be read again after its operation."""
    invocation = getattr(cmd.cli_ctx, "invocation", None)
    return getattr(invocation, "data", {}).get("output") == "none"


def status_read_burst(cli_ctx):
    """The subscription's bucket of operation-status reads (azurelinux.status_read_burst, default AKS's 200)."""
    from azext_azurelinux._polling import STATUS_BURST
    value = cli_ctx.config.get("azurelinux", "status_read_burst", fallback=None)
    try:
        return max(1, int(value)) if value is not None else STATUS_BURST
    except ValueError:
        raise InvalidArgumentValueError(f"azurelinux.status_read_burst {value!r} is not a whole number: set it to "
                                        "1 or more, or unset it for AKS's 200.") from None


def budgeted_polling(cmd, label, final_get=True, subscription=None, burst=None):
    """The poller every wait of the extension uses: our intervals, within the subscription's status-read budget."""
    from azext_azurelinux._polling import BudgetedPolling
    return BudgetedPolling(subscription or subscription_of(cmd), label, final_get=final_get,
                           burst=burst or status_read_burst(cmd.cli_ctx))


def match_conditions(headers):
    """The SDK's keyword arguments for a planned request's If-Match / If-None-Match."""
    from azure.core import MatchConditions
    if headers.get("If-None-Match") == "*":
        return {"match_condition": MatchConditions.IfMissing}
    if headers.get("If-Match"):
        return {"etag": headers["If-Match"].strip('"'), "match_condition": MatchConditions.IfNotModified}
    return {}


def put_if_missing(no_wait, begin, args, polling, exists_message):
    """A conditional PUT (If-None-Match: *): the service refuses an existing resource with 412, nothing changed."""
    from azure.cli.core.util import sdk_no_wait
    from azure.core.exceptions import ResourceExistsError
    try:
        waiting = {} if no_wait else {"polling": polling}
        return sdk_no_wait(no_wait, begin, *args, **match_conditions({"If-None-Match": "*"}), **waiting)
    except ResourceExistsError as error:
        if error.status_code != 412:  # azure-core maps a 409 (another operation running) to this type too
            raise
        raise InvalidArgumentValueError(exists_message) from None


def not_found_message(error, resource_group_name, cluster_name, nodepool_name, cluster_option="--cluster-name"):
    """What a 404 means for the user: a missing resource group, cluster or pool, and how to find the right one."""
    code = error_code(error)
    if code == "ResourceGroupNotFound":
        return f"--resource-group {resource_group_name} does not exist; check the name and the subscription."
    if code == "ResourceNotFound":
        return (f"{cluster_option} {cluster_name} does not exist in resource group {resource_group_name}; list "
                f"clusters with `az aks list -g {resource_group_name}`.")
    return (f"--name {nodepool_name}: cluster {cluster_name} has no node pool of that name; list its pools with "
            f"`az aks azurelinux nodepool list -g {resource_group_name} --cluster-name {cluster_name}`.")


class PoolOps:  # pylint: disable=too-many-instance-attributes
    """The executor's requests, through the SDK: each call returns once its operation has Succeeded.

    Waits end early when `stop` is set (Ctrl-C, SIGTERM): `Interrupted` says what the pool was doing.
    A poll that fails after the service accepted the request is not a failure of the pool: the pool
    is read again and followed until it says where it stands."""

    def __init__(self, cmd, client, resource_group_name, cluster_name, stop, progress, subscription=None):
        self.client, self.rg, self.cluster = client, resource_group_name, cluster_name
        self.get_model = model_getter(cmd)
        self.stop, self.progress = stop, progress
        self.cmd, self.subscription = cmd, subscription or subscription_of(cmd)
        self.burst = status_read_burst(cmd.cli_ctx)  # a bad setting stops the run before its first request

    def _state(self, name):
        from azure.core.exceptions import AzureError, ResourceNotFoundError as NotFound
        try:
            return self.client.get(self.rg, self.cluster, name).provisioning_state
        except NotFound:
            return "gone"
        except AzureError:
            return "in an unknown state (it could not be read)"

    def _sleep_or_stop(self, name, seconds, state):
        if self.stop.wait(seconds):
            raise executor.Interrupted(name, state)

    def _start(self, start, name):
        from azure.core.exceptions import AzureError, HttpResponseError

        def is_conflict(error):
            return isinstance(error, HttpResponseError) and error.status_code == 409
        if self.stop.is_set():
            raise executor.Interrupted(name, "not started")
        try:
            return executor.retry_on_conflict(
                start, is_conflict, lambda m: self.progress(f"{name}: {m}"),
                sleep=lambda seconds: self._sleep_or_stop(
                    name, seconds, "not started (it was waiting for a 409 to clear)"))
        except AzureError as error:
            raise executor.StepError(one_line(error), accepted=False,
                                     status=getattr(error, "status_code", None)) from error

    def _run(self, start, name, deleting=False):
        from azure.core.exceptions import AzureError
        poller = self._start(start, name)
        try:
            started = noted = time.monotonic()
            while not poller.done():
                if self.stop.is_set():
                    raise executor.Interrupted(name, self._state(name))
                poller.wait(1.0)
                if time.monotonic() - noted >= PROGRESS_SECONDS and not poller.done():
                    noted = time.monotonic()
                    self.progress(f"{name}: still running ({noted - started:.0f}s)")
            poller.result()
            return
        except AzureError as error:
            message = one_line(error)
        # The service accepted the request: the pool itself says whether the operation went through.
        self.progress(f"{name}: {message}; reading the pool to see where it stands")
        state = self.wait(name, gone=deleting)
        if state == ("gone" if deleting else "Succeeded"):
            self.progress(f"{name}: the pool says {state}")
            return
        raise executor.StepError(f"{message} (the pool is {state})", accepted=True)

    def _polling(self, name):
        return budgeted_polling(self.cmd, f"{self.cluster}/{name}", final_get=False,  # the plan reports
                                subscription=self.subscription, burst=self.burst)

    def put(self, name, body, headers):
        pool = self.get_model("AgentPool")(body)
        return self._run(lambda: self.client.begin_create_or_update(
            self.rg, self.cluster, name, pool, polling=self._polling(name), **match_conditions(headers)), name)

    def delete(self, name, headers):
        return self._run(lambda: self.client.begin_delete(
            self.rg, self.cluster, name, polling=self._polling(name), **match_conditions(headers)),
            name, deleting=True)

    def get(self, name):
        from azure.core.exceptions import AzureError, ResourceNotFoundError as NotFound
        try:
            return pools.from_agent_pool(self.client.get(self.rg, self.cluster, name))
        except NotFound:
            return None
        except AzureError as error:
            raise executor.StepError(one_line(error), accepted=False) from error

    def wait(self, name, gone=False):  # pylint: disable=unused-argument
        """Read the pool until it is no longer busy; a pool that no longer exists reads as "gone" (so `gone`, the
        executor's hint that a delete is awaited, needs no branch of its own)."""
        from azure.core.exceptions import AzureError, ResourceNotFoundError as NotFound
        started = noted = time.monotonic()
        errors = 0
        for interval in executor.wait_intervals():
            try:
                state = self.client.get(self.rg, self.cluster, name).provisioning_state
                errors = 0
            except NotFound:
                return "gone"
            except AzureError as error:
                errors += 1
                if errors >= 5:
                    raise executor.StepError(f"{name} could not be read: {one_line(error)}", accepted=True) \
                        from error
                state = "unknown"
            if state in pools.TERMINAL_STATES:
                return state
            if time.monotonic() - noted >= PROGRESS_SECONDS:
                noted = time.monotonic()
                self.progress(f"{name}: {state} ({noted - started:.0f}s)")
            self._sleep_or_stop(name, interval, state)
        return None  # the intervals never end

    def delete_quietly(self, name):
        if self.get(name) is None:
            return False
        self.delete(name, {})
        return True
