# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""What the workloads of a cluster mean for moving a pool to Azure Linux, pure.

A snapshot (what `kube.read_workloads` returns: Kubernetes objects as the API lists them, trimmed)
in, findings out, in the shape of the plans' other findings:

    {"rule", "severity": "error" | "warning", "subject": "workload", "value": "Kind/namespace/name",
     "message", "source": None, "date": None}

`cluster_blockers(snapshot)`: budgets AKS refuses before any drain (UnsatisfiablePDB), cluster-wide,
whatever pool the operation is on and whatever --undrainable-node-behavior says; the caller adds
them to every plan that drains nodes (in place, and the old pool's delete in a new-pool migration).
`analyse(...)`: one pool's findings: budgets that allow no disruption now over pods on the pool,
workloads whose required placement the new OS (or, for a new pool, the new pool's name) will not
match, bare pods, and host paths that exist only on Ubuntu. A budget that `cluster_blockers`
reports is not reported again here. Rules with no data (a list that could not be read) stay quiet.
"""
from azext_azurelinux.workloads.objects import (ClusterView, controller, evicted_by_drain,
                                                evicted_regardless_of_budgets, is_ready, name_of)
from azext_azurelinux.workloads.selectors import describe, misfits

ERROR, WARNING = "error", "warning"
IN_PLACE, NEW_POOL = "in-place", "new-pool"
OS_SKU = "kubernetes.azure.com/os-sku"
OS_SKU_EFFECTIVE = "kubernetes.azure.com/os-sku-effective"
OS_SKU_REQUESTED = "kubernetes.azure.com/os-sku-requested"
NODE_IMAGE = "kubernetes.azure.com/node-image-version"
OS_LABELS = (OS_SKU, OS_SKU_EFFECTIVE, OS_SKU_REQUESTED, NODE_IMAGE)
POOL_NAME_LABELS = ("agentpool", "kubernetes.azure.com/agentpool")
NOT_THE_TARGET_IMAGES = ("AKSUbuntu", "AKSWindows")
# Paths a Ubuntu node has and an Azure Linux node does not, and what Azure Linux has instead
UBUNTU_PATHS = {
    "/etc/apt": "tdnf, no apt", "/var/lib/apt": "tdnf, no apt", "/var/cache/apt": "tdnf, no apt",
    "/var/lib/dpkg": "rpm, no dpkg", "/var/log/syslog": "/var/log/messages",
    "/usr/lib/x86_64-linux-gnu": "/usr/lib64", "/lib/x86_64-linux-gnu": "/usr/lib64",
    "/usr/lib/aarch64-linux-gnu": "/usr/lib64", "/lib/aarch64-linux-gnu": "/usr/lib64",
    "/etc/netplan": "no netplan"}


def finding(rule, severity, value, message):
    return {"rule": rule, "severity": severity, "subject": "workload", "value": value, "message": message,
            "source": None, "date": None}


# ---- the target's node labels ------------------------------------------------------------
def _minor(version):
    try:
        major, minor = str(version).split(".")[:2]
        return int(major), int(minor)
    except (TypeError, ValueError):
        return None


def target_labels(target_os_sku, kubernetes_version):
    """The OS labels a node of the target carries: {label: value}, a value None where it is one of several.

    `AzureLinux` is Azure Linux 2.0 before Kubernetes 1.32 and 3.0 from it; `AzureLinux3` always 3.0."""
    sku = target_os_sku or "AzureLinux"
    if sku in ("AzureLinux", "AzureLinux3"):
        minor = _minor(kubernetes_version)
        if sku == "AzureLinux3" or (minor is not None and minor >= (1, 32)):
            effective = "AzureLinux3"
        else:
            effective = "AzureLinux2" if minor is not None else None
        return {OS_SKU: "AzureLinux", OS_SKU_EFFECTIVE: effective, OS_SKU_REQUESTED: sku}
    return {OS_SKU: sku, OS_SKU_EFFECTIVE: sku, OS_SKU_REQUESTED: sku}


def _target_words(sku, target):
    effective = target[OS_SKU_EFFECTIVE] or "AzureLinux2 or AzureLinux3"
    return f"{sku} (os-sku {target[OS_SKU]}, os-sku-effective {effective})"


def labels_after(labels, target, pool, strategy, new_pool_name=None):
    """A node's labels once it runs the target: the OS labels replaced, a new node image (not an Ubuntu one, not the
    current one), and for a new pool its name (or, not known yet, any name but the old pool's)."""
    values = {k: v for k, v in target.items() if v is not None}
    current_image = labels.known.get(NODE_IMAGE)
    unknown = {NODE_IMAGE: lambda v: v != current_image and not str(v).startswith(NOT_THE_TARGET_IMAGES)}
    if target[OS_SKU_EFFECTIVE] is None:
        unknown[OS_SKU_EFFECTIVE] = lambda v: v in ("AzureLinux2", "AzureLinux3")
    if strategy == NEW_POOL:
        if new_pool_name:
            values.update({k: new_pool_name for k in POOL_NAME_LABELS})
        else:
            unknown.update({k: (lambda v: v != pool) for k in POOL_NAME_LABELS})
    return labels.changed(values, unknown)


# ---- pod disruption budgets --------------------------------------------------------------
def _scaled(value, expected):
    """An IntOrString of a budget against the pods it expects: percentages round up, as the disruption controller
    counts them. None when it is neither an integer nor a percentage."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%") and text[:-1].isdigit():
        return (int(text[:-1]) * expected + 99) // 100
    return int(text) if text.isdigit() else None


def unsatisfiable(budget):
    """Why AKS refuses a budget up front (UnsatisfiablePDB), or None."""
    spec, status = budget.get("spec") or {}, budget.get("status") or {}
    if "maxUnavailable" in spec and _scaled(spec["maxUnavailable"], 1) == 0:
        return f"maxUnavailable {spec['maxUnavailable']}"
    expected = status.get("expectedPods")
    if "minAvailable" in spec and isinstance(expected, int) and expected >= 1:
        wanted = _scaled(spec["minAvailable"], expected)
        if wanted is not None and wanted >= expected:
            rounded = " rounded up" if str(spec["minAvailable"]).endswith("%") else ""
            return (f"minAvailable {spec['minAvailable']} ({wanted} pod(s){rounded}) >= the {expected} pod(s) it "
                    "expects")
    return None


def cluster_blockers(snapshot):
    """Budgets AKS refuses before it drains anything, anywhere in the cluster (UnsatisfiablePDB): errors that
    --undrainable-node-behavior Cordon does not waive, for every plan that drains nodes."""
    view = snapshot if isinstance(snapshot, ClusterView) else ClusterView(snapshot)
    found = []
    for budget in view.budgets:
        why = unsatisfiable(budget)
        if why is None:
            continue
        namespace, name = name_of(budget)
        fix = ("set maxUnavailable to 1 or more" if why.startswith("maxUnavailable") else
               "lower minAvailable below the pods it expects or use maxUnavailable: 1, scale the workload out")
        found.append(finding(
            "workload-pdb-unsatisfiable", ERROR, f"PodDisruptionBudget/{namespace}/{name}",
            f"PodDisruptionBudget {namespace}/{name} has {why}, so AKS refuses every operation that drains nodes in "
            "this cluster (UnsatisfiablePDB), this migration included, before it starts and whatever "
            f"--undrainable-node-behavior says; {fix}, or delete the budget for the migration."))
    return found


def _health(status):
    parts = [f"{status[k]} {w}" for k, w in (("currentHealthy", "healthy"), ("desiredHealthy", "desired"),
                                             ("expectedPods", "expected")) if k in status]
    return f" ({', '.join(parts)})" if parts else ""


def _refuses(budget, pod):
    """Whether the eviction API refuses the pod for its one budget, which allows 0 disruptions now (kube-apiserver's
    eviction.go): a ready pod always; an unready one unless the budget's unhealthyPodEvictionPolicy is AlwaysAllow
    or its healthy pods meet the desired ones (IfHealthyBudget, the default)."""
    if is_ready(pod):
        return True
    spec, status = budget.get("spec") or {}, budget.get("status") or {}
    if spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
        return False
    desired, healthy = status.get("desiredHealthy"), status.get("currentHealthy") or 0
    return not (isinstance(desired, int) and 0 < desired <= healthy)


def _drain_blockers(view, pods, pool, strategy, cordon):
    """The budgets that make the drain fail on this pool: pods selected by more than one budget (the eviction API
    refuses them whatever the budgets allow), and budgets that allow no disruption now over pods they guard."""
    refused, overlapping = {}, {}
    for pod in pods:
        if not evicted_by_drain(pod) or evicted_regardless_of_budgets(pod):
            continue
        budgets = view.budgets_of(pod)
        if len(budgets) > 1:
            overlapping.setdefault(tuple(name_of(b) for b in budgets), []).append(pod)
        elif budgets and (budgets[0].get("status") or {}).get("disruptionsAllowed") == 0 and \
                unsatisfiable(budgets[0]) is None and _refuses(budgets[0], pod):
            refused.setdefault(name_of(budgets[0]), (budgets[0], []))[1].append(pod)
    drain = "the drain of the old pool's delete" if strategy == NEW_POOL else "the drain of the in-place OS change"
    fails = f"so {drain} would fail after drainTimeoutInMinutes (UpgradeFailed) and leave the pool Failed"
    cordoned = ("with --undrainable-node-behavior Cordon AKS cordons the nodes it cannot drain (label "
                "kubernetes.azure.com/upgrade-status=Quarantined) and carries on, leaving them on the old OS")
    found = []
    for names, guarded in sorted(overlapping.items()):
        budgets = ", ".join(f"{namespace}/{name}" for namespace, name in names)
        pods_named = ", ".join(name_of(p)[1] for p in guarded[:3]) + (" ..." if len(guarded) > 3 else "")
        what = (f"{len(guarded)} pod(s) on pool {pool} ({pods_named}) are selected by more than one "
                f"PodDisruptionBudget ({budgets}), and the eviction API refuses such a pod whatever the budgets "
                "allow (500: This pod has more than one PodDisruptionBudget)")
        fix = "make the budgets' selectors disjoint or delete all but one"
        message = (f"{what}: {cordoned}; {fix}, then migrate again to finish them." if cordon else
                   f"{what}, {fails}; {fix}, or give --undrainable-node-behavior Cordon.")
        found.append(finding("workload-pdb-overlap", WARNING if cordon else ERROR,
                             ", ".join(f"PodDisruptionBudget/{n}/{b}" for n, b in names), message))
    for (namespace, name), (budget, guarded) in sorted(refused.items(), key=lambda entry: entry[0]):
        what = (f"PodDisruptionBudget {namespace}/{name} allows 0 disruptions now{_health(budget.get('status') or {})}"
                f" and guards {len(guarded)} pod(s) on pool {pool} that it will not let the drain evict")
        if cordon:
            message = (f"{what}: {cordoned}; fix the budget or wait until its pods are ready, then migrate again "
                       "to finish them.")
        else:
            message = (f"{what}, {fails}; give --undrainable-node-behavior Cordon, fix the budget (a lower "
                       "minAvailable, a higher maxUnavailable, or unhealthyPodEvictionPolicy AlwaysAllow), or wait "
                       "until its pods are ready.")
        found.append(finding("workload-pdb-blocks-drain", WARNING if cordon else ERROR,
                             f"PodDisruptionBudget/{namespace}/{name}", message))
    return found


# ---- workloads on the pool ---------------------------------------------------------------
def workloads_on(view, pods):
    """The Workloads the pool's pods belong to, each once, with how many of its pods the pool runs (static pods of
    the nodes themselves left out)."""
    found, by_owner = {}, {}  # by_owner: a pod's controller (or the bare pod) -> its Workload, resolved once
    for pod in pods:
        owner = controller(pod)
        if owner is None:
            key = ("Pod",) + name_of(pod)
        elif owner.get("kind") == "Node":
            continue
        else:
            key = (owner.get("kind"), name_of(pod)[0], owner.get("name"))
        workload = by_owner.get(key)
        if workload is None:
            workload = view.workload_of(pod)
            workload = by_owner[key] = found.setdefault(workload.value, workload)
        workload.pods += 1
    return [found[k] for k in sorted(found)]


def _placement(view, workload, context):
    """A finding for a workload whose required placement the pool's nodes will not match after the change."""
    pool, strategy, target, words = context["pool"], context["strategy"], context["target"], context["words"]
    after = labels_after(view.node_labels(workload.node), target, pool, strategy, context["new_pool_name"])
    changed = OS_LABELS + (POOL_NAME_LABELS if strategy == NEW_POOL else ())
    failing = [r for r in misfits(workload.spec, after) if r.key in changed]
    if not failing:
        return None
    terms = describe(failing)
    who = f"{workload.kind} {workload.namespace}/{workload.name}"
    daemon = workload.kind == "DaemonSet"
    if any(r.key in OS_LABELS for r in failing):
        rule = "workload-daemonset-os-selector" if daemon else "workload-os-selector"
        if daemon:
            return finding(rule, ERROR, workload.value,
                           f"{who}, which runs on {workload.pods} of the pool's nodes today, requires {terms}, so it "
                           f"would stop running on pool {pool} once its nodes run {words}; allow the new value in its "
                           "selector or remove the OS pin before migrating.")
        return finding(rule, ERROR, workload.value,
                       f"{who} requires {terms}, which the nodes of pool {pool} will not match once they run {words}, "
                       f"so its {workload.pods} pod(s) there would stay Pending after the drain; allow the new value "
                       "in the selector, remove the OS pin, or move the workload to another pool first.")
    rule = "workload-daemonset-pool-selector" if daemon else "workload-pool-selector"
    effect = (f"it would stop running on the {workload.pods} node(s) it runs on there" if daemon else
              f"its {workload.pods} pod(s) there would stay Pending")
    return finding(rule, ERROR, workload.value,
                   f"{who} requires {terms}, naming pool {pool}, which a new-pool migration replaces and deletes, so "
                   f"{effect} once it is gone; select a label the new pool carries too (nodepool add --labels), add "
                   "the new pool's name to the selector first, or use --strategy in-place.")


def _host_paths(workload, pool, words):
    """A warning for a workload that mounts host paths only Ubuntu has."""
    found = []
    for volume in (workload.spec or {}).get("volumes") or []:
        path = ((volume.get("hostPath") or {}).get("path") or "").rstrip("/") or "/"
        ubuntu = next((p for p in UBUNTU_PATHS if path == p or path.startswith(p + "/")), None)
        if ubuntu:
            found.append(f"{path} (Azure Linux: {UBUNTU_PATHS[ubuntu]})")
    if not found:
        return None
    return finding("workload-ubuntu-host-path", WARNING, workload.value,
                   f"{workload.kind} {workload.namespace}/{workload.name} mounts the Ubuntu-only host path(s) "
                   f"{', '.join(dict.fromkeys(found))}, which the nodes of pool {pool} will not have once they run "
                   f"{words}; check that it works on Azure Linux before migrating.")


def _bare_pod(workload, pool):
    return finding("workload-bare-pod", WARNING, workload.value,
                   f"Pod {workload.namespace}/{workload.name} on node {workload.node} of pool {pool} has no "
                   "controller, so the drain deletes it and nothing recreates it; run it under a Deployment, "
                   "StatefulSet or Job, or be ready to recreate it after the migration.")


def analyse(snapshot, pool_name, target_os_sku, kubernetes_version, strategy, cordon, new_pool_name=None):
    """The findings of one pool that a migration would drain, as a list of dicts (errors refuse the pool).

    `snapshot`: what `kube.read_workloads` returns (or a `ClusterView` of it, to index a cluster once for many
    pools). `strategy`: "in-place" or "new-pool". `cordon`: --undrainable-node-behavior Cordon was given.
    `new_pool_name`: the replacement's name where known. The cluster-wide `cluster_blockers` are not repeated."""
    view = snapshot if isinstance(snapshot, ClusterView) else ClusterView(snapshot)
    pods = view.pods_on(pool_name)
    if not pods:
        return []
    target = target_labels(target_os_sku, kubernetes_version)
    words = _target_words(target_os_sku or "AzureLinux", target)
    context = {"pool": pool_name, "strategy": strategy, "target": target, "words": words,
               "new_pool_name": new_pool_name}
    findings = _drain_blockers(view, pods, pool_name, strategy, cordon)
    for workload in workloads_on(view, pods):
        if workload.kind == "Pod":
            findings.append(_bare_pod(workload, pool_name))
        findings.append(_placement(view, workload, context))
        findings.append(_host_paths(workload, pool_name, words))
    return [f for f in findings if f is not None]
