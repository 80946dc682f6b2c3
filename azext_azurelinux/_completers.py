# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Tab completion for cluster names, pool names, VM sizes, Kubernetes versions and policy editions."""
from azure.cli.core.decorators import Completer


@Completer
def get_nodepool_completion_list(cmd, prefix, namespace, **kwargs):  # pylint: disable=unused-argument
    from azext_azurelinux._client_factory import cf_agent_pools
    group, cluster = getattr(namespace, "resource_group_name", None), getattr(namespace, "cluster_name", None)
    if not group or not cluster:
        return []
    return _quietly(lambda: [pool.name for pool in cf_agent_pools(cmd.cli_ctx).list(group, cluster)])


def _quietly(read):
    """What `read` returns, or nothing when Azure cannot answer (a cluster not there yet, no access): an error
    printed in the middle of a command line being typed is noise."""
    from azure.core.exceptions import AzureError
    from knack.util import CLIError
    from azext_azurelinux._arm import Forbidden
    try:
        return read()
    except (AzureError, CLIError, Forbidden):
        return []


def _reader(cmd):
    """(get_json, subscription): the preflight's way of reading ARM, for the completers that read what it reads."""
    from azure.cli.core.commands.client_factory import get_subscription_id
    from azext_azurelinux._arm import preflight_reader
    from azext_azurelinux._client_factory import cf_container_service
    return preflight_reader(cf_container_service(cmd.cli_ctx)), get_subscription_id(cmd.cli_ctx)


def _location(cmd, namespace):
    """Where the sizes and versions are wanted: --location, else the cluster's, else the resource group's."""
    if getattr(namespace, "location", None):
        return namespace.location
    group, cluster = getattr(namespace, "resource_group_name", None), getattr(namespace, "cluster_name", None)
    if not group:
        return None
    if cluster:
        from azext_azurelinux._client_factory import cf_managed_clusters
        return cf_managed_clusters(cmd.cli_ctx).get(group, cluster).location
    from azext_azurelinux._client_factory import cf_resource_groups
    return cf_resource_groups(cmd.cli_ctx).get(group).location


@Completer
def get_vm_size_completion_list(cmd, prefix, namespace, **kwargs):  # pylint: disable=unused-argument
    """The sizes offered in the location that the support policy in force does not refuse (the GPU sizes it supports
    when no location is known yet). The SKU list is the preflight's, from its day's cache after the first read."""
    from azext_azurelinux import _policy_config
    from azext_azurelinux._consts import cache_dir
    from azext_azurelinux.findings import refusals
    from azext_azurelinux.migration import preflight

    def read():
        policy = _policy_config.load(cmd.cli_ctx)  # the edition and organisation policy in force, as for the command
        location = _location(cmd, namespace)
        if not location:
            return policy.supported_gpu_sizes()
        skus, _ = preflight.read_skus(*_reader(cmd), location, cache_dir=cache_dir(cmd.cli_ctx))
        return sorted(sku["name"] for sku in skus.values() if not refusals(policy.check_vm_size(sku["name"])))
    return _quietly(read)


@Completer
def get_kubernetes_version_completion_list(cmd, prefix, namespace, **kwargs):  # pylint: disable=unused-argument
    """The patch versions offered in the location (the SDK's model of that list cannot be read: its `values` is the
    mapping's method, so the list is read as JSON, as the preflight reads it)."""
    from azext_azurelinux import versions
    from azext_azurelinux.migration import preflight

    def read():
        offered = preflight.read_versions(*_reader(cmd), _location(cmd, namespace) or "eastus")
        return sorted((patch for patches in offered.values() for patch in patches), key=versions.sort_key)
    return _quietly(read)


@Completer
def get_policy_edition_completion_list(cmd, prefix, namespace, **kwargs):  # pylint: disable=unused-argument
    from azext_azurelinux.policy import edition_names
    return edition_names()
