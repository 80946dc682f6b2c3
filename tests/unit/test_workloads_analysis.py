# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The workload analysis, pure: Kubernetes objects as the API lists them in, one pool's findings out."""
import pytest
from hypothesis import given, settings, strategies as st

from azext_azurelinux.workloads import analysis, objects
from tests.emulator import kube_objects as k

NP1 = k.pool_nodes("np1", 3)
OTHER = k.pool_nodes("other", 2)
NODES = NP1 + OTHER


def snapshot(*families, trimmed=True, missing=()):
    """A snapshot as kube.read_workloads returns it: every kind listed, each object trimmed as the reader trims it."""
    merged = k.merge({"nodes": NODES}, *families)
    found = {}
    for resource in objects.RESOURCES:
        if resource in missing:
            found[resource] = []
            continue
        items = merged.get(resource, [])
        found[resource] = [t for t in (objects.trim(resource, i) for i in items) if t is not None] if trimmed \
            else items
    found.update(missing={r: "403" for r in missing}, warnings=[], requests=0, server="https://x")
    return found


def analyse(snap, pool="np1", target="AzureLinux3", version="1.33.5", strategy="in-place", cordon=False, **extra):
    return analysis.analyse(snap, pool, target, version, strategy, cordon, **extra)


def rules(findings):
    return [(f["rule"], f["severity"], f["value"]) for f in findings]


def web(**options):
    return k.deployment("shop", "web", NP1, replicas=3, **options)


def pinned(selector=None, terms=None, host_paths=()):
    return k.pod_spec(node_selector=selector, required_terms=terms, host_paths=host_paths)


def term(*expressions):
    return {"matchExpressions": [{"key": key, "operator": op, "values": list(values)} for key, op, *values in
                                 [(e[0], e[1], *e[2:]) for e in expressions]]}


# ---- budgets AKS refuses up front ---------------------------------------------------------
@pytest.mark.parametrize("spec, expected, refused", [
    ({"max_unavailable": 0}, 3, "maxUnavailable 0"),
    ({"max_unavailable": "0%"}, 3, "maxUnavailable 0%"),
    ({"min_available": 1}, 1, "minAvailable 1 (1 pod(s)) >= the 1 pod(s) it expects"),
    ({"min_available": 3}, 3, "minAvailable 3 (3 pod(s)) >= the 3 pod(s) it expects"),
    ({"min_available": "90%"}, 1, "minAvailable 90% (1 pod(s) rounded up) >= the 1 pod(s) it expects"),
    ({"min_available": "100%"}, 4, "minAvailable 100% (4 pod(s) rounded up)"),
    ({"min_available": 2}, 3, None),
    ({"min_available": "50%"}, 3, None),
    ({"max_unavailable": 1}, 1, None),
    ({"max_unavailable": "10%"}, 3, None),
    ({"min_available": 1}, 0, None),  # it expects no pod: AKS lets it be
])
def test_unsatisfiable_budgets_are_cluster_wide_errors(spec, expected, refused):
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, expected, **spec)
    found = analysis.cluster_blockers(snapshot({"poddisruptionbudgets": [pdb]}))
    if refused is None:
        assert found == []
        return
    [blocker] = found
    assert (blocker["rule"], blocker["severity"], blocker["value"]) == \
        ("workload-pdb-unsatisfiable", "error", "PodDisruptionBudget/shop/web")
    assert refused in blocker["message"] and "shop/web" in blocker["message"]
    assert "UnsatisfiablePDB" in blocker["message"] and "--undrainable-node-behavior" in blocker["message"]


def test_an_unsatisfiable_budget_blocks_pools_that_do_not_run_its_pods_and_is_not_reported_twice():
    elsewhere = k.deployment("shop", "web", OTHER, replicas=1)
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 1, min_available=1)
    snap = snapshot(elsewhere, web(), {"poddisruptionbudgets": [pdb]})
    assert rules(analysis.cluster_blockers(snap)) == [("workload-pdb-unsatisfiable", "error",
                                                       "PodDisruptionBudget/shop/web")]
    assert analyse(snap) == [] and analyse(snap, cordon=True) == []  # its disruptionsAllowed 0 is not said again


