# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Command functions: fetch, build, send, wait, report. The thinking is in policy, builders and the planner."""
import json
import sys
import time

from azure.cli.core.azclierror import (BadRequestError, InvalidArgumentValueError, ManualInterrupt, NoTTYError,
                                       ResourceNotFoundError)
from azure.cli.core.util import sdk_no_wait
from knack.log import get_logger

from azext_azurelinux import builders, migration, policy
from azext_azurelinux.migration import records

logger = get_logger(__name__)
API_PROVIDER = "Microsoft.ContainerService"
API_VERSION = "2026-06-01"  # azure-mgmt-containerservice 41.6, bundled by Azure CLI 2.91 (azext.minCliCoreVersion)
PROGRESS_SECONDS = 15  # how often a long wait says it is still waiting


# ---- helpers ----------------------------------------------------------------------------
def _model_getter(cmd, operation_group="agent_pools"):
    from azure.cli.core.profiles import ResourceType

    def get_model(name):
        return cmd.get_models(name, resource_type=ResourceType.MGMT_CONTAINERSERVICE, operation_group=operation_group)
    return get_model


def _subscription(cmd):
    from azure.cli.core.commands.client_factory import get_subscription_id
    return get_subscription_id(cmd.cli_ctx)


def _api_version(cmd):  # pylint: disable=unused-argument
    """The api-version the SDK sends. The CLI's profile leaves container service to the SDK's default (its entry is
    None), so it is stated here, for the SDK of the minimum CLI; a unit test holds it to that SDK's default."""
    return API_VERSION


def _dry_run(cmd, client, path, model, headers):  # pylint: disable=unused-argument
    return {"dryRun": True, "method": "PUT",
            "url": f"/subscriptions/{_subscription(cmd)}/resourceGroups/{path}?api-version={_api_version(cmd)}",
            "headers": headers, "body": builders.request_body(model)}


def _error_code(error):
    inner = getattr(error, "error", None)
    return getattr(inner, "code", None) or ""


def _notice_security_module(security_module):
    notice = policy.security_module_notice(security_module) if security_module else None
    if notice:
        logger.warning("%s", notice)


def _with_readiness(pool):
    from azure.cli.core.util import todict
    shown = todict(pool)
    view = {"name": pool.name, "body": builders.request_body(pool),
            "kubernetesVersion": pool.current_orchestrator_version or pool.orchestrator_version}
    shown["azureLinuxReadiness"] = migration.readiness(view)
    return shown


class _Progress:
    """Progress as the CLI shows it: nothing under --only-show-errors; on a terminal, each event on a line of its own
    with the CLI's spinner running between them; in a log (no terminal), plain lines on stderr."""

    def __init__(self):
        self.cli_ctx, self.hook = None, None
        import threading
        self.lock = threading.Lock()

    def start(self, cmd):
        self.cli_ctx = cmd.cli_ctx
        self.hook = None
        if not self.quiet and sys.stderr.isatty():
            self.hook = cmd.cli_ctx.get_progress_controller()
        return self

    @property
    def quiet(self):
        return bool(getattr(self.cli_ctx, "only_show_errors", False))

    def __call__(self, message):
        if self.quiet:
            return
        with self.lock:
            if self.hook is not None:
                sys.stderr.write("\r\x1b[K")  # the spinner's line, cleared before the event is written
            sys.stderr.write(f"{message}\n")
            sys.stderr.flush()
            if self.hook is not None:
                self.hook.add(message="In progress")

    def end(self):
        if self.hook is not None:
            self.hook.end()
            self.hook = None


_progress = _Progress()


# ---- cluster ----------------------------------------------------------------------------
def create_cluster(cmd, client, resource_group_name, name, location=None, nodepool_name="nodepool1", node_count=3,
                   node_vm_size=None, os_sku="AzureLinux", kubernetes_version=None, zones=None, max_pods=None,
                   security_module=None, enable_fips_image=False, enable_secure_boot=False, enable_vtpm=False,
                   enable_defender=False, defender_workspace=None, ssh_key_value=None, tags=None, no_wait=False,
                   dry_run=False):
    if location is None:
        from azext_azurelinux._client_factory import cf_resource_groups
        location = cf_resource_groups(cmd.cli_ctx).get(resource_group_name).location
    cluster = builders.build_managed_cluster(
        _model_getter(cmd, "managed_clusters"), name=name, resource_group_name=resource_group_name,
        subscription_id=_subscription(cmd), location=location, nodepool_name=nodepool_name, node_count=node_count,
        node_vm_size=node_vm_size, os_sku=os_sku, kubernetes_version=kubernetes_version, zones=zones,
        max_pods=max_pods, security_module=security_module, enable_fips_image=enable_fips_image,
        enable_secure_boot=enable_secure_boot, enable_vtpm=enable_vtpm, enable_defender=enable_defender,
        defender_workspace=defender_workspace, ssh_key_value=ssh_key_value, tags=tags)
    if dry_run:
        _notice_security_module(security_module)
        return _dry_run(cmd, client, f"{resource_group_name}/providers/{API_PROVIDER}/managedClusters/{name}",
                        cluster, {"If-None-Match": "*"})
    result = _put_if_missing(
        no_wait, client.begin_create_or_update, (resource_group_name, name, cluster),
        _polling(cmd, f"cluster {name}", final_get=not _output_none(cmd)),
        f"--name {name}: a cluster of that name already exists in resource group {resource_group_name}; choose "
        "another name, or add Azure Linux pools to it with `az aks azurelinux nodepool add`.")
    _notice_security_module(security_module)
    return result


def get_cluster(cmd, client, resource_group_name, name):  # pylint: disable=unused-argument
    return client.get(resource_group_name, name)


