# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Command validators: thin glue from `policy` and `aks_rules` to the CLI's error types.

Each runs before the command sends anything, so a refused choice costs no request. A
refusal is one sentence naming the option and the value, why, and what to do instead.
"""
import os
import re

from azure.cli.core.azclierror import (InvalidArgumentValueError, MutuallyExclusiveArgumentError,
                                       RequiredArgumentMissingError)
from knack.log import get_logger

logger = get_logger(__name__)

_PUBLIC_KEY = re.compile(r"^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|"
                         r"sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$")
_WORKSPACE_ID = re.compile(r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
                           r"microsoft\.operationalinsights/workspaces/[^/]+$", re.IGNORECASE)


def _plain_defaults(namespace):
    """The CLI marks defaults by wrapping them in int and str subclasses; the commands want plain values."""
    for key, value in vars(namespace).items():
        if isinstance(value, (int, str)) and not isinstance(value, bool) and type(value) not in (int, str):
            setattr(namespace, key, (int if isinstance(value, int) else str)(value))


def validate(name, namespace):
    """The entry of every command validator: plain values first, the invocation's policy, then the command's own
    checks. The policy is built once (from the configuration and --policy) and kept for the command function."""
    _plain_defaults(namespace)
    cmd = getattr(namespace, "cmd", None) or getattr(namespace, "_cmd", None)
    if cmd is not None:
        from azext_azurelinux import _policy_config
        setattr(namespace, "_policy", _policy_config.for_command(cmd, getattr(namespace, "policy_edition", None)))
    globals()[name](namespace)


def _policy(namespace):
    """The invocation's Policy (the default one where a validator runs without a command, as in unit tests)."""
    policy = getattr(namespace, "_policy", None)
    if policy is None:
        from azext_azurelinux.policy import Policy
        policy = Policy()
    return policy


def validate_policy_choice(namespace):  # pylint: disable=unused-argument
    """Commands with nothing to check but the policy in force (built by `validate`)."""


def _raise_if(option, problem):
    """An aks_rules answer (None, or a sentence that starts with the value) as the option's argument error."""
    if problem:
        raise InvalidArgumentValueError(f"{option} {problem}" if option else problem)


def _apply_findings(findings, options):
    """Raise on the first refusal; print warnings. `options` maps a finding's subject to its option."""
    from azext_azurelinux.findings import WARNING
    for finding in findings:
        if finding.refused:
            raise InvalidArgumentValueError(f"{options.get(finding.subject, '')} {finding.message}".strip())
    for finding in findings:
        if finding.severity == WARNING:
            logger.warning("%s", finding.message)


def _names(namespace):
    from azext_azurelinux import aks_rules
    if getattr(namespace, "resource_group_name", None) is not None:
        _raise_if("--resource-group", aks_rules.resource_group_name(namespace.resource_group_name))
    if getattr(namespace, "cluster_name", None) is not None:
        _raise_if("--cluster-name", aks_rules.cluster_name(namespace.cluster_name))


def _os_choice(namespace):
    """--os-sku, --kubernetes-version, --node-vm-size and --security-module against the policy."""
    from azext_azurelinux.findings import INFO, refusals
    policy = _policy(namespace)
    findings = []
    if getattr(namespace, "node_vm_size", None) is not None:
        findings += policy.check_vm_size(namespace.node_vm_size)
        namespace.node_vm_size = policy.canonical_vm_size(namespace.node_vm_size)
    version = getattr(namespace, "kubernetes_version", None)
    findings += policy.check_os_sku(namespace.os_sku, version)
    if getattr(namespace, "security_module", None) is not None:
        findings += [f for f in policy.check_security_module(namespace.security_module, namespace.os_sku, version)
                     if f.severity != INFO]
    findings += policy.check_node_count(getattr(namespace, "node_count", None))
    findings += policy.check_node_count(getattr(namespace, "max_count", None), "--max-count")
    if not refusals(findings) and policy.canonical_os_sku(namespace.os_sku):
        trusted = bool(getattr(namespace, "enable_secure_boot", False) and getattr(namespace, "enable_vtpm", False))
        findings += policy.check_os_sku_requirements(namespace.os_sku, trusted_launch=trusted)
    _apply_findings(findings, {"vm_size": "--node-vm-size", "os_sku": "--os-sku",
                               "kubernetes_version": "--kubernetes-version",
                               "security_module": "--security-module", "node_count": ""})
    namespace.os_sku = policy.canonical_os_sku(namespace.os_sku)
    if getattr(namespace, "security_module", None) is not None:
        namespace.security_module = namespace.security_module.lower()


