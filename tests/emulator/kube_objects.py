# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Kubernetes objects as an AKS cluster's API server lists them, for seeding the emulator and for tests.

Each builder returns whole objects (metadata with uid, labels, annotations and managedFields; spec;
status), the way `kubectl get -o json` shows them, so that whatever reads them meets the fields it
does not need too. A family (`deployment`, `statefulset`, `daemonset`) returns its controller(s)
and pods, placed on the nodes given, as a {resource: [objects]} that `merge` adds up into a seed.
`bench_cluster` builds the issue's bench cluster: 5,000 pods and 200 budgets.
"""
import hashlib
import uuid

CREATED = "2026-05-04T09:12:44Z"
UBUNTU_IMAGE = "AKSUbuntu-2204gen2containerd-202605.02.0"


def _uid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _hash(text):
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _meta(kind, name, namespace=None, labels=None, owner=None, annotations=None):
    meta = {"name": name, "uid": _uid(kind, namespace or "", name), "resourceVersion": "1",
            "creationTimestamp": CREATED, "labels": dict(labels or {}),
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                               "time": CREATED, "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}, "f:spec": {}}}]}
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    if owner:
        meta["ownerReferences"] = [{"apiVersion": owner[0], "kind": owner[1], "name": owner[2],
                                    "uid": _uid(owner[1], namespace or "", owner[2]), "controller": True,
                                    "blockOwnerDeletion": True}]
    return meta


def node(name, pool, os_sku="Ubuntu", effective="Ubuntu2204", image=UBUNTU_IMAGE, labels=None, version="1.33.5"):
    """A node of an AKS pool, with the labels AKS puts on it."""
    node_labels = {"agentpool": pool, "kubernetes.azure.com/agentpool": pool, "kubernetes.io/os": "linux",
                   "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.azure.com/mode": "user",
                   "kubernetes.azure.com/os-sku": os_sku, "kubernetes.azure.com/os-sku-effective": effective,
                   "kubernetes.azure.com/os-sku-requested": os_sku, "kubernetes.azure.com/node-image-version": image,
                   "kubernetes.azure.com/cluster": "MC_rg_cluster_eastus", "kubernetes.azure.com/role": "agent",
                   "node.kubernetes.io/instance-type": "Standard_D4ds_v5", "topology.kubernetes.io/region": "eastus",
                   "topology.kubernetes.io/zone": "0", "beta.kubernetes.io/os": "linux"}
    node_labels.update(labels or {})
    return {"metadata": _meta("Node", name, labels=node_labels,
                              annotations={"node.alpha.kubernetes.io/ttl": "0",
                                           "volumes.kubernetes.io/controller-managed-attach-detach": "true"}),
            "spec": {"podCIDR": "10.244.0.0/24", "providerID": f"azure:///subscriptions/x/vm/{name}"},
            "status": {"capacity": {"cpu": "4", "memory": "16365880Ki", "pods": "110"},
                       "allocatable": {"cpu": "3860m", "memory": "12880184Ki", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "lastHeartbeatTime": CREATED, "lastTransitionTime": CREATED}],
                       "nodeInfo": {"kubeletVersion": f"v{version}", "osImage": "Ubuntu 22.04.5 LTS",
                                    "containerRuntimeVersion": "containerd://1.7.27-1", "operatingSystem": "linux",
                                    "architecture": "amd64", "kernelVersion": "5.15.0-1089-azure"}}}


def pool_nodes(pool, count, **options):
    """`count` nodes named as AKS names a scale set's nodes."""
    return [node(f"aks-{pool}-{12345678 + len(pool)}-vmss{i:06d}", pool, **options) for i in range(count)]


def pod_spec(node_selector=None, required_terms=None, host_paths=(), image="mcr.microsoft.com/app:1.0"):
    """A pod spec: one container, a service account token volume, and the placement and host paths asked for."""
    spec = {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                          "limits": {"memory": "256Mi"}},
                            "env": [{"name": "LOG_LEVEL", "value": "info"}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
                            "volumeMounts": [{"name": "kube-api-access", "readOnly": True,
                                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                            "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent"}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "schedulerName": "default-scheduler",
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {
                "expirationSeconds": 3607, "path": "token"}}], "defaultMode": 420}}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}]}
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    if required_terms:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": required_terms}}}
    for index, path in enumerate(host_paths):
        spec["volumes"].append({"name": f"host-{index}", "hostPath": {"path": path, "type": ""}})
    return spec