# ---- node pools -------------------------------------------------------------------------
def add_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name,  # pylint: disable=too-many-locals
                 node_vm_size=None, node_count=3,
                 mode="User", os_sku="AzureLinux", kubernetes_version=None, labels=None, node_taints=None,
                 zones=None, max_pods=None, enable_cluster_autoscaler=False, min_count=None, max_count=None,
                 node_osdisk_size=None, gpu_driver=None, security_module=None, enable_fips_image=False,
                 enable_secure_boot=False, enable_vtpm=False, tags=None, max_surge=None, max_unavailable=None,
                 drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None, no_wait=False,
                 dry_run=False):
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)
    pool = builders.build_agent_pool(
        _model_getter(cmd), node_vm_size=node_vm_size, node_count=node_count, mode=mode, os_sku=os_sku,
        kubernetes_version=kubernetes_version, labels=labels, node_taints=node_taints, zones=zones,
        max_pods=max_pods, enable_cluster_autoscaler=enable_cluster_autoscaler, min_count=min_count,
        max_count=max_count, os_disk_size_gb=node_osdisk_size, gpu_driver=gpu_driver,
        security_module=security_module, enable_fips_image=enable_fips_image,
        enable_secure_boot=enable_secure_boot, enable_vtpm=enable_vtpm, tags=tags, roll=roll)
    if dry_run:
        _notice_security_module(security_module)
        return _dry_run(cmd, client, f"{resource_group_name}/providers/{API_PROVIDER}/managedClusters/{cluster_name}"
                                     f"/agentPools/{nodepool_name}", pool, {"If-None-Match": "*"})
    warn_retired = kubernetes_version is None and os_sku == "AzureLinux" and not no_wait
    result = _put_if_missing(
        no_wait, client.begin_create_or_update, (resource_group_name, cluster_name, nodepool_name, pool),
        _polling(cmd, f"{cluster_name}/{nodepool_name}", final_get=warn_retired or not _output_none(cmd)),
        f"--name {nodepool_name}: a node pool of that name already exists in cluster {cluster_name}; choose "
        "another name, or move it to Azure Linux with `az aks azurelinux nodepool migrate`.")
    _notice_security_module(security_module)
    if warn_retired:
        from azure.cli.core.commands import LongRunningOperation
        result = LongRunningOperation(cmd.cli_ctx)(result)  # waits as the CLI would, with its progress
        _warn_if_retired(result)
    return result


def _output_none(cmd):
    """`-o none`: nothing will print the resource, so it need not be read again after its operation."""
    invocation = getattr(cmd.cli_ctx, "invocation", None)
    return getattr(invocation, "data", {}).get("output") == "none"


def _polling(cmd, label, final_get=True):
    from azext_azurelinux._polling import BudgetedPolling
    return BudgetedPolling(_subscription(cmd), label, final_get=final_get, burst=_status_read_burst(cmd))


def _status_read_burst(cmd):
    """The subscription's bucket of operation-status reads (azurelinux.status_read_burst, default AKS's 200)."""
    from azext_azurelinux._polling import STATUS_BURST
    value = cmd.cli_ctx.config.get("azurelinux", "status_read_burst", fallback=None)
    try:
        return max(1, int(value)) if value is not None else STATUS_BURST
    except ValueError:
        raise InvalidArgumentValueError(f"azurelinux.status_read_burst {value!r} is not a whole number: set it to "
                                        "1 or more, or unset it for AKS's 200.") from None


def _put_if_missing(no_wait, begin, args, polling, exists_message):
    """A conditional PUT (If-None-Match: *): the service refuses an existing resource with 412, nothing changed."""
    from azure.core import MatchConditions
    from azure.core.exceptions import ResourceExistsError
    try:
        waiting = {} if no_wait else {"polling": polling}
        return sdk_no_wait(no_wait, begin, *args, match_condition=MatchConditions.IfMissing, **waiting)
    except ResourceExistsError as error:
        if error.status_code != 412:  # azure-core maps a 409 (another operation running) to this type too
            raise
        raise InvalidArgumentValueError(exists_message) from None


def _warn_if_retired(pool):
    """The pool's version is known only once AKS answers: warn if AzureLinux landed on Azure Linux 2.0."""
    version = getattr(pool, "current_orchestrator_version", None) or getattr(pool, "orchestrator_version", None)
    for finding in policy.check_os_sku("AzureLinux", version):
        if finding.severity == policy.WARNING:
            logger.warning("%s", finding.message)


def list_nodepools(cmd, client, resource_group_name, cluster_name):  # pylint: disable=unused-argument
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    try:
        return [_with_readiness(pool) for pool in client.list(resource_group_name, cluster_name)]
    except NotFound as error:
        raise ResourceNotFoundError(_not_found(error, resource_group_name, cluster_name, None)) from None


def get_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name):  # pylint: disable=unused-argument
    return client.get(resource_group_name, cluster_name, nodepool_name)


def show_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name):
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    try:
        return _with_readiness(get_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name))
    except NotFound as error:
        raise ResourceNotFoundError(_not_found(error, resource_group_name, cluster_name, nodepool_name)) from None


def _not_found(error, resource_group_name, cluster_name, nodepool_name, cluster_option="--cluster-name"):
    code = _error_code(error)
    if code == "ResourceGroupNotFound":
        return f"--resource-group {resource_group_name} does not exist; check the name and the subscription."
    if code == "ResourceNotFound":
        return (f"{cluster_option} {cluster_name} does not exist in resource group {resource_group_name}; list "
                f"clusters with `az aks list -g {resource_group_name}`.")
    return (f"--name {nodepool_name}: cluster {cluster_name} has no node pool of that name; list its pools with "
            f"`az aks azurelinux nodepool list -g {resource_group_name} --cluster-name {cluster_name}`.")


def delete_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name, ignore_pdb=False, no_wait=False):
    from azure.core.exceptions import HttpResponseError
    kwargs = {"ignore_pod_disruption_budget": True} if ignore_pdb else {}
    if not no_wait:
        kwargs["polling"] = _polling(cmd, f"{cluster_name}/{nodepool_name}")
    try:
        return sdk_no_wait(no_wait, client.begin_delete, resource_group_name, cluster_name, nodepool_name, **kwargs)
    except HttpResponseError as error:
        if _error_code(error) == "OperationNotAllowed" and "system agent pool" in str(error):
            raise BadRequestError(
                f"--name {nodepool_name} is the last System pool of cluster {cluster_name}, and a cluster must "
                "keep one: add another System pool first (az aks azurelinux nodepool add --mode System), then "
                "delete this one.") from None
        raise