def _pool_shape(namespace, mode):
    from azext_azurelinux import aks_rules
    _raise_if("--node-count", aks_rules.node_count(namespace.node_count, mode))
    _raise_if("--zones", aks_rules.zones(namespace.zones))
    _raise_if("--max-pods", aks_rules.max_pods(namespace.max_pods))


def _tags(namespace):
    if getattr(namespace, "tags", None) is None:
        return
    from azure.cli.core.commands.validators import validate_tags
    validate_tags(namespace)


def _ssh_key(namespace):
    value = getattr(namespace, "ssh_key_value", None)
    if value is None:
        return
    path = os.path.expanduser(value)
    content = value
    if os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as handle:
            content = handle.read()
    if "PRIVATE KEY" in content:
        raise InvalidArgumentValueError(
            "--ssh-key-value is a private key; give the public key instead (the .pub file, such as "
            "~/.ssh/id_ed25519.pub). The private key was not read further, sent or printed.")
    content = content.strip()
    if not _PUBLIC_KEY.match(content):
        raise InvalidArgumentValueError(
            "--ssh-key-value is neither an OpenSSH public key nor the path of a file holding one; give a key "
            "that starts with ssh-rsa, ssh-ed25519 or ecdsa-sha2-*, or the path of a .pub file.")
    namespace.ssh_key_value = content


def validate_create(namespace):
    from azext_azurelinux import aks_rules
    _raise_if("--resource-group", aks_rules.resource_group_name(namespace.resource_group_name))
    _raise_if("--name", aks_rules.cluster_name(namespace.name))
    _raise_if("--nodepool-name", aks_rules.pool_name(namespace.nodepool_name))
    _pool_shape(namespace, "System")
    _os_choice(namespace)
    if namespace.defender_workspace and not namespace.enable_defender:
        raise RequiredArgumentMissingError("--defender-workspace needs --enable-defender: add it, or drop the "
                                           "workspace.")
    if namespace.enable_defender:
        if not namespace.defender_workspace:
            raise RequiredArgumentMissingError(
                "--enable-defender needs --defender-workspace, the resource id of a Log Analytics workspace "
                "(/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.OperationalInsights/workspaces/NAME).")
        if not _WORKSPACE_ID.match(namespace.defender_workspace):
            from azext_azurelinux.findings import shown
            raise InvalidArgumentValueError(
                f"--defender-workspace {shown(namespace.defender_workspace)} is not a Log Analytics workspace resource "
                "id: use /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.OperationalInsights/"
                "workspaces/NAME.")
    _ssh_key(namespace)
    _tags(namespace)
    _production_options(namespace)


def _production_options(namespace):
    """core az aks create's networking, identity and operations options, as core and AKS check them."""
    from azext_azurelinux import _create, cluster_options
    try:
        cluster_options.validate(_create.options_of(vars(namespace)))
    except cluster_options.OptionError as error:
        raise _create.as_cli_error(error) from None


def validate_nodepool_add(namespace):
    from azext_azurelinux import aks_rules
    _names(namespace)
    _raise_if("--name", aks_rules.pool_name(namespace.nodepool_name))
    mode = namespace.mode or "User"
    _pool_shape(namespace, mode)
    _raise_if("", aks_rules.autoscaler(namespace.enable_cluster_autoscaler, namespace.node_count,
                                       namespace.min_count, namespace.max_count, mode))
    _raise_if("--node-osdisk-size", aks_rules.os_disk_size(getattr(namespace, "node_osdisk_size", None)))
    _roll(namespace)
    surge = getattr(namespace, "max_surge", None)
    _raise_if("--max-surge", aks_rules.pool_with_surge(namespace.node_count, surge) if surge else None)
    _os_choice(namespace)
    labels, error = aks_rules.parse_labels(namespace.labels)
    _raise_if("--labels", error)
    namespace.labels = labels or None
    taints, error = aks_rules.parse_taints(namespace.node_taints)
    _raise_if("--node-taints", error)
    namespace.node_taints = taints
    if namespace.gpu_driver is not None:
        from azext_azurelinux.findings import shown
        if not _policy(namespace).is_gpu_size(namespace.node_vm_size or ""):
            size = f"--node-vm-size {shown(namespace.node_vm_size)} has no GPU" if namespace.node_vm_size else \
                "no --node-vm-size was given"
            raise InvalidArgumentValueError(f"--gpu-driver applies to GPU sizes only, and {size}: drop --gpu-driver, "
                                            "or choose a GPU size such as Standard_NC4as_T4_v3.")
    _tags(namespace)


