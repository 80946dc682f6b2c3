# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The one shape a node pool has inside the extension (a "view"), and what can be read off it. Pure.

A view is plain REST-shaped data, as the service returns a pool:

    {"name": "np1", "etag": "...", "provisioningState": "Succeeded", "kubernetesVersion": "1.33.5",
     "body": {"properties": {... writable properties, tags included ...}}}

It is built from an SDK agent pool (`from_agent_pool`), from a cluster's pool profile (`from_profile`), or
from the JSON of a pool profile as ARM and Resource Graph list it (`from_rest`); the planner, the preflight,
the inventory and the commands all read it through the functions below, so they never disagree.
"""
from azext_azurelinux.builders import request_body
from azext_azurelinux.findings import WARNING

TERMINAL_STATES = ("Succeeded", "Failed", "Canceled")


def from_agent_pool(pool):
    """A view of an SDK `AgentPool` (agent_pools.get / list)."""
    return {"name": pool.name, "etag": pool.e_tag, "provisioningState": pool.provisioning_state,
            "kubernetesVersion": pool.current_orchestrator_version or pool.orchestrator_version,
            "body": request_body(pool)}


def from_profile(profile):
    """A view of an SDK `ManagedClusterAgentPoolProfile` (a pool inside the cluster read)."""
    props = request_body(profile)
    props.pop("name", None)
    return {"name": profile.name, "etag": profile.e_tag, "provisioningState": profile.provisioning_state,
            "kubernetesVersion": profile.current_orchestrator_version or profile.orchestrator_version,
            "body": {"properties": props}}


def from_rest(profile, cluster_version=None):
    """A view of a pool profile's JSON as ARM's cluster listing and Resource Graph return it (`cluster_version`:
    the cluster's, for a pool that names none)."""
    return {"name": profile.get("name"), "etag": profile.get("eTag"),
            "provisioningState": profile.get("provisioningState"),
            "kubernetesVersion": profile.get("currentOrchestratorVersion") or profile.get("orchestratorVersion")
            or cluster_version,
            "body": {"properties": {k: v for k, v in profile.items() if k != "name"}}}


def properties(view):
    return view["body"].get("properties", {})


def version(view):
    """The pool's Kubernetes version: the one it runs, else the one it asks for."""
    return view.get("kubernetesVersion") or properties(view).get("orchestratorVersion")


def is_linux(props):
    return str(props.get("osType") or "Linux").lower() == "linux"


def os_sku(props):
    """The pool's OS SKU; a Linux pool that names none is on Ubuntu, the service's default."""
    return props.get("osSKU") or ("Ubuntu" if is_linux(props) else props.get("osType"))


def _scale_entries(props):
    scale = (props.get("virtualMachinesProfile") or {}).get("scale") or {}
    for kind in ("manual", "autoscale"):
        entries = scale.get(kind) or []
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict):
                yield entry


def vm_sizes(props):
    """Every VM size a pool holds: `vmSize`, or for a pool of type VirtualMachines the sizes of its
    `virtualMachinesProfile.scale` entries (manual and autoscale)."""
    if props.get("vmSize"):
        return [props["vmSize"]]
    sizes = []
    for entry in _scale_entries(props):
        for size in [entry.get("size")] + list(entry.get("sizes") or []):
            if size and size not in sizes:
                sizes.append(size)
    return sizes


def node_count(props):
    """`count`, or for a pool of type VirtualMachines the sum of its scale entries' counts."""
    if props.get("count") is not None:
        return int(props["count"])
    return sum(int(entry.get("count") or 0) for entry in _scale_entries(props))


def is_busy(view):
    return view.get("provisioningState") not in (None,) + TERMINAL_STATES


def readiness(view, policy):
    """Where a pool stands with Azure Linux under `policy`: {status, reason} with status "on Azure Linux", "can
    migrate" or "blocked"; a pool on Azure Linux adds its azureLinuxVersion, and `retiring` when its Azure Linux is
    retired or its OS SKU is being retired ({rule, date}), so that nobody needs to read it out of the message."""
    props = properties(view)
    sku, at = os_sku(props), version(view)
    if is_linux(props) and policy.is_azure_linux(sku):
        azure_linux = policy.azure_linux_version(sku, at)
        warnings = [f for f in policy.staying_warnings(sku, at) if f.severity == WARNING]
        shown = {"status": "on Azure Linux", "reason": warnings[0].message if warnings else None,
                 "azureLinuxVersion": azure_linux}
        entry = policy.os_sku_entry(sku)
        if azure_linux == "2.0" and entry.get("retired"):
            shown["retiring"] = {"rule": entry["retired"].get("rule"), "date": entry["retired"].get("date")}
        elif entry.get("retiring"):
            shown["retiring"] = {"rule": entry.get("rule"), "date": entry["retiring"].get("date")}
        return shown
    action, findings = policy.check_migration_source(props.get("osType"), sku, vm_sizes(props), "AzureLinux", at)
    if action == "refused":
        return {"status": "blocked", "reason": next(f for f in findings if f.refused).message}
    return {"status": "can migrate", "reason": None}