# ---- policy -----------------------------------------------------------------------------
def check(cmd, node_vm_size=None, os_sku=None, kubernetes_version=None, security_module=None,  # pylint: disable=unused-argument
          resource_group_name=None, cluster_name=None, strategy=None, max_surge=None, max_parallel=None,
          policy_edition=None):
    """The offline preflight of a choice, or (with --cluster-name) the live preflight of a cluster's migration:
    every finding, and a non-zero exit when anything is refused. `policy_edition` (--policy) is put in force by the
    validator."""
    # pylint: disable=unused-argument
    if cluster_name is not None:
        return _check_migration(cmd, resource_group_name, cluster_name, os_sku, strategy or migration.IN_PLACE,
                                max_surge, max_parallel or 2)
    findings = policy.preflight(node_vm_size, os_sku, kubernetes_version, security_module)
    allowed = not policy.refusals(findings)
    if not allowed:
        _exit_after_output(cmd.cli_ctx, 1)
    return {"allowed": allowed, "edition": policy.active()["edition"],
            "input": {"nodeVmSize": node_vm_size, "osSku": os_sku, "kubernetesVersion": kubernetes_version,
                      "securityModule": security_module},
            "findings": [f.to_dict() for f in findings]}


def _exit_after_output(cli_ctx, code):
    """Let the CLI print the result as usual (-o, --query), then exit with `code`: for this invocation only, so that
    a script that runs several commands in one process (get_default_cli().invoke) gets each one's own code."""
    from knack.events import EVENT_CLI_POST_EXECUTE, EVENT_CLI_SUCCESSFUL_EXECUTE
    invocation = getattr(cli_ctx, "invocation", None)

    def forget(*_, **__):
        cli_ctx.unregister_event(EVENT_CLI_SUCCESSFUL_EXECUTE, leave)
        cli_ctx.unregister_event(EVENT_CLI_POST_EXECUTE, forget)

    def leave(cli, **_):
        forget()
        if getattr(cli, "invocation", None) is invocation:
            sys.exit(code)
    cli_ctx.register_event(EVENT_CLI_SUCCESSFUL_EXECUTE, leave)
    cli_ctx.register_event(EVENT_CLI_POST_EXECUTE, forget)  # an invocation that failed leaves nothing behind


def _check_migration(cmd, resource_group_name, cluster_name, os_sku, strategy, max_surge, max_parallel):
    """Plan the migration and run the live checks on it, as a migration would; change nothing."""
    plans, report = _plan_cluster(cmd, _service(cmd), None, resource_group_name, cluster_name, os_sku, strategy,
                                  builders.upgrade_settings(max_surge), max_parallel, False, "--cluster-name")
    refused = _refused_by_preflight(plans)
    if refused:
        _exit_after_output(cmd.cli_ctx, 1)
    return dict(report, allowed=not refused, pools=[{k: v for k, v in p.items() if k != "requests"} for p in plans])


def list_vm_sizes(cmd, policy_edition=None):  # pylint: disable=unused-argument
    """The GPU part of the edition in force (or of --policy, put in force by the validator)."""
    return policy.gpu_matrix_rows()


def show_policy(cmd):  # pylint: disable=unused-argument
    """The edition in force, where it was chosen, and the organisation's file with its rules."""
    active = policy.active()
    edition = next(e for e in policy.edition_summaries() if e["name"] == active["edition"])
    org = active["org"]
    matrix = policy.matrix()
    return {"edition": active["edition"], "chosenBy": active["chosenBy"], "title": edition["title"],
            "date": edition["date"], "about": edition["about"],
            "gpuSizesAllowed": policy.supported_gpu_sizes(),
            "otherGpuFamiliesAllowed": matrix["gpu"]["otherFamilies"]["supported"],
            "securityModules": {m["name"]: ("manual" if m.get("manual") else "allowed" if m["supported"] else
                                            "refused") for m in matrix["securityModules"]},
            "osSkus": policy.target_os_skus(),
            "organisationPolicy": dict(org.summary(), chosenBy=getattr(org, "chosen_by", None)) if org else None}


def list_policies(cmd):  # pylint: disable=unused-argument
    """The editions, with their dates and what differs between them."""
    in_force = policy.active()["edition"]
    return [dict(edition, inForce=edition["name"] == in_force) for edition in policy.edition_summaries()]