def test_finding_shape_is_the_plans_one():
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 1, max_unavailable=0)
    [blocker] = analysis.cluster_blockers(snapshot({"poddisruptionbudgets": [pdb]}))
    assert set(blocker) == {"rule", "severity", "subject", "value", "message", "source", "date"}
    assert blocker["subject"] == "workload" and blocker["source"] is None and blocker["date"] is None


# ---- budgets that allow no disruption now --------------------------------------------------
def test_a_budget_allowing_no_disruption_over_pods_on_the_pool_refuses_it_and_offers_the_ways_out():
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=2, min_available=2)
    [found] = analyse(snapshot(web(ready=2), {"poddisruptionbudgets": [pdb]}))
    assert (found["rule"], found["severity"], found["value"]) == \
        ("workload-pdb-blocks-drain", "error", "PodDisruptionBudget/shop/web")
    message = found["message"]
    for words in ("shop/web", "allows 0 disruptions now (2 healthy, 2 desired, 3 expected)",
                  "guards 2 pod(s) on pool np1 that it will not let the drain evict",  # the unready one it would
                  "UpgradeFailed", "--undrainable-node-behavior Cordon", "fix the budget", "wait until its pods"):
        assert words in message
    assert message.count(".") == 1 and message.endswith(".")


def test_cordon_makes_it_a_warning_that_still_names_the_budget():
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=2, min_available=2)
    [found] = analyse(snapshot(web(ready=2), {"poddisruptionbudgets": [pdb]}), cordon=True)
    assert (found["severity"], found["value"]) == ("warning", "PodDisruptionBudget/shop/web")
    assert "shop/web" in found["message"] and "Cordon" in found["message"]


def test_the_new_pool_strategy_names_the_old_pools_delete():
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=2, min_available=2)
    [found] = analyse(snapshot(web(ready=2), {"poddisruptionbudgets": [pdb]}), strategy="new-pool")
    assert "old pool's delete" in found["message"]


@pytest.mark.parametrize("pdb, family", [
    (k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=3, min_available=2), web()),  # healthy
    (k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=2, min_available=2),  # another pool
     k.deployment("shop", "web", OTHER, replicas=3, ready=2)),
    (k.budget("other", "web", {"matchLabels": {"app": "web"}}, 3, healthy=2, min_available=2), web()),  # namespace
    (k.budget("shop", "web", {"matchLabels": {"app": "api"}}, 3, healthy=2, min_available=2), web()),  # selector
    (k.budget("kube-system", "agent", {"matchLabels": {"app": "agent"}}, 3, healthy=2, min_available=2),  # a drain
     k.daemonset("kube-system", "agent", NP1)),                                                          # leaves them
])
def test_budgets_that_do_not_block_this_pools_drain_stay_quiet(pdb, family):
    assert analyse(snapshot(family, {"poddisruptionbudgets": [pdb]})) == []


# ---- what the eviction API does with each pod (kube-apiserver's eviction.go) -------------------
def test_unready_pods_are_guarded_only_while_the_budget_is_short_of_healthy_pods_unless_always_allow():
    def guarded(ready, healthy, policy=None):
        pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=healthy, min_available=2,
                       unhealthy_pod_eviction_policy=policy)
        found = analyse(snapshot(web(ready=ready), {"poddisruptionbudgets": [pdb]}))
        return [int(f["message"].split(" guards ")[1].split()[0]) for f in found]

    assert guarded(ready=1, healthy=1) == [3]  # short of healthy pods (IfHealthyBudget): ready and unready alike
    assert guarded(ready=1, healthy=1, policy="IfHealthyBudget") == [3]
    assert guarded(ready=1, healthy=1, policy="AlwaysAllow") == [1]  # the unready ones may always go
    assert guarded(ready=0, healthy=0, policy="AlwaysAllow") == []  # nothing it guards: the drain goes through
    assert guarded(ready=2, healthy=2) == [2]  # healthy enough: the unready one may go, the ready ones may not