def _roll(namespace):
    """--max-surge, --max-unavailable, --drain-timeout, --node-soak-duration as the service checks them."""
    from azext_azurelinux import aks_rules
    surge, unavailable = getattr(namespace, "max_surge", None), getattr(namespace, "max_unavailable", None)
    _raise_if("--max-surge", aks_rules.max_surge(surge))
    _raise_if("--max-unavailable", aks_rules.max_unavailable(unavailable))
    _raise_if("", aks_rules.surge_and_unavailable(surge, unavailable))
    _raise_if("--drain-timeout", aks_rules.drain_timeout(getattr(namespace, "drain_timeout", None)))
    _raise_if("--node-soak-duration", aks_rules.node_soak_duration(getattr(namespace, "node_soak_duration", None)))
    for option in ("max_surge", "max_unavailable"):
        if getattr(namespace, option, None) is not None:
            setattr(namespace, option, str(getattr(namespace, option)).strip())


def validate_nodepool_list(namespace):
    _names(namespace)


def validate_nodepool_ref(namespace):
    from azext_azurelinux import aks_rules
    _names(namespace)
    _raise_if("--name", aks_rules.pool_name(namespace.nodepool_name))


def validate_cluster_ref(namespace):
    from azext_azurelinux import aks_rules
    _raise_if("--resource-group", aks_rules.resource_group_name(namespace.resource_group_name))
    _raise_if("--name", aks_rules.cluster_name(namespace.name))


def validate_check(namespace):
    live = namespace.cluster_name is not None or namespace.resource_group_name is not None
    if live:
        if namespace.cluster_name is None or namespace.resource_group_name is None:
            raise RequiredArgumentMissingError("A live check of a cluster's migration needs both --resource-group "
                                               "and --cluster-name.")
        _names(namespace)
        _target_sku(namespace)
        _roll(namespace)
        _max_parallel(namespace)
        for option in ("node_vm_size", "kubernetes_version", "security_module"):
            if getattr(namespace, option) is not None:
                raise MutuallyExclusiveArgumentError(
                    f"--{option.replace('_', '-')} is for the offline check; a live check (--cluster-name) reads "
                    "the cluster's own pools: drop one or the other.")
        return
    for option in ("strategy", "max_surge", "max_parallel", "skip_workload_check"):
        if getattr(namespace, option) not in (None, False):
            raise RequiredArgumentMissingError(f"--{option.replace('_', '-')} belongs to a live check: add "
                                               "--resource-group and --cluster-name.")
    if all(getattr(namespace, option) is None for option in
           ("node_vm_size", "os_sku", "kubernetes_version", "security_module")):
        raise RequiredArgumentMissingError(
            "Nothing to check: give at least one of --node-vm-size, --os-sku, --kubernetes-version, "
            "--security-module, or --resource-group and --cluster-name for a live check of a migration.")


def _target_sku(namespace):
    """A migration's --os-sku; None (not given) means AzureLinux, for pools not on Azure Linux yet."""
    policy = _policy(namespace)
    if namespace.os_sku is None:
        return
    findings = policy.check_os_sku(namespace.os_sku)
    _apply_findings(findings, {"os_sku": "--os-sku"})
    namespace.os_sku = policy.canonical_os_sku(namespace.os_sku)