# ---- migration --------------------------------------------------------------------------
class _SdkPoolOps:  # pylint: disable=too-many-instance-attributes
    """The executor's requests, through the SDK: each call returns once its operation has Succeeded.

    Waits end early when `stop` is set (Ctrl-C, SIGTERM): `Interrupted` says what the pool was doing.
    A poll that fails after the service accepted the request is not a failure of the pool: the pool
    is read again and followed until it says where it stands."""

    def __init__(self, cmd, client, resource_group_name, cluster_name, stop, progress, subscription=None):
        self.client, self.rg, self.cluster = client, resource_group_name, cluster_name
        self.get_model = _model_getter(cmd)
        self.stop, self.progress = stop, progress
        self.subscription = subscription or _subscription(cmd)
        self.burst = _status_read_burst(cmd)

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
            raise migration.Interrupted(name, state)

    def _run(self, start, name, deleting=False):
        from azure.core.exceptions import AzureError, HttpResponseError

        def is_conflict(error):
            return isinstance(error, HttpResponseError) and error.status_code == 409
        if self.stop.is_set():
            raise migration.Interrupted(name, "not started")
        try:
            poller = migration.retry_on_conflict(
                start, is_conflict, lambda m: self.progress(f"{name}: {m}"),
                sleep=lambda seconds: self._sleep_or_stop(
                    name, seconds, "not started (it was waiting for a 409 to clear)"))
        except AzureError as error:
            raise migration.StepError(_one_line(error), accepted=False,
                                      status=getattr(error, "status_code", None)) from error
        try:
            started = noted = time.monotonic()
            while not poller.done():
                if self.stop.is_set():
                    raise migration.Interrupted(name, self._state(name))
                poller.wait(1.0)
                if time.monotonic() - noted >= PROGRESS_SECONDS and not poller.done():
                    noted = time.monotonic()
                    self.progress(f"{name}: still running ({noted - started:.0f}s)")
            poller.result()
            return
        except AzureError as error:
            message = _one_line(error)
        # The service accepted the request: the pool itself says whether the operation went through.
        self.progress(f"{name}: {message}; reading the pool to see where it stands")
        state = self.wait(name, gone=deleting)
        if state == ("gone" if deleting else "Succeeded"):
            self.progress(f"{name}: the pool says {state}")
            return
        raise migration.StepError(f"{message} (the pool is {state})", accepted=True)

    def _polling(self, name):
        from azext_azurelinux._polling import BudgetedPolling
        return BudgetedPolling(self.subscription, f"{self.cluster}/{name}", final_get=False,  # the plan reports
                               burst=self.burst)

    def put(self, name, body, headers):
        pool = self.get_model("AgentPool")(body)
        return self._run(lambda: self.client.begin_create_or_update(
            self.rg, self.cluster, name, pool, polling=self._polling(name), **_match_conditions(headers)), name)

    def delete(self, name, headers):
        return self._run(lambda: self.client.begin_delete(
            self.rg, self.cluster, name, polling=self._polling(name), **_match_conditions(headers)),
            name, deleting=True)

    def get(self, name):
        from azure.core.exceptions import AzureError, ResourceNotFoundError as NotFound
        try:
            return _pool_views([self.client.get(self.rg, self.cluster, name)])[0]
        except NotFound:
            return None
        except AzureError as error:
            raise migration.StepError(_one_line(error), accepted=False) from error

    def wait(self, name, gone=False):  # pylint: disable=unused-argument
        """Read the pool until it is no longer busy; a pool that no longer exists reads as "gone" (so `gone`, the
        executor's hint that a delete is awaited, needs no branch of its own)."""
        from azure.core.exceptions import AzureError, ResourceNotFoundError as NotFound
        started = noted = time.monotonic()
        errors = 0
        for interval in migration.wait_intervals():
            try:
                state = self.client.get(self.rg, self.cluster, name).provisioning_state
                errors = 0
            except NotFound:
                return "gone"
            except AzureError as error:
                errors += 1
                if errors >= 5:
                    raise migration.StepError(f"{name} could not be read: {_one_line(error)}", accepted=True) \
                        from error
                state = "unknown"
            if state in migration.TERMINAL_STATES:
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


def _match_conditions(headers):
    """The SDK's keyword arguments for a planned request's If-Match / If-None-Match."""
    from azure.core import MatchConditions
    if headers.get("If-None-Match") == "*":
        return {"match_condition": MatchConditions.IfMissing}
    if headers.get("If-Match"):
        return {"etag": headers["If-Match"].strip('"'), "match_condition": MatchConditions.IfNotModified}
    return {}


class _StopSignals:
    """While a migration runs, Ctrl-C (SIGINT) and SIGTERM stop the waiting instead of killing the process, so
    the run can say what is in flight and how to resume. `code` is the exit code the signal asks for."""

    CODES = {"SIGINT": 130, "SIGTERM": 143}

    def __init__(self):
        import threading
        self.event = threading.Event()
        self.code = None
        self._previous = {}

    def __enter__(self):
        import signal
        for name, code in self.CODES.items():
            try:
                self._previous[name] = signal.signal(getattr(signal, name), self._handler(code))
            except ValueError:  # not the main thread (the CLI invoked from a script's thread): signals stay as they are
                pass
        return self

    def _handler(self, code):
        def handle(*_):
            if self.code is None:
                self.code = code
                _progress("Stopping: no new pool starts, and waiting ends; operations already sent go on in Azure.")
            self.event.set()
        return handle

    def __exit__(self, *_):
        import signal
        for name, handler in self._previous.items():
            signal.signal(getattr(signal, name), handler)


def _one_line(error):
    message = getattr(error, "message", None) or str(error)
    return " ".join(str(message).split())


def _pool_views(pools):
    return [{"name": p.name, "etag": p.e_tag, "provisioningState": p.provisioning_state,
             "kubernetesVersion": p.current_orchestrator_version or p.orchestrator_version,
             "body": builders.request_body(p)} for p in pools]


def _confirm(question, yes):
    if yes:
        return
    from knack.prompting import NoTTYException, prompt_y_n
    try:
        if not prompt_y_n(question, default="n"):
            raise ManualInterrupt("Operation cancelled: nothing was changed.")
    except NoTTYException:
        raise NoTTYError("This migration disrupts workloads and needs confirmation, but there is no terminal to ask: "
                         "run it again with --yes. Nothing was changed.") from None


def _show_plan(plans):
    for plan in plans:
        target = ""
        if plan["action"] in (migration.MIGRATE, migration.RESUME):
            replacement = f", replacement {plan['newPool']}" if plan.get("newPool") else ""
            target = f" -> {plan['osSkuAfter']} ({plan['strategy']}{replacement})"
        reason = f": {plan['reason']}" if plan.get("reason") else ""
        _progress(f"  {plan['pool']}: {plan['action']} {plan['osSkuBefore']}{target}{reason}")
    for plan in plans:
        for finding in plan["findings"]:
            if finding["severity"] == policy.WARNING:
                logger.warning("%s: %s", plan["pool"], finding["message"])


def _resume_command():
    import shlex
    args = [a for a in sys.argv[1:] if a != "--dry-run"]
    return "az " + " ".join(shlex.quote(a) for a in args)