def test_pending_pods_and_pods_being_deleted_are_evicted_whatever_the_budget_says():
    family = web(ready=0)
    for pod in family["pods"][:2]:
        pod["status"]["phase"] = "Pending"
    family["pods"][2]["metadata"]["deletionTimestamp"] = "2026-12-06T10:00:00Z"
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=0, min_available=2)
    assert analyse(snapshot(family, {"poddisruptionbudgets": [pdb]})) == []
    assert analyse(snapshot(web(ready=0), {"poddisruptionbudgets": [pdb]}))  # running: guarded


def test_pods_selected_by_two_budgets_cannot_be_evicted_whatever_the_budgets_allow():
    wide = k.budget("shop", "all", {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, 3,
                    max_unavailable=1)
    narrow = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, max_unavailable=1)
    snap = snapshot(web(), {"poddisruptionbudgets": [wide, narrow]})
    [found] = analyse(snap)
    assert (found["rule"], found["severity"]) == ("workload-pdb-overlap", "error")
    assert found["value"] == "PodDisruptionBudget/shop/all, PodDisruptionBudget/shop/web"
    for words in ("3 pod(s) on pool np1", "more than one PodDisruptionBudget (shop/all, shop/web)", "500",
                  "UpgradeFailed", "selectors disjoint", "--undrainable-node-behavior Cordon"):
        assert words in found["message"], found["message"]
    [warned] = analyse(snap, cordon=True)
    assert (warned["rule"], warned["severity"]) == ("workload-pdb-overlap", "warning")
    assert "AKS cordons the nodes it cannot drain" in warned["message"]
    elsewhere = k.deployment("shop", "web", OTHER, replicas=3)  # the pods are on another pool
    assert analyse(snapshot(elsewhere, {"poddisruptionbudgets": [wide, narrow]})) == []
    other_namespace = k.budget("ops", "web", {"matchLabels": {"app": "web"}}, 3, max_unavailable=1)
    assert analyse(snapshot(web(), {"poddisruptionbudgets": [narrow, other_namespace]})) == []
    daemons = k.daemonset("shop", "agent", NP1)  # a drain leaves them where they are
    assert analyse(snapshot(daemons, {"poddisruptionbudgets": [
        k.budget("shop", "a1", {"matchLabels": {"app": "agent"}}, 3, max_unavailable=1),
        k.budget("shop", "a2", {}, 3, max_unavailable=1)]})) == []


def test_an_empty_selector_selects_every_pod_of_its_namespace_and_a_null_one_none():
    everything = k.budget("shop", "all", {}, 3, max_unavailable=1)
    narrow = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, max_unavailable=1)
    assert rules(analyse(snapshot(web(), {"poddisruptionbudgets": [everything, narrow]}))) == [
        ("workload-pdb-overlap", "error", "PodDisruptionBudget/shop/all, PodDisruptionBudget/shop/web")]
    nothing = k.budget("shop", "none", None, 0, max_unavailable=1)
    assert analyse(snapshot(web(), {"poddisruptionbudgets": [nothing, narrow]})) == []


def test_budget_selectors_use_match_expressions():
    def blocked(expressions):
        pdb = k.budget("shop", "web", {"matchExpressions": expressions}, 3, healthy=2, min_available=2)
        return bool(analyse(snapshot(web(ready=2), {"poddisruptionbudgets": [pdb]})))

    assert blocked([{"key": "app", "operator": "In", "values": ["web", "api"]}])
    assert not blocked([{"key": "app", "operator": "NotIn", "values": ["web"]}])
    assert blocked([{"key": "pod-template-hash", "operator": "Exists"}])
    assert not blocked([{"key": "tier", "operator": "Exists"}])
    assert blocked([{"key": "tier", "operator": "DoesNotExist"}, {"key": "app", "operator": "In", "values": ["web"]}])


