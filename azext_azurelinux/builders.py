# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Builders: validated arguments to SDK models. Pure: no client, no I/O.

`get_model(name)` returns an SDK model class (the command's `cmd.get_models` in the CLI,
the SDK's models module in unit tests), so the same code serves both.
"""
import re


def _labels_with(labels, security_label):
    """The node labels, with the label that marks a manually configured security module (policy's
    `security_module_label`, as (key, value)) when there is one."""
    labels = dict(labels or {})
    if security_label:
        labels[security_label[0]] = security_label[1]
    return labels or None


def _security_profile(get_model, name, enable_secure_boot, enable_vtpm):
    if not (enable_secure_boot or enable_vtpm):
        return None
    return get_model(name)(enable_secure_boot=enable_secure_boot or None, enable_vtpm=enable_vtpm or None)


def upgrade_settings(max_surge=None, max_unavailable=None, drain_timeout=None, node_soak_duration=None,
                     undrainable_node_behavior=None):
    """The `upgradeSettings` (REST names) that the given roll options set; the rest is left to the pool."""
    settings = {"maxSurge": max_surge, "maxUnavailable": max_unavailable, "drainTimeoutInMinutes": drain_timeout,
                "nodeSoakDurationInMinutes": node_soak_duration, "undrainableNodeBehavior": undrainable_node_behavior}
    return {key: value for key, value in settings.items() if value is not None}


def pool_properties(get_model, node_vm_size=None, node_count=None, mode="User", os_sku="AzureLinux",
                    kubernetes_version=None, labels=None, node_taints=None, zones=None, max_pods=None,
                    enable_cluster_autoscaler=False, min_count=None, max_count=None, gpu_driver=None,
                    security_label=None, enable_fips_image=False, enable_secure_boot=False, enable_vtpm=False,
                    os_disk_size_gb=None, tags=None, roll=None):
    """The keyword arguments shared by `AgentPool` and `ManagedClusterAgentPoolProfile`; `roll` is an
    `upgrade_settings` dict."""
    properties = {
        "os_type": "Linux", "os_sku": os_sku, "mode": mode,
        "vm_size": node_vm_size, "count": node_count, "orchestrator_version": kubernetes_version,
        "node_labels": _labels_with(labels, security_label), "node_taints": node_taints or None,
        "availability_zones": [str(z) for z in zones] if zones else None, "max_pods": max_pods,
        "os_disk_size_gb": os_disk_size_gb, "enable_fips": True if enable_fips_image else None,
        "security_profile": _security_profile(get_model, "AgentPoolSecurityProfile", enable_secure_boot,
                                              enable_vtpm),
        "gpu_profile": get_model("GPUProfile")(driver=gpu_driver) if gpu_driver else None,
        "tags": tags or None,
        "upgrade_settings": get_model("AgentPoolUpgradeSettings")(roll) if roll else None,
    }
    if enable_cluster_autoscaler:
        properties.update(enable_auto_scaling=True, min_count=min_count, max_count=max_count,
                          count=node_count if node_count is not None else min_count)
    return {key: value for key, value in properties.items() if value is not None}


def build_agent_pool(get_model, **arguments):
    """An `AgentPool` for `agent_pools.begin_create_or_update`."""
    return get_model("AgentPool")(**pool_properties(get_model, **arguments))


def dns_prefix(cluster_name, resource_group_name, subscription_id):
    """A DNS prefix as `az aks create` derives one: name, group and subscription, letters first."""
    name_part = re.sub(r"[^A-Za-z0-9-]", "", cluster_name)[:10]
    if not name_part or not name_part[0].isalpha():
        name_part = ("a" + name_part)[:10]
    group_part = re.sub(r"[^A-Za-z0-9-]", "", resource_group_name)[:16]
    return f"{name_part}-{group_part}-{subscription_id[:6]}".strip("-")


def build_managed_cluster(get_model, name, resource_group_name, subscription_id, location, nodepool_name="nodepool1",
                          node_count=3, node_vm_size=None, os_sku="AzureLinux", kubernetes_version=None, zones=None,
                          max_pods=None, security_label=None, enable_fips_image=False, enable_secure_boot=False,
                          enable_vtpm=False, enable_defender=False, defender_workspace=None, ssh_key_value=None,
                          tags=None):
    """A `ManagedCluster` whose system pool runs Azure Linux."""
    pool = get_model("ManagedClusterAgentPoolProfile")(
        name=nodepool_name, type="VirtualMachineScaleSets",
        **pool_properties(get_model, node_vm_size=node_vm_size, node_count=node_count, mode="System",
                          os_sku=os_sku, kubernetes_version=kubernetes_version, zones=zones, max_pods=max_pods,
                          security_label=security_label, enable_fips_image=enable_fips_image,
                          enable_secure_boot=enable_secure_boot, enable_vtpm=enable_vtpm))
    cluster = {
        "location": location, "tags": tags or None, "kubernetes_version": kubernetes_version,
        "dns_prefix": dns_prefix(name, resource_group_name, subscription_id), "enable_rbac": True,
        "agent_pool_profiles": [pool],
        "identity": get_model("ManagedClusterIdentity")(type="SystemAssigned"),
    }
    if ssh_key_value:
        cluster["linux_profile"] = get_model("ContainerServiceLinuxProfile")(
            admin_username="azureuser",
            ssh=get_model("ContainerServiceSshConfiguration")(
                public_keys=[get_model("ContainerServiceSshPublicKey")(key_data=ssh_key_value)]))
    if enable_defender:
        cluster["security_profile"] = get_model("ManagedClusterSecurityProfile")(
            defender=get_model("ManagedClusterSecurityProfileDefender")(
                log_analytics_workspace_resource_id=defender_workspace,
                security_monitoring=get_model("ManagedClusterSecurityProfileDefenderSecurityMonitoring")(
                    enabled=True)))
    return get_model("ManagedCluster")(**{k: v for k, v in cluster.items() if v is not None})


def request_body(model):
    """The JSON body the SDK sends for a model (read-only properties left out)."""
    return model.as_dict(exclude_readonly=True)