def _finish(cmd, report, signals):
    """Say what did not migrate (and, after a stop, what is in flight and how to resume); set the exit code.
    A pool the preflight refused needed migrating and did not: it counts as not migrated."""
    _progress.end()
    stopped = [r for r in report["pools"] if r["outcome"] == "interrupted"]
    failed = [r for r in report["pools"] if r["outcome"] in ("failed", "not-started")] + \
        _refused_by_preflight(report["pools"])
    signals = signals or _StopSignals()
    for result in stopped:
        _progress(f"{result['pool']}: interrupted at step {result['step']}: {result['stepPool']} is "
                  f"{result['state']}; Azure carries on with it.")
    if failed and not signals.code:
        verb = "would not migrate" if report.get("dryRun") else "did not migrate"
        _progress(f"{len(failed)} pool(s) {verb}: " + "; ".join(
            f"{r['pool']}: {r.get('error') or r.get('reason')}. {r.get('left') or ''}".strip() for r in failed))
    if signals.code:
        _progress(f"To resume, run the same command again (from any machine): {_resume_command()}")
        _exit_after_output(cmd.cli_ctx, signals.code)
    elif failed:
        _exit_after_output(cmd.cli_ctx, 1)
    return report


def _cluster_pools(cmd, resource_group_name, cluster_name, cluster_option="--cluster-name", service=None):
    """One GET of the cluster: its location, and every pool (with its ETag and the records earlier runs left).
    `service` is the ContainerServiceClient to read it with (the preflight reuses its connection)."""
    from azext_azurelinux._client_factory import cf_container_service
    from azure.core.exceptions import ResourceNotFoundError as NotFound
    service = service or cf_container_service(cmd.cli_ctx)
    try:
        cluster = service.managed_clusters.get(resource_group_name, cluster_name)
    except NotFound as error:
        raise ResourceNotFoundError(_not_found(error, resource_group_name, cluster_name, None, cluster_option)) \
            from None
    views = []
    for profile in cluster.agent_pool_profiles or []:
        properties = builders.request_body(profile)
        properties.pop("name", None)
        views.append({"name": profile.name, "etag": profile.e_tag, "provisioningState": profile.provisioning_state,
                      "kubernetesVersion": profile.current_orchestrator_version or profile.orchestrator_version,
                      "body": {"properties": properties}})
    return cluster, views


def _replaced_by(views, name):
    return [v["name"] for v in views if (records.read(v) or {}).get("replaces") == name]


def _where(resource_group_name, cluster_name):
    return f"-g {resource_group_name} --cluster-name {cluster_name}"


def _service(cmd):
    from azext_azurelinux._client_factory import cf_container_service
    return cf_container_service(cmd.cli_ctx)


def _send(service, request):
    """service.send_request, the body read whole and parsed by nobody else. Read whole the usual way, a response is
    also parsed by the pipeline's ContentDecodePolicy into a context that send_request never hands back: a second parse
    of every body, 0.1 s on the several-MB SKU list. Streamed, the policy leaves it alone; read() then keeps it."""
    response = service.send_request(request, stream=True)
    try:
        response.read()
    finally:
        response.close()  # read whole, its connection goes back to the pool
    return response


def _get_json(client):
    """ARM GETs for the preflight through the container service client that read the cluster: its pipeline (retry
    policy, a log that redacts the token) and its open connection, and no Compute SDK to load for three reads."""
    from azure.cli.core.azclierror import AzureResponseError
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azext_azurelinux import preflight

    def get(path, params):
        response = _send(client, HttpRequest("GET", path, params=params))
        if response.status_code == 403:
            raise preflight.Forbidden()
        try:
            response.raise_for_status()
        except HttpResponseError:
            raise AzureResponseError(f"The preflight could not read {path.split('?')[0]} (HTTP "
                                     f"{response.status_code}); nothing was changed. Run the command again, or add "
                                     "--skip-preflight.") from None
        return json.loads(response.content)  # bytes straight to the parser: the SKU list is megabytes
    return get


def _preflight(cmd, service, location, plans, views, max_parallel, subscription=None):
    """Read the live facts (once per location; the SKU list from a day's cache) and refuse what would fail."""
    import os
    from azext_azurelinux import preflight
    moving = [p for p in plans if p["action"] == migration.MIGRATE]
    if not moving:
        return None
    started = time.perf_counter()
    facts = preflight.read_facts(_get_json(service), subscription or _subscription(cmd), location,
                                 need_versions=any(p["strategy"] == migration.NEW_POOL for p in moving),
                                 cache_dir=os.path.join(cmd.cli_ctx.config.config_dir, "azurelinux"))
    for warning in facts["warnings"]:
        logger.warning("%s", warning)
    read = time.perf_counter()
    preflight.apply(plans, views, facts, max_parallel=max_parallel)
    logger.debug("preflight: facts of %s read in %.3f s (SKU list %s), %d pool(s) checked in %.3f s", location,
                 read - started, "from the day's cache" if facts["skusCached"] else "from Azure", len(moving),
                 time.perf_counter() - read)
    return {"location": location, "skusFromCache": facts["skusCached"], "warnings": facts["warnings"]}


def _refused_by_preflight(results):
    return [r for r in results if (r.get("preflight") or {}).get("refused")]