# ---- workloads pinned to the old OS -------------------------------------------------------
@pytest.mark.parametrize("spec", [
    pinned({"kubernetes.azure.com/os-sku": "Ubuntu"}),
    pinned({"kubernetes.azure.com/os-sku-effective": "Ubuntu2204"}),
    pinned({"kubernetes.azure.com/os-sku-requested": "Ubuntu"}),
    pinned(terms=[term(("kubernetes.azure.com/os-sku", "In", "Ubuntu"))]),
    pinned(terms=[term(("kubernetes.azure.com/os-sku-effective", "In", "Ubuntu2204", "Ubuntu2404"))]),
    pinned(terms=[term(("kubernetes.azure.com/node-image-version", "In", k.UBUNTU_IMAGE))]),
    pinned(terms=[term(("kubernetes.azure.com/os-sku", "NotIn", "AzureLinux"))]),
    pinned(terms=[term(("kubernetes.azure.com/os-sku", "In", "Ubuntu"), ("kubernetes.io/os", "In", "linux"))]),
])
def test_a_required_placement_on_the_old_os_refuses_the_pool(spec):
    [found] = analyse(snapshot(web(spec=spec)))
    assert (found["rule"], found["severity"], found["value"]) == ("workload-os-selector", "error",
                                                                  "Deployment/shop/web")
    message = found["message"]
    assert "Deployment shop/web requires" in message and "3 pod(s)" in message and "Pending" in message
    assert "AzureLinux3 (os-sku AzureLinux, os-sku-effective AzureLinux3)" in message
    assert "kubernetes.io/os" not in message  # the term's other expression is not to blame


@pytest.mark.parametrize("spec", [
    pinned({"kubernetes.io/os": "linux"}),
    pinned({"team": "shop"}),
    pinned(terms=[term(("kubernetes.azure.com/os-sku", "In", "Ubuntu")),
                  term(("kubernetes.azure.com/os-sku", "In", "AzureLinux"))]),  # terms are ORed
    pinned(terms=[term(("kubernetes.azure.com/os-sku-effective", "In", "Ubuntu2204", "AzureLinux3"))]),
    pinned(terms=[term(("kubernetes.azure.com/os-sku", "NotIn", "Windows2022"))]),
    pinned(terms=[term(("kubernetes.azure.com/node-image-version", "NotIn", k.UBUNTU_IMAGE))]),
    pinned(terms=[term(("kubernetes.azure.com/node-image-version", "Exists"))]),
    pinned(terms=[term(("kubernetes.azure.com/os-sku", "In", "Ubuntu", "AzureLinux"),
                       ("topology.kubernetes.io/zone", "In", "0"))]),  # unchanged labels keep their node values
    dict(k.pod_spec(), affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "preference": term(("kubernetes.azure.com/os-sku", "In", "Ubuntu"))}]}}),
])
def test_workloads_that_fit_the_new_nodes_stay_quiet(spec):
    assert analyse(snapshot(web(spec=spec))) == []


def test_the_os_sku_effective_follows_the_target_and_the_kubernetes_version():
    spec = pinned({"kubernetes.azure.com/os-sku-effective": "AzureLinux3"})
    assert analyse(snapshot(web(spec=spec)), target="AzureLinux", version="1.33.5") == []
    [found] = analyse(snapshot(web(spec=spec)), target="AzureLinux", version="1.31.8")
    assert "os-sku-effective AzureLinux2" in found["message"]
    assert analyse(snapshot(web(spec=spec)), target="AzureLinux3", version="1.31.8") == []
    [acl] = analyse(snapshot(web(spec=pinned({"kubernetes.azure.com/os-sku": "AzureLinux"}))),
                    target="AzureContainerLinux", version="1.34.2")
    assert "os-sku AzureContainerLinux" in acl["message"]


def test_target_labels():
    assert analysis.target_labels("AzureLinux", "1.31.1")[analysis.OS_SKU_EFFECTIVE] == "AzureLinux2"
    assert analysis.target_labels("AzureLinux", "1.32.0") == {
        analysis.OS_SKU: "AzureLinux", analysis.OS_SKU_EFFECTIVE: "AzureLinux3", analysis.OS_SKU_REQUESTED: "AzureLinux"}
    assert analysis.target_labels("AzureLinux3", None)[analysis.OS_SKU_EFFECTIVE] == "AzureLinux3"
    assert analysis.target_labels("AzureLinux", None)[analysis.OS_SKU_EFFECTIVE] is None  # one of the two
    assert analysis.target_labels("AzureContainerLinux", "1.34.0")[analysis.OS_SKU] == "AzureContainerLinux"


