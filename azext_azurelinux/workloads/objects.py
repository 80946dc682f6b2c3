# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Kubernetes objects as the analysis sees them, pure.

`trim` keeps, of each object a list returns, only the fields the analysis reads, in the API's own
shape (so the analysis reads trimmed and whole objects alike), and drops objects it never needs
(finished pods, ReplicaSets scaled to nothing). Nodes and ReplicaSets may come as metadata only
(PartialObjectMetadata): a ReplicaSet without its template lets its pods stand for it.
`ClusterView` indexes a snapshot once: which pool runs each node, who controls each pod (Pod ->
ReplicaSet -> Deployment, StatefulSet, DaemonSet, or the pod's own spec for any other controller
or none), and which pods each pool runs.
"""
import re

from azext_azurelinux.workloads.selectors import NodeLabels, selects

RESOURCES = ("nodes", "pods", "poddisruptionbudgets", "daemonsets", "deployments", "statefulsets", "replicasets")
POOL_LABELS = ("kubernetes.azure.com/agentpool", "agentpool")
# AKS names a node aks-<pool>-<8 digits>-vmss<6 base-36 characters> (scale sets) or aks-<pool>-<8 digits>-<n>
AKS_NODE_NAME = re.compile(r"^aks-([a-z][a-z0-9]{0,11})-\d{8}-(?:vmss[0-9a-z]{6}|\d+)$")
FINISHED_PHASES = ("Succeeded", "Failed")
TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
NOT_EVICTED_OWNERS = ("DaemonSet", "Node")  # a drain leaves DaemonSet pods; a Node owns its static (mirror) pods


def _metadata(item, labels=True, owners=False):
    meta = item.get("metadata") or {}
    kept = {"name": meta.get("name")}
    namespace = meta.get("namespace")
    if namespace:
        kept["namespace"] = namespace
    found = meta.get("labels") if labels else None
    if found:
        kept["labels"] = found  # the decoded mapping itself, not a copy: nothing else holds or changes it
    found = meta.get("ownerReferences") if owners else None
    if found:
        kept["ownerReferences"] = [{"kind": o.get("kind"), "name": o.get("name"), "controller": o.get("controller")}
                                   for o in found]
    return kept


def _pod_spec(spec, node=False):
    """The parts of a pod spec the rules read: where it may run, and the host paths it mounts."""
    spec = spec or {}
    kept = {}
    if node and spec.get("nodeName"):
        kept["nodeName"] = spec["nodeName"]
    if spec.get("nodeSelector"):
        kept["nodeSelector"] = dict(spec["nodeSelector"])
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required:
        kept["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}
    host_paths = [{"name": v.get("name"), "hostPath": {"path": v["hostPath"].get("path")}}
                  for v in spec.get("volumes") or [] if isinstance(v.get("hostPath"), dict)]
    if host_paths:
        kept["volumes"] = host_paths
    return kept


def _template(item):
    template = ((item.get("spec") or {}).get("template") or {})
    return {"metadata": _metadata(item, labels=False, owners=True),
            "spec": {"template": {"spec": _pod_spec(template.get("spec"))}}}


def _pod(item):
    status = item.get("status") or {}
    phase = status.get("phase")
    if phase in FINISHED_PHASES:
        return None
    kept = {"metadata": _metadata(item, owners=True), "spec": _pod_spec(item.get("spec"), node=True)}
    deleting = (item.get("metadata") or {}).get("deletionTimestamp")
    if deleting:
        kept["metadata"]["deletionTimestamp"] = deleting
    conditions = status.get("conditions")
    if phase or conditions is not None:  # the phase and the Ready condition: what the eviction API reads
        kept["status"] = {"phase": phase}
        if isinstance(conditions, list):
            kept["status"]["conditions"] = [{"type": "Ready", "status": c.get("status")} for c in conditions
                                            if isinstance(c, dict) and c.get("type") == "Ready"]
    return kept


def _budget(item):
    spec, status = item.get("spec") or {}, item.get("status") or {}
    return {"metadata": _metadata(item, labels=False),
            "spec": {k: spec[k] for k in ("minAvailable", "maxUnavailable", "selector", "unhealthyPodEvictionPolicy")
                     if k in spec},
            "status": {k: status[k] for k in ("expectedPods", "disruptionsAllowed", "currentHealthy",
                                              "desiredHealthy") if k in status}}


def _replica_set(item):
    if "spec" not in item:  # listed as metadata only: its owner is what counts, its pods stand for its template
        return {"metadata": _metadata(item, labels=False, owners=True)}
    replicas = [(item.get("spec") or {}).get("replicas"), (item.get("status") or {}).get("replicas")]
    if all(r == 0 for r in replicas):  # an old revision a Deployment keeps for rollbacks: no pod points at it
        return None
    return _template(item)


TRIM = {"nodes": lambda item: {"metadata": _metadata(item)}, "pods": _pod, "poddisruptionbudgets": _budget,
        "daemonsets": _template, "deployments": _template, "statefulsets": _template, "replicasets": _replica_set}


def trim(resource, item):
    """The fields of one listed object that the analysis reads, in the API's shape; None when it needs none."""
    return TRIM[resource](item or {})