def pod(namespace, name, node_name, spec=None, labels=None, owner=None, phase="Running", ready=True):
    spec = dict(spec or pod_spec(), nodeName=node_name)
    conditions = [{"type": t, "status": "True" if ready or t == "PodScheduled" else "False",
                   "lastTransitionTime": CREATED} for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    status = {"phase": phase, "hostIP": "10.224.0.4", "podIP": "10.244.1.7", "startTime": CREATED,
              "qosClass": "Burstable", "conditions": conditions,
              "containerStatuses": [{"name": "app", "ready": ready, "restartCount": 0, "started": ready,
                                     "image": "mcr.microsoft.com/app:1.0", "imageID": "sha256:" + _hash(name) * 6,
                                     "containerID": "containerd://" + _hash(name + "c") * 6,
                                     "state": {"running": {"startedAt": CREATED}}}]}
    return {"metadata": _meta("Pod", name, namespace, labels, owner), "spec": spec, "status": status}


def _spread(nodes, count, offset=0):
    return [nodes[(offset + i) % len(nodes)]["metadata"]["name"] for i in range(count)] if nodes else [None] * count


def deployment(namespace, name, nodes, replicas=2, spec=None, ready=None, offset=0):
    """A Deployment, its current ReplicaSet and its pods (the first `ready` of them ready; all by default)."""
    labels = {"app": name}
    template_hash = _hash(namespace + name)[:9]
    spec = spec or pod_spec()
    ready = replicas if ready is None else ready
    template = {"metadata": {"labels": labels}, "spec": spec}
    deploy = {"metadata": _meta("Deployment", name, namespace, labels,
                                annotations={"deployment.kubernetes.io/revision": "1"}),
              "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template,
                       "strategy": {"type": "RollingUpdate"}, "revisionHistoryLimit": 10},
              "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}}
    rs_name = f"{name}-{template_hash}"
    rs_labels = dict(labels, **{"pod-template-hash": template_hash})
    replica_set = {"metadata": _meta("ReplicaSet", rs_name, namespace, rs_labels,
                                     ("apps/v1", "Deployment", name)),
                   "spec": {"replicas": replicas, "selector": {"matchLabels": rs_labels},
                            "template": {"metadata": {"labels": rs_labels}, "spec": spec}},
                   "status": {"replicas": replicas, "readyReplicas": ready}}
    pods = [pod(namespace, f"{rs_name}-{_hash(rs_name + str(i))[:5]}", node_name, spec, rs_labels,
                ("apps/v1", "ReplicaSet", rs_name), ready=i < ready)
            for i, node_name in enumerate(_spread(nodes, replicas, offset))]
    return {"deployments": [deploy], "replicasets": [replica_set], "pods": pods}


def old_replica_set(namespace, deployment_name, revision):
    """A revision a Deployment keeps for rollbacks: scaled to zero, no pods."""
    rs_name = f"{deployment_name}-old{revision}"
    return {"metadata": _meta("ReplicaSet", rs_name, namespace, {"app": deployment_name},
                              ("apps/v1", "Deployment", deployment_name)),
            "spec": {"replicas": 0, "template": {"metadata": {}, "spec": pod_spec()}}, "status": {"replicas": 0}}


def statefulset(namespace, name, nodes, replicas=3, spec=None, offset=0):
    labels = {"app": name}
    spec = spec or pod_spec()
    controller = {"metadata": _meta("StatefulSet", name, namespace, labels),
                  "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": labels},
                           "template": {"metadata": {"labels": labels}, "spec": spec}},
                  "status": {"replicas": replicas, "readyReplicas": replicas}}
    pods = [pod(namespace, f"{name}-{i}", node_name, spec, dict(labels, **{"apps.kubernetes.io/pod-index": str(i)}),
                ("apps/v1", "StatefulSet", name))
            for i, node_name in enumerate(_spread(nodes, replicas, offset))]
    return {"statefulsets": [controller], "pods": pods}