def test_a_daemonset_pinned_to_the_old_os_would_stop_running_on_the_pool():
    spec = pinned({"kubernetes.azure.com/os-sku-effective": "Ubuntu2204"})
    [found] = analyse(snapshot(k.daemonset("kube-system", "lustre-csi", NP1, spec=spec)))
    assert (found["rule"], found["value"]) == ("workload-daemonset-os-selector", "DaemonSet/kube-system/lustre-csi")
    assert "would stop running on pool np1" in found["message"] and "3 of the pool's nodes" in found["message"]


def test_daemonset_pods_pin_themselves_to_a_node_by_name_which_is_no_os_pin():
    assert analyse(snapshot(k.daemonset("kube-system", "agent", NP1), missing=("daemonsets",))) == []


def test_each_pod_is_judged_through_its_controllers_template():
    template = pinned({"kubernetes.azure.com/os-sku": "Ubuntu"})
    family = web(spec=template)
    for item in family["pods"]:  # the pods were created before the selector was added to the Deployment
        item["spec"].pop("nodeSelector")
    [found] = analyse(snapshot(family))
    assert found["value"] == "Deployment/shop/web"
    # without the Deployment, its ReplicaSet's template stands for it, and still names the Deployment
    assert rules(analyse(snapshot(web(spec=template), missing=("deployments",)))) == \
        [("workload-os-selector", "error", "Deployment/shop/web")]
    # a ReplicaSet listed as metadata only (as the reader lists them): the pod's own spec, named by the Deployment
    family = web(spec=template)
    family["replicasets"] = [{"metadata": r["metadata"]} for r in family["replicasets"]]
    assert rules(analyse(snapshot(family, missing=("deployments",)))) == \
        [("workload-os-selector", "error", "Deployment/shop/web")]
    # without either, the pod's own spec, named by its owner
    [alone] = analyse(snapshot(web(spec=template), missing=("deployments", "replicasets")))
    assert alone["value"].startswith("ReplicaSet/shop/web-")
    stateful = k.statefulset("data", "db", NP1, spec=template)
    assert rules(analyse(snapshot(stateful))) == [("workload-os-selector", "error", "StatefulSet/data/db")]


def test_controllers_not_listed_are_judged_by_the_pods_own_spec():
    spec = pinned({"kubernetes.azure.com/os-sku": "Ubuntu"})
    job = k.pod("batch", "nightly-abcde", NP1[0]["metadata"]["name"], spec, {"job-name": "nightly"},
                ("batch/v1", "Job", "nightly"))
    rollout = k.pod("shop", "canary-xyz", NP1[1]["metadata"]["name"], spec, {"app": "canary"},
                    ("argoproj.io/v1alpha1", "Rollout", "canary"))
    assert rules(analyse(snapshot({"pods": [job, rollout]}))) == [
        ("workload-os-selector", "error", "Job/batch/nightly"), ("workload-os-selector", "error", "Rollout/shop/canary")]


# ---- a new pool's name ---------------------------------------------------------------------
@pytest.mark.parametrize("spec", [pinned({"agentpool": "np1"}), pinned({"kubernetes.azure.com/agentpool": "np1"}),
                                  pinned(terms=[term(("agentpool", "In", "np1"))])])
def test_a_selector_on_the_old_pools_name_refuses_a_new_pool_migration_only(spec):
    [found] = analyse(snapshot(web(spec=spec)), strategy="new-pool")
    assert (found["rule"], found["value"]) == ("workload-pool-selector", "Deployment/shop/web")
    assert "np1" in found["message"] and "--strategy in-place" in found["message"]
    assert analyse(snapshot(web(spec=spec))) == []


