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
    return [pool.name for pool in cf_agent_pools(cmd.cli_ctx).list(group, cluster)]


@Completer
def get_vm_size_completion_list(cmd, prefix, namespace, **kwargs):  # pylint: disable=unused-argument
    """The sizes of the location (`--location`, or the resource group's): the GPU sizes the policy knows otherwise."""
    from azext_azurelinux import policy
    location = getattr(namespace, "location", None)
    if not location:
        return policy.supported_gpu_sizes()
    from azext_azurelinux._client_factory import cf_container_service
    from azure.core.rest import HttpRequest
    subscription = cmd.cli_ctx.data.get("subscription_id")
    response = cf_container_service(cmd.cli_ctx).send_request(HttpRequest(
        "GET", f"/subscriptions/{subscription}/providers/Microsoft.Compute/skus",
        params={"api-version": "2021-07-01", "$filter": f"location eq '{location}'"}))
    return sorted({e["name"] for e in response.json().get("value", []) if e.get("resourceType") == "virtualMachines"})


@Completer
def get_kubernetes_version_completion_list(cmd, prefix, namespace, **kwargs):  # pylint: disable=unused-argument
    from azext_azurelinux._client_factory import cf_managed_clusters
    location = getattr(namespace, "location", None) or "eastus"
    versions = cf_managed_clusters(cmd.cli_ctx).list_kubernetes_versions(location)
    return sorted(patch for value in versions.values or [] for patch in (value.patch_versions or {}))


@Completer
def get_policy_edition_completion_list(cmd, prefix, namespace, **kwargs):  # pylint: disable=unused-argument
    from azext_azurelinux import policy
    return policy.edition_names()