def migrate_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name,  # pylint: disable=too-many-locals
                     os_sku=None, strategy=migration.IN_PLACE, new_name=None, max_surge=None, max_unavailable=None,
                     drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None,
                     skip_preflight=False, yes=False, dry_run=False):
    _progress.start(cmd)
    # One read of the cluster gives the pool, the names a replacement must avoid, and the records earlier runs left.
    service = _service(cmd)
    cluster, views = _cluster_pools(cmd, resource_group_name, cluster_name, service=service)
    view = next((v for v in views if v["name"] == nodepool_name), None)
    if view is None:
        replaced = _replaced_by(views, nodepool_name)
        if replaced:
            _progress(f"{nodepool_name} was replaced by {replaced[0]} (a new-pool migration) and no longer exists: "
                      "nothing to do.")
            return {"pool": nodepool_name, "action": migration.NOTHING, "newPool": replaced[0],
                    "outcome": migration.NOTHING, "reason": f"replaced by {replaced[0]}"}
        raise ResourceNotFoundError(_not_found(None, resource_group_name, cluster_name, nodepool_name))
    replacing = migration.replacements_by_old_pool(views).get(nodepool_name, ())
    taken = [v["name"] for v in views]
    if new_name in taken and not replacing:
        raise InvalidArgumentValueError(f"--new-name {new_name}: cluster {cluster_name} already has a pool of that "
                                        "name; choose another.")
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)
    plan = migration.plan_pool(view, os_sku, strategy, taken_names=taken, new_name=new_name, replacements=replacing,
                               roll=roll)
    if not skip_preflight:
        _preflight(cmd, service, cluster.location, [plan], views, max_parallel=1)
    target = os_sku or migration.DEFAULT_TARGET
    if plan["action"] == migration.REFUSED:
        raise InvalidArgumentValueError(f"--name {nodepool_name} cannot move to {target}: {plan['reason']}")
    if dry_run or plan["action"] == migration.NOTHING:
        if plan["action"] == migration.NOTHING:
            _progress(f"{nodepool_name}: nothing to do: {plan['reason']}.")
            for finding in plan["findings"]:
                if finding["severity"] == policy.WARNING:
                    logger.warning("%s: %s", nodepool_name, finding["message"])
        planned = plan["action"] in (migration.MIGRATE, migration.RESUME)
        return dict(plan, outcome="planned" if dry_run and planned else plan["action"])
    _show_plan([plan])
    _confirm(f"Migrate node pool {nodepool_name} of {cluster_name} to {plan['osSkuAfter']} ({plan['strategy']})?", yes)
    return _run_one(cmd, client, resource_group_name, cluster_name, plan)


def _run_one(cmd, client, resource_group_name, cluster_name, plan):
    """Carry out one pool's plan, Ctrl-C and SIGTERM handled; the report and the exit code as for a cluster."""
    with _StopSignals() as signals:
        ops = _SdkPoolOps(cmd, client, resource_group_name, cluster_name, signals.event, _progress)
        result = migration.execute_plans([plan], ops, _progress, stop=signals.event,
                                         where=_where(resource_group_name, cluster_name))[0]
    _finish(cmd, {"pools": [result]}, signals)
    return result


def migrate_cluster(cmd, client, resource_group_name, name, os_sku=None,  # pylint: disable=too-many-locals
                    strategy=migration.IN_PLACE, max_parallel=2, continue_on_error=False, max_surge=None,
                    max_unavailable=None,
                    drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None,
                    skip_preflight=False, yes=False, dry_run=False):
    _progress.start(cmd)
    # client: the ContainerServiceClient, for the cluster's read, the preflight's reads and the pool operations
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)
    plans, report = _plan_cluster(cmd, client, None, resource_group_name, name, os_sku, strategy, roll, max_parallel,
                                  skip_preflight, "--name")
    report["dryRun"] = dry_run
    target = report["osSku"]
    to_move = [p for p in plans if p["action"] in (migration.MIGRATE, migration.RESUME)]
    resumed = sum(1 for p in to_move if p["action"] == migration.RESUME)
    summary = f"Plan for {name}: {len(to_move)} of {len(plans)} pool(s) to migrate to {target}" + \
        (f" ({resumed} resumed from an earlier run)" if resumed else "")
    if dry_run or not to_move:
        _progress(summary + ".")
        _show_plan(plans)
        return _finish(cmd, dict(report, pools=[dict(p, outcome="planned" if p in to_move else p["action"])
                                                for p in plans]), None)
    _progress(f"{summary}, at most {max_parallel} at a time.")
    _show_plan(plans)
    _confirm(f"Migrate {len(to_move)} node pool(s) of {name} to {target} ({strategy})?", yes)
    started = time.monotonic()
    with _StopSignals() as signals:
        results = _run_cluster(cmd, client, None, resource_group_name, name, plans, max_parallel, continue_on_error,
                               signals.event)
    return _finish(cmd, dict(report, pools=results, seconds=round(time.monotonic() - started, 1)), signals)


def _plan_cluster(cmd, service, subscription, resource_group_name, name, os_sku, strategy, roll, max_parallel,
                  skip_preflight, cluster_option="--name"):
    """Read a cluster once and plan every pool, with the live preflight unless skipped: (plans, report)."""
    cluster, views = _cluster_pools(cmd, resource_group_name, name, cluster_option, service=service)
    plans = migration.plan_cluster(views, os_sku, strategy, roll=roll)
    checked = None if skip_preflight else _preflight(cmd, service, cluster.location, plans, views, max_parallel,
                                                     subscription=subscription)
    return plans, {"cluster": name, "resourceGroup": resource_group_name, "osSku": os_sku or migration.DEFAULT_TARGET,
                   "strategy": strategy, "maxParallel": max_parallel, "preflight": checked}


def _run_cluster(cmd, service, subscription, resource_group_name, name, plans, max_parallel, continue_on_error,
                 stop, label=False):
    """`label`: put the cluster's group and name before each progress line, for runs of many clusters at once."""
    progress = (lambda message: _progress(f"{resource_group_name}/{name}: {message}")) if label else _progress
    ops = _SdkPoolOps(cmd, service.agent_pools, resource_group_name, name, stop, progress, subscription)
    return migration.execute_plans(plans, ops, progress, max_parallel=max_parallel,
                                   continue_on_error=continue_on_error, stop=stop,
                                   where=_where(resource_group_name, name))