def test_a_selector_that_already_names_the_new_pool_fits():
    spec = pinned(terms=[term(("agentpool", "In", "np1", "np1al"))])
    assert analyse(snapshot(web(spec=spec)), strategy="new-pool", new_pool_name="np1al") == []
    assert analyse(snapshot(web(spec=spec)), strategy="new-pool") == []  # the new name unknown: it may be np1al
    assert analyse(snapshot(web(spec=spec)), strategy="new-pool", new_pool_name="np1new") != []


def test_a_daemonset_on_the_old_pools_name_would_stop_running():
    spec = pinned({"agentpool": "np1"})
    [found] = analyse(snapshot(k.daemonset("ops", "logs", NP1, spec=spec)), strategy="new-pool")
    assert found["rule"] == "workload-daemonset-pool-selector" and "stop running" in found["message"]


# ---- bare pods and host paths -------------------------------------------------------------
def test_a_bare_pod_is_a_warning_naming_it_and_its_node():
    node_name = NP1[0]["metadata"]["name"]
    [found] = analyse(snapshot({"pods": [k.pod("default", "debug", node_name)]}))
    assert (found["rule"], found["severity"], found["value"]) == ("workload-bare-pod", "warning", "Pod/default/debug")
    assert node_name in found["message"] and "nothing recreates it" in found["message"]


def test_a_bare_pod_pinned_to_ubuntu_is_both():
    spec = pinned({"kubernetes.azure.com/os-sku": "Ubuntu"})
    found = analyse(snapshot({"pods": [k.pod("default", "debug", NP1[0]["metadata"]["name"], spec)]}))
    assert rules(found) == [("workload-bare-pod", "warning", "Pod/default/debug"),
                            ("workload-os-selector", "error", "Pod/default/debug")]


def test_static_pods_of_the_node_and_finished_pods_are_not_bare_pods():
    node_name = NP1[0]["metadata"]["name"]
    mirror = k.pod("kube-system", f"etcd-{node_name}", node_name, owner=("v1", "Node", node_name))
    finished = k.pod("default", "job-once", node_name, phase="Succeeded")
    assert analyse(snapshot({"pods": [mirror, finished]})) == []


@pytest.mark.parametrize("path, flagged", [
    ("/etc/apt", "/etc/apt (Azure Linux: tdnf, no apt)"), ("/etc/apt/sources.list.d", "/etc/apt/sources.list.d"),
    ("/var/lib/apt/", "/var/lib/apt"), ("/var/log/syslog", "/var/log/syslog (Azure Linux: /var/log/messages)"),
    ("/usr/lib/x86_64-linux-gnu", "/usr/lib64"), ("/var/log", None), ("/etc/aptitude", None), ("/", None),
])
def test_ubuntu_only_host_paths_are_warnings(path, flagged):
    found = analyse(snapshot(k.daemonset("ops", "agent", NP1, spec=pinned(host_paths=[path]))))
    if flagged is None:
        assert found == []
        return
    [warning] = found
    assert (warning["rule"], warning["severity"], warning["value"]) == \
        ("workload-ubuntu-host-path", "warning", "DaemonSet/ops/agent")
    assert flagged in warning["message"]


# ---- what was not read ---------------------------------------------------------------------
def test_without_nodes_the_pool_comes_from_aks_node_names():
    spec = pinned({"kubernetes.azure.com/os-sku": "Ubuntu"})
    snap = snapshot(web(spec=spec), {"pods": [k.pod("default", "debug", OTHER[0]["metadata"]["name"])]},
                    missing=("nodes",))
    assert rules(analyse(snap)) == [("workload-os-selector", "error", "Deployment/shop/web")]
    assert rules(analyse(snap, pool="other")) == [("workload-bare-pod", "warning", "Pod/default/debug")]
    fits = pinned(terms=[term(("kubernetes.azure.com/os-sku", "In", "Ubuntu", "AzureLinux"), ("disk", "In", "ssd"))])
    assert analyse(snapshot(web(spec=fits), missing=("nodes",))) == []  # labels not read are not held against it