def controller(item):
    """The ownerReference that controls an object (controller: true, else the first), or None."""
    owners = (item.get("metadata") or {}).get("ownerReferences")
    if not owners:
        return None
    for owner in owners:  # a loop, not next(generator): called for every pod, several times
        if owner.get("controller"):
            return owner
    return owners[0]


def name_of(item):
    meta = item.get("metadata") or {}
    return meta.get("namespace"), meta.get("name")


def pool_from_node_name(name):
    """The pool an AKS node name says it belongs to (aks-<pool>-<digits>-vmss...), or None."""
    match = AKS_NODE_NAME.match(name or "")
    return match.group(1) if match else None


class Workload:  # pylint: disable=too-few-public-methods
    """What a pod on the pool belongs to, as the findings name it, and the pod spec that stands for it."""

    __slots__ = ("kind", "namespace", "name", "spec", "pods", "node")

    def __init__(self, kind, namespace, name, spec, node):
        self.kind, self.namespace, self.name, self.spec, self.node = kind, namespace, name, spec, node
        self.pods = 0

    @property
    def value(self):
        return f"{self.kind}/{self.namespace}/{self.name}"


class ClusterView:
    """A snapshot indexed once: nodes by name, controllers by kind and name, so that each pool is cheap to judge."""

    def __init__(self, snapshot):
        self.snapshot = snapshot
        self.nodes = {n["metadata"]["name"]: n for n in snapshot.get("nodes") or []}
        self.controllers = {}
        for resource, kind in (("deployments", "Deployment"), ("statefulsets", "StatefulSet"),
                               ("daemonsets", "DaemonSet"), ("replicasets", "ReplicaSet")):
            for item in snapshot.get(resource) or []:
                self.controllers[(kind,) + name_of(item)] = item
        self.pods = snapshot.get("pods") or []
        self.budgets = snapshot.get("poddisruptionbudgets") or []
        self._by_pool, self._budgets_of = None, None

    def pool_of(self, node_name):
        node = self.nodes.get(node_name)
        if node is None:
            return pool_from_node_name(node_name)
        labels = node["metadata"].get("labels") or {}
        return next((labels[k] for k in POOL_LABELS if labels.get(k)), None) or pool_from_node_name(node_name)

    def node_labels(self, node_name):
        """The labels of a node as read, or unread labels (a node not listed, or nodes not readable)."""
        node = self.nodes.get(node_name)
        if node is None:
            return NodeLabels(unread=True)
        return NodeLabels(node["metadata"].get("labels") or {})

    def pods_on(self, pool):
        """The pods (not finished) on the pool's nodes."""
        if self._by_pool is None:
            pools, self._by_pool = {}, {}
            for pod in self.pods:
                node = (pod.get("spec") or {}).get("nodeName")
                if node not in pools:
                    pools[node] = self.pool_of(node)
                self._by_pool.setdefault(pools[node], []).append(pod)
        return self._by_pool.get(pool, [])

    def budgets_of(self, pod):
        """The budgets that select the pod (the eviction API asks every budget of its namespace)."""
        if self._budgets_of is None:
            self._budgets_of = self._index_budgets()
        return self._budgets_of.get(id(pod), ())

    def _index_budgets(self):
        """{id(pod): [budgets that select it]}, once per view: a budget with matchLabels looks only at the pods
        that carry its first label, not at every pod of its namespace; only the labels some budget starts with
        are indexed, and only in the namespaces that have a budget."""
        budgets, first_keys, whole = [], {}, set()  # whole: namespaces with a budget that has no first label
        for budget in self.budgets:
            namespace = name_of(budget)[0]
            selector = (budget.get("spec") or {}).get("selector")
            if not isinstance(selector, dict):
                continue  # a null selector selects nothing
            first = next(iter((selector.get("matchLabels") or {}).items()), None)
            if first and isinstance(first[1], str):
                first_keys.setdefault(namespace, set()).add(first[0])
            else:
                first = None
                whole.add(namespace)
            budgets.append((budget, namespace, selector, first))
        by_label, by_namespace = {}, {}
        for pod in self.pods:
            meta = pod.get("metadata") or {}
            namespace = meta.get("namespace")
            if namespace in whole:
                by_namespace.setdefault(namespace, []).append(pod)
            keys = first_keys.get(namespace)
            labels = meta.get("labels") if keys else None
            if labels:
                for key in keys:
                    value = labels.get(key)
                    if isinstance(value, str):
                        by_label.setdefault((namespace, key, value), []).append(pod)
        found = {}
        for budget, namespace, selector, first in budgets:
            candidates = by_label.get((namespace,) + first, ()) if first else by_namespace.get(namespace, ())
            for pod in candidates:
                if selects(selector, (pod.get("metadata") or {}).get("labels")):
                    found.setdefault(id(pod), []).append(budget)
        return found

    def workload_of(self, pod):
        """The Workload a pod stands for: its controller's template where it was read, else the pod's own spec."""
        namespace, name = name_of(pod)
        node = (pod.get("spec") or {}).get("nodeName")
        owner = controller(pod)
        if owner is None:
            return Workload("Pod", namespace, name, pod.get("spec"), node)
        kind, owner_name = owner.get("kind"), owner.get("name")
        found = self.controllers.get((kind, namespace, owner_name)) if kind in TEMPLATE_KINDS else None
        if found is None:
            return Workload(kind, namespace, owner_name, pod.get("spec"), node)
        template = (found.get("spec") or {}).get("template")
        spec = template.get("spec") if template is not None else pod.get("spec")
        parent = controller(found) if kind == "ReplicaSet" else None
        if parent is not None and parent.get("kind") == "Deployment":
            deployment = self.controllers.get(("Deployment", namespace, parent.get("name")))
            if deployment is not None:
                spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec")
            return Workload("Deployment", namespace, parent.get("name"), spec, node)
        return Workload(kind, namespace, owner_name, spec, node)


def evicted_regardless_of_budgets(pod):
    """Whether the eviction API deletes the pod without asking any budget: Pending, or already being deleted
    (kube-apiserver's canIgnorePDB; finished pods are not listed)."""
    return (pod.get("status") or {}).get("phase") == "Pending" or \
        bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_ready(pod):
    """The pod's Ready condition, as the eviction API reads health; a pod whose conditions were not read counts as
    ready (the stricter case)."""
    status = pod.get("status")
    if not status or "conditions" not in status:
        return True
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status["conditions"])


def evicted_by_drain(pod):
    """Whether a drain evicts this pod (DaemonSet pods and static pods stay where they are)."""
    owner = controller(pod)
    return owner is None or owner.get("kind") not in NOT_EVICTED_OWNERS