def rollback_nodepool(cmd, client, resource_group_name, cluster_name, nodepool_name, yes=False, dry_run=False,
                      no_wait=False):
    """Put a pool migrated in place back on the OS SKU recorded before the migration."""
    _progress.start(cmd)
    _, views = _cluster_pools(cmd, resource_group_name, cluster_name)
    view = next((v for v in views if v["name"] == nodepool_name), None)
    if view is None:
        replaced = _replaced_by(views, nodepool_name)
        if replaced:
            raise InvalidArgumentValueError(
                f"--name {nodepool_name} was migrated through a new pool: {replaced[0]} replaced it and "
                f"{nodepool_name} was deleted, so there is nothing to roll back to. To go back, add a pool with the "
                f"old OS SKU (az aks nodepool add {_where(resource_group_name, cluster_name)} --os-sku ...) and "
                f"then delete {replaced[0]}.")
        raise ResourceNotFoundError(_not_found(None, resource_group_name, cluster_name, nodepool_name))
    plan = migration.plan_rollback(view)
    if plan["action"] == migration.REFUSED:
        raise InvalidArgumentValueError(f"--name {nodepool_name} cannot be rolled back: {plan['reason']}")
    if dry_run:
        return dict(plan, outcome="planned")
    _show_plan([plan])
    _confirm(f"Roll node pool {nodepool_name} of {cluster_name} back to {plan['osSkuAfter']} (AKS reimages its "
             "nodes)?", yes)
    if no_wait:
        step = plan["requests"][0]
        sdk_no_wait(True, client.begin_create_or_update, resource_group_name, cluster_name, nodepool_name,
                    _model_getter(cmd)("AgentPool")(step["body"]), **_match_conditions(step["headers"]))
        return None
    return _run_one(cmd, client, resource_group_name, cluster_name, plan)


# ---- inventory --------------------------------------------------------------------------
def inventory_pools(cmd, subscriptions=None, management_groups=None, status=None, source="graph"):
    """Every node pool across subscriptions, with its status; a summary on stderr."""
    from azext_azurelinux import inventory
    _progress.start(cmd)
    if not subscriptions and not management_groups:
        from azure.cli.core._profile import Profile
        subscriptions = sorted({s["id"] for s in Profile(cli_ctx=cmd.cli_ctx).load_cached_subscriptions()})
    service, unreadable = _service(cmd), []
    if source == "arm":
        rows = inventory.from_arm(_arm_reader(service), list(subscriptions or []), unreadable)
    else:
        rows = inventory.from_graph(_graph_reader(service), list(subscriptions or []), management_groups)
    for subscription, why in unreadable:
        logger.warning("Subscription %s was skipped: it cannot be read (%s).", subscription, why)
    rows = [r for r in rows if not status or r["status"] in status]
    counts = inventory.summary(rows)
    by_status = ", ".join(f"{n} {s}" for s, n in counts["byStatus"].items())
    _progress(f"{counts['pools']} pool(s) in {counts['clusters']} cluster(s) of {counts['subscriptions']} "
              f"subscription(s): {by_status} (source: {source})")
    _progress.end()
    return rows


def _arm_reader(service):
    from azure.core.rest import HttpRequest
    from azext_azurelinux import inventory

    def get(path, params):
        response = _send(service, HttpRequest("GET", path, params=params))
        if response.status_code in (403, 404):
            raise inventory.Unreadable(f"HTTP {response.status_code}: {_response_message(response)}")
        response.raise_for_status()
        return json.loads(response.content)
    return get


def _graph_reader(service):
    """POSTs to Resource Graph that keep to the user's quota: when the service says none is left
    (x-ms-user-quota-remaining: 0), the next query waits until the quota resets; a 429 is retried by the SDK."""
    from azure.core.rest import HttpRequest
    pause = [0.0]

    def post(path, body):
        if pause[0]:
            logger.debug("Resource Graph quota used up: waiting %.1f s for it to reset", pause[0])
            time.sleep(pause[0])
        response = _send(service, HttpRequest("POST", path, json=body))
        response.raise_for_status()
        remaining = response.headers.get("x-ms-user-quota-remaining")
        resets = response.headers.get("x-ms-user-quota-resets-after", "00:00:00")
        pause[0] = _seconds(resets) if remaining is not None and int(remaining) <= 0 else 0.0
        return json.loads(response.content)
    return post


def _seconds(hh_mm_ss):
    parts = [float(p) for p in str(hh_mm_ss).split(":")]
    return sum(value * 60 ** index for index, value in enumerate(reversed(parts)))


def _response_message(response):
    try:
        body = json.loads(response.content)
        return (body.get("error") or body).get("message", "")
    except (ValueError, AttributeError):
        return ""


# ---- fleets -----------------------------------------------------------------------------
FLEET_API = "2025-03-01"
FRESH_PLAN_SECONDS = 30  # a plan older than this is made again from a new read before its cluster runs