def test_untrimmed_objects_read_the_same():
    spec = pinned({"kubernetes.azure.com/os-sku": "Ubuntu"}, host_paths=["/etc/apt"])
    pdb = k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3, healthy=2, min_available=2)
    family = web(spec=spec, ready=2)
    assert rules(analyse(snapshot(family, {"poddisruptionbudgets": [pdb]}, trimmed=False))) == \
        rules(analyse(snapshot(family, {"poddisruptionbudgets": [pdb]})))


def test_a_pool_without_pods_has_no_findings():
    assert analyse(snapshot(web()), pool="empty") == []
    assert analyse(analysis.ClusterView(snapshot(web())), pool="np1") == []  # an index built once serves each pool


# ---- which plans are judged ------------------------------------------------------------------
@pytest.mark.parametrize("plan, judged", [
    ({"action": "migrate", "requests": [{"step": "update"}]}, True),
    ({"action": "migrate", "rollback": True, "requests": [{"step": "update"}]}, False),
    ({"action": "resume", "requests": [{"step": "wait"}]}, False),  # an OS change under way: its drain began
    ({"action": "resume", "requests": [{"step": "wait"}, {"step": "delete"}]}, True),  # the old pool's delete ahead
    ({"action": "resume", "requests": [{"step": "wait-deleted"}]}, False),  # the delete, and its drain, under way
    ({"action": "resume", "requests": [{"step": "remove-failed"}]}, False),  # the failed replacement goes: no drain
    ({"action": "nothing-to-do", "requests": []}, False),
    ({"action": "refused", "requests": []}, False),
], ids=["migrate", "rollback", "in-place-resume", "new-pool-resume-before-delete", "delete-under-way",
        "failed-replacement", "nothing", "refused"])
def test_the_plans_whose_drain_lies_ahead_are_judged(plan, judged):
    from azext_azurelinux import _workloads  # pylint: disable=import-outside-toplevel
    assert _workloads._draining([plan]) == ([plan] if judged else [])  # pylint: disable=protected-access


# ---- which budgets select a pod: the index against every budget of the pod's namespace --------
_NAMESPACES = st.sampled_from(["a", "b", None])
_LABELS = st.dictionaries(st.sampled_from(["app", "tier", "x"]), st.sampled_from(["1", "2"]), max_size=3)
_SELECTORS = st.one_of(
    st.none(), st.just("not a selector"), st.just({}),
    st.fixed_dictionaries({}, optional={
        "matchLabels": st.dictionaries(st.sampled_from(["app", "tier", "x"]),
                                       st.sampled_from(["1", "2", 1]), max_size=2),
        "matchExpressions": st.lists(st.fixed_dictionaries({
            "key": st.sampled_from(["app", "tier", "x"]),
            "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
            "values": st.lists(st.sampled_from(["1", "2"]), max_size=2)}), max_size=2)}))


@settings(max_examples=300, deadline=None)
@given(pods=st.lists(st.tuples(_NAMESPACES, st.one_of(st.none(), _LABELS)), max_size=12),
       budgets=st.lists(st.tuples(_NAMESPACES, _SELECTORS), max_size=6))
def test_the_budgets_of_a_pod_are_those_of_its_namespace_whose_selector_selects_it(pods, budgets):
    from azext_azurelinux.workloads.selectors import selects  # pylint: disable=import-outside-toplevel
    pod_items = [{"metadata": dict({"name": f"p{i}", "namespace": ns}, **({"labels": labels} if labels else {}))}
                 for i, (ns, labels) in enumerate(pods)]
    budget_items = [{"metadata": {"name": f"b{i}", "namespace": ns}, "spec": {"selector": selector}}
                    for i, (ns, selector) in enumerate(budgets)]
    view = objects.ClusterView({"pods": pod_items, "poddisruptionbudgets": budget_items})
    for pod in pod_items:
        expected = [b["metadata"]["name"] for b in budget_items
                    if b["metadata"]["namespace"] == pod["metadata"]["namespace"]
                    and isinstance(b["spec"]["selector"], dict)
                    and selects(b["spec"]["selector"], pod["metadata"].get("labels"))]
        assert [b["metadata"]["name"] for b in view.budgets_of(pod)] == expected