def daemonset(namespace, name, nodes, spec=None, runs_on=None):
    """A DaemonSet and a pod on each node it runs on (all `nodes` unless `runs_on`), each pinned by the controller to
    its node with a matchFields term, as the DaemonSet controller does."""
    labels = {"app": name}
    spec = spec or pod_spec()
    controller = {"metadata": _meta("DaemonSet", name, namespace, labels),
                  "spec": {"selector": {"matchLabels": labels},
                           "template": {"metadata": {"labels": labels}, "spec": spec}},
                  "status": {"desiredNumberScheduled": len(nodes), "numberReady": len(nodes)}}
    pods = []
    for item in runs_on if runs_on is not None else nodes:
        node_name = item["metadata"]["name"]
        pinned = dict(spec, affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                    "values": [node_name]}]}]}}})
        pods.append(pod(namespace, f"{name}-{_hash(node_name)[:5]}", node_name, pinned, labels,
                        ("apps/v1", "DaemonSet", name)))
    return {"daemonsets": [controller], "pods": pods}


def budget(namespace, name, selector, expected, healthy=None, min_available=None, max_unavailable=None,
           unhealthy_pod_eviction_policy=None):
    """A PodDisruptionBudget with the status the disruption controller computes: percentages round up."""
    healthy = expected if healthy is None else healthy

    def scaled(value):
        if isinstance(value, str) and value.endswith("%"):
            return (int(value[:-1]) * expected + 99) // 100
        return int(value)

    if min_available is not None:
        desired = scaled(min_available)
        spec = {"minAvailable": min_available}
    else:
        desired = expected - scaled(0 if max_unavailable is None else max_unavailable)
        spec = {"maxUnavailable": 0 if max_unavailable is None else max_unavailable}
    spec["selector"] = selector
    if unhealthy_pod_eviction_policy:
        spec["unhealthyPodEvictionPolicy"] = unhealthy_pod_eviction_policy
    return {"metadata": _meta("PodDisruptionBudget", name, namespace),
            "spec": spec,
            "status": {"observedGeneration": 1, "expectedPods": expected, "currentHealthy": healthy,
                       "desiredHealthy": max(desired, 0), "disruptionsAllowed": max(healthy - desired, 0),
                       "conditions": [{"type": "DisruptionAllowed", "status": "True" if healthy > desired else "False",
                                       "reason": "SufficientPods" if healthy > desired else "InsufficientPods",
                                       "lastTransitionTime": CREATED}]}}


def merge(*families):
    """Families ({resource: [objects]}) added up into one seed's objects."""
    merged = {}
    for family in families:
        for resource, items in family.items():
            merged.setdefault(resource, []).extend(items)
    return merged


def bench_cluster(pods=5000, budgets=200, pools=("system", "user1", "user2"), nodes_per_pool=20):
    """The issue's bench cluster: `pods` pods (DaemonSets on every node, StatefulSets, and Deployments of 5 for the
    rest, each with an old ReplicaSet), `budgets` budgets over the first Deployments (a few allowing no disruption
    now), and a handful of workloads pinned to Ubuntu."""
    nodes = [n for p in pools for n in pool_nodes(p, nodes_per_pool)]
    families = [{"nodes": nodes}]
    for index in range(3):
        families.append(daemonset("kube-system", f"agent-{index}", nodes))
    families += [statefulset("data", f"db-{i}", nodes, replicas=5, offset=i) for i in range(20)]
    left = pods - 3 * len(nodes) - 100
    pinned = pod_spec(node_selector={"kubernetes.azure.com/os-sku-effective": "Ubuntu2204"})
    for index in range(left // 5):
        spec = pinned if index % 97 == 0 else None
        ready = 4 if index % 50 == 1 else None
        families.append(deployment(f"team-{index % 40}", f"svc-{index}", nodes, replicas=5, spec=spec, ready=ready,
                                   offset=index))
        families.append({"replicasets": [old_replica_set(f"team-{index % 40}", f"svc-{index}", 1)]})
        if index < budgets:
            families.append({"poddisruptionbudgets": [budget(f"team-{index % 40}", f"svc-{index}",
                                                             {"matchLabels": {"app": f"svc-{index}"}}, 5,
                                                             healthy=ready, min_available=4)]})
    seed = merge(*families)
    missing = pods - len(seed["pods"])
    seed["pods"] += [pod("default", f"debug-{i}", nodes[i % len(nodes)]["metadata"]["name"]) for i in range(missing)]
    return seed