def migrate_fleet(cmd, clusters=None, clusters_file=None, fleet_id=None,  # pylint: disable=too-many-locals
                  update_strategy=None, waves=None, wait_between="0", max_parallel_clusters=4, max_failed_clusters=0,
                  os_sku=None, strategy=migration.IN_PLACE, max_parallel=2, max_surge=None, max_unavailable=None,
                  drain_timeout=None, node_soak_duration=None, undrainable_node_behavior=None, skip_preflight=False,
                  yes=False, dry_run=False):
    """Many clusters in waves, each migrated as `az aks azurelinux migrate` migrates it, with a failure budget."""
    from azext_azurelinux.migration import fleet
    _progress.start(cmd)
    services = {}

    def service_of(subscription):
        if subscription.lower() not in services:
            from azext_azurelinux._client_factory import cf_container_service
            services[subscription.lower()] = cf_container_service(cmd.cli_ctx, subscription_id=subscription)
        return services[subscription.lower()]

    planned_waves, unplaced = _fleet_waves(fleet, service_of, clusters, clusters_file, fleet_id, update_strategy,
                                           waves, wait_between)
    for cluster in unplaced:
        logger.warning("%s is in no wave and is left alone (give a last wave of * to take the rest).", cluster)
    roll = builders.upgrade_settings(max_surge, max_unavailable, drain_timeout, node_soak_duration,
                                     undrainable_node_behavior)

    def plan(cluster):
        subscription, group, name = fleet.parse_cluster_id(cluster)
        return _plan_cluster(cmd, service_of(subscription), subscription, group, name, os_sku, strategy, roll,
                             max_parallel, skip_preflight)

    from concurrent.futures import ThreadPoolExecutor
    everyone = [cluster for wave in planned_waves for cluster in wave["clusters"]]
    with ThreadPoolExecutor(max_workers=max(1, max_parallel_clusters)) as readers:  # one read a cluster, together
        plans = dict(zip(everyone, readers.map(lambda cluster: _try(plan, cluster), everyone)))
    planned_at = time.monotonic()
    report = {"waves": [{"name": w["name"], "clusters": w["clusters"], "waitAfter": w["waitAfter"]}
                        for w in planned_waves], "dryRun": dry_run, "osSku": os_sku or migration.DEFAULT_TARGET,
              "strategy": strategy, "maxParallelClusters": max_parallel_clusters,
              "maxFailedClusters": max_failed_clusters}
    _show_fleet_plan(planned_waves, plans)
    if dry_run:
        report["clusters"] = [_cluster_plan_row(c, w["name"], plans[c]) for w in planned_waves for c in w["clusters"]]
        return _finish_fleet(cmd, report, None)
    _confirm(f"Migrate the pools of {len(plans)} cluster(s) in {len(planned_waves)} wave(s) to "
             f"{os_sku or migration.DEFAULT_TARGET}?", yes)

    with _StopSignals() as signals:
        def migrate_one(cluster):
            planned = plans[cluster]
            if isinstance(planned, Exception) or time.monotonic() - planned_at > FRESH_PLAN_SECONDS:
                planned = _try(plan, cluster)  # read again: a wait, or a long wave, may have changed the cluster
            if isinstance(planned, Exception):
                return {"outcome": "failed", "error": _one_line(planned)}
            cluster_plans, _ = planned
            subscription, group, name = fleet.parse_cluster_id(cluster)
            if not [p for p in cluster_plans if p["action"] in (migration.MIGRATE, migration.RESUME)]:
                return {"outcome": "nothing-to-do" if not _refused_by_preflight(cluster_plans) else "failed",
                        "pools": _pool_outcomes(cluster_plans)}
            results = _try(_run_cluster, cmd, service_of(subscription), subscription, group, name, cluster_plans,
                           max_parallel, False, signals.event, True)
            if isinstance(results, Exception):
                return {"outcome": "failed", "error": _one_line(results)}
            return {"outcome": _cluster_outcome(results), "pools": _pool_outcomes(results)}

        results = fleet.run_waves(planned_waves, migrate_one, max_parallel_clusters, max_failed_clusters,
                                  fleet.parse_duration(wait_between), stop=signals.event, progress=_progress)
    report["clusters"] = results
    return _finish_fleet(cmd, report, signals)


def _try(function, *args):
    """The function's result, or the Azure or CLI error it raised (a cluster that cannot be read is a failed
    cluster, not a crash)."""
    from azure.core.exceptions import AzureError
    from knack.util import CLIError
    try:
        return function(*args)
    except (AzureError, CLIError) as error:
        return error


def _fleet_waves(fleet, service_of, clusters, clusters_file, fleet_id, update_strategy, waves, wait_between):
    from azure.cli.core.azclierror import FileOperationError
    from azure.core.rest import HttpRequest
    try:
        fleet.parse_duration(wait_between)
        if fleet_id:
            subscription, group, name = fleet.parse_fleet_id(fleet_id)
            base = f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/" \
                   f"fleets/{name}"
            service = service_of(subscription)

            def get(path):
                response = _send(service, HttpRequest("GET", path, params={"api-version": FLEET_API}))
                if response.status_code == 404:
                    raise ResourceNotFoundError(f"--fleet-id: {_response_message(response)}")
                response.raise_for_status()
                return json.loads(response.content)
            members = get(f"{base}/members").get("value", [])
            if update_strategy:
                return fleet.waves_from_strategy(members, get(f"{base}/updateStrategies/{update_strategy}"))
            ids = [m["properties"]["clusterResourceId"] for m in members]
        elif clusters_file:
            try:
                with open(clusters_file, encoding="utf-8") as handle:
                    ids = fleet.clusters_from_file(handle.read())
            except OSError as error:
                raise FileOperationError(f"--clusters-file {clusters_file} cannot be read ({error.strerror}).") \
                    from None
        else:
            ids = list(dict.fromkeys(clusters))
            for cluster in ids:
                fleet.parse_cluster_id(cluster)
        return fleet.assign_waves(ids, fleet.parse_waves(waves))
    except fleet.FleetError as error:
        raise InvalidArgumentValueError(str(error)) from None


def _pool_outcomes(results):
    counts = {}
    for result in results:
        outcome = result.get("outcome") or result["action"]
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _cluster_outcome(results):
    outcomes = {r["outcome"] for r in results}
    if "interrupted" in outcomes:
        return "interrupted"
    if outcomes & {"failed", "not-started"} or _refused_by_preflight(results):
        return "failed"
    return "succeeded" if "succeeded" in outcomes else "nothing-to-do"


def _cluster_plan_row(cluster, wave, planned):
    if isinstance(planned, Exception):
        return {"cluster": cluster, "wave": wave, "outcome": "failed", "error": _one_line(planned)}
    plans, report = planned
    return {"cluster": cluster, "wave": wave, "outcome": "planned", "preflight": report["preflight"],
            "pools": [{k: v for k, v in p.items() if k != "requests"} for p in plans]}


def _show_fleet_plan(waves, plans):
    for wave in waves:
        _progress(f"Wave {wave['name']}: {len(wave['clusters'])} cluster(s)"
                  + (f", then a wait of {wave['waitAfter']} s" if wave.get("waitAfter") else ""))
        for cluster in wave["clusters"]:
            planned = plans[cluster]
            if isinstance(planned, Exception):
                _progress(f"  {cluster}: cannot be read: {_one_line(planned)}")
                continue
            counts = _pool_outcomes([{"action": p["action"]} for p in planned[0]])
            _progress(f"  {cluster}: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items())))


def _finish_fleet(cmd, report, signals):
    _progress.end()
    rows = report["clusters"]
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    report["summary"] = counts
    _progress(f"{len(rows)} cluster(s): " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))
    if signals is not None and signals.code:
        _progress(f"To resume, run the same command again (from any machine): {_resume_command()}")
        _exit_after_output(cmd.cli_ctx, signals.code)
    elif any(row["outcome"] in ("failed", "not-started") for row in rows):
        _exit_after_output(cmd.cli_ctx, 1)
    return report