def validate_nodepool_migrate(namespace):
    from azext_azurelinux import aks_rules
    validate_nodepool_ref(namespace)
    _target_sku(namespace)
    _roll(namespace)
    if namespace.new_name is not None:
        if namespace.strategy != "new-pool":
            raise MutuallyExclusiveArgumentError("--new-name goes with --strategy new-pool: add that, or drop "
                                                 "--new-name.")
        _raise_if("--new-name", aks_rules.pool_name(namespace.new_name))
        if namespace.new_name == namespace.nodepool_name:
            raise InvalidArgumentValueError(f"--new-name {namespace.new_name} is the name of the pool being "
                                            "replaced: choose another name.")


def validate_nodepool_rollback(namespace):
    validate_nodepool_ref(namespace)


def validate_migrate_fleet(namespace):
    given = [o for o, v in (("--clusters", namespace.clusters), ("--clusters-file", namespace.clusters_file),
                            ("--fleet-id", namespace.fleet_id)) if v]
    if len(given) != 1:
        raise (MutuallyExclusiveArgumentError if given else RequiredArgumentMissingError)(
            "Give the clusters one way: --clusters IDS, --clusters-file FILE or --fleet-id ID.")
    if namespace.update_strategy and not namespace.fleet_id:
        raise RequiredArgumentMissingError("--update-strategy belongs to a fleet: add --fleet-id.")
    if namespace.update_strategy and namespace.waves:
        raise MutuallyExclusiveArgumentError("--update-strategy gives the waves: drop --waves, or the strategy.")
    for option in ("max_parallel_clusters", "max_parallel"):
        value = getattr(namespace, option)
        if value is not None and value < 1:
            raise InvalidArgumentValueError(f"--{option.replace('_', '-')} {value} is too small: use 1 or more.")
    if namespace.max_failed_clusters is not None and namespace.max_failed_clusters < 0:
        raise InvalidArgumentValueError(f"--max-failed-clusters {namespace.max_failed_clusters} is negative: use 0 "
                                        "or more.")
    _waves(namespace)
    _target_sku(namespace)
    _roll(namespace)


def _waves(namespace):
    """--waves and --wait-between, and, where the clusters are known without asking Azure (--clusters, a readable
    --clusters-file), that the waves hold them all. A FleetError is a ValueError: the CLI reports it as an argument
    error (exit 2), before anything is read from Azure."""
    from azext_azurelinux.migration import fleet
    waves = fleet.parse_waves(namespace.waves)
    fleet.parse_duration(namespace.wait_between or "0")
    ids = list(dict.fromkeys(namespace.clusters or []))
    if namespace.clusters_file:
        try:
            with open(namespace.clusters_file, encoding="utf-8") as handle:
                ids = fleet.clusters_from_file(handle.read())
        except OSError:
            return  # the command says the file cannot be read
    if namespace.waves and ids:
        fleet.assign_waves(ids, waves)


def validate_check_template(namespace):
    """Which file, and that it can be read and is a template or plan of the kind named: a problem is an argument
    error (exit 2), raised by the template gate as a ValueError."""
    from azext_azurelinux import _template_gate
    _template_gate.validate(namespace, _policy(namespace))


def validate_inventory(namespace):
    from azext_azurelinux.inventory import STATUSES
    for value in namespace.status or []:
        if value not in STATUSES:
            from azext_azurelinux.findings import shown
            raise InvalidArgumentValueError(f"--status {shown(value)} is not a status: use any of "
                                            f"{', '.join(STATUSES)}.")
    if namespace.management_groups and namespace.source == "arm":
        raise MutuallyExclusiveArgumentError("--management-groups needs --source graph (Resource Graph resolves "
                                             "them); with --source arm give --subscriptions.")
    if namespace.management_groups and namespace.subscriptions:
        raise MutuallyExclusiveArgumentError("Give --subscriptions or --management-groups, not both.")


def _max_parallel(namespace):
    if namespace.max_parallel is not None and namespace.max_parallel < 1:
        raise InvalidArgumentValueError(f"--max-parallel {namespace.max_parallel} is too small: use 1 or more "
                                        "pool operations at a time.")


def validate_migrate(namespace):
    validate_cluster_ref(namespace)
    _target_sku(namespace)
    _roll(namespace)
    _max_parallel(namespace)
