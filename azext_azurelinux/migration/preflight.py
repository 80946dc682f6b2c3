# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The live preflight of a migration: vCPU quota, VM size availability and Kubernetes versions.

Two halves. `read_facts` reads what Azure says (usages, the resource SKU catalogue, the Kubernetes
versions offered) through a `get_json(path, params)` the caller provides (`params` None for a
nextLink), at most one read of each per location, and keeps the catalogue (several MB from the
service) on disk for a day, compacted to what the checks use. `apply` is pure: plans, pools and
facts in, the plans of pools that would fail refused with the numbers and the ways out. Nothing here
imports the CLI or the SDK.
"""
import json
import logging
import os
import time

from azext_azurelinux import aks_rules, pools, versions
from azext_azurelinux._arm import Forbidden, pages
from azext_azurelinux._consts import API_VERSION
from azext_azurelinux.findings import refusals
from azext_azurelinux.migration import planner
from azext_azurelinux.migration.planner import refuse

LOGGER = logging.getLogger("cli.azext_azurelinux.migration.preflight")  # the CLI shows its "cli." loggers with --debug
USAGES_API = "2024-11-01"
SKUS_API = "2021-07-01"
VERSIONS_API = API_VERSION
SKU_CACHE_SECONDS = 24 * 3600
PERMISSIONS = {"usages": "Microsoft.Compute/locations/usages/read",
               "skus": "Microsoft.Compute/skus/read",
               "versions": "Microsoft.ContainerService/locations/kubernetesVersions/read"}


# ---- reading (through get_json) -----------------------------------------------------------
def _usages(get_json, subscription, location):
    path = f"/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}/usages"
    return {item["name"]["value"]: {"current": item.get("currentValue", 0), "limit": item.get("limit", 0)}
            for item in pages(get_json, path, {"api-version": USAGES_API})}


def _compact_sku(entry):
    capabilities = {c["name"]: c["value"] for c in entry.get("capabilities", [])}
    zones = sorted({z for info in entry.get("locationInfo", []) for z in info.get("zones", [])})
    restrictions = [{"type": r.get("type"), "zones": sorted((r.get("restrictionInfo") or {}).get("zones") or []),
                     "reasonCode": r.get("reasonCode")} for r in entry.get("restrictions", [])]
    return {"name": entry["name"], "family": entry.get("family"), "vcpus": int(capabilities.get("vCPUs", 0) or 0),
            "hyperVGenerations": capabilities.get("HyperVGenerations"), "zones": zones,
            "restrictions": restrictions}


def read_skus(get_json, subscription, location, cache_dir=None, now=None):
    """The location's VM sizes, compacted ({lower-case name: {name, family, vcpus, zones, restrictions, ...}}), and
    whether they came from the day's cache: (skus, cached)."""
    now = time.time() if now is None else now
    cache = os.path.join(cache_dir, f"skus-{subscription}-{location.lower()}.json") if cache_dir else None
    if cache and os.path.exists(cache) and now - os.path.getmtime(cache) < SKU_CACHE_SECONDS:
        try:
            with open(cache, encoding="utf-8") as handle:
                return json.load(handle), True
        except (OSError, ValueError):
            pass  # a damaged cache is read again from Azure
    skus = {entry["name"].lower(): _compact_sku(entry)
            for entry in pages(get_json, f"/subscriptions/{subscription}/providers/Microsoft.Compute/skus",
                               {"api-version": SKUS_API, "$filter": f"location eq '{location}'"})
            if entry.get("resourceType") == "virtualMachines"}
    if cache:
        import threading
        os.makedirs(cache_dir, exist_ok=True)
        partial = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"  # writers in parallel never share one
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(skus))  # one call to the C encoder; json.dump writes piece by piece in Python
        os.replace(partial, cache)
    return skus, False


def read_versions(get_json, subscription, location):
    """The Kubernetes versions offered in the location: {minor: [patch, ...]}."""
    path = f"/subscriptions/{subscription}/providers/Microsoft.ContainerService/locations/{location}/kubernetesVersions"
    return {v["version"]: sorted(v.get("patchVersions") or {})
            for v in get_json(path, {"api-version": VERSIONS_API}).get("values", [])}


def read_facts(get_json, subscription, location, need_versions, cache_dir=None, now=None):
    """What the checks need, read once: {"location", "usages", "skus", "versions", "warnings", "skusCached"}.
    A read the identity may not make (403) leaves that fact None and says which permission is missing."""
    now = time.time() if now is None else now
    facts = {"location": location, "usages": None, "skus": None, "versions": None, "warnings": [],
             "skusCached": False}
    readers = [("usages", lambda: _usages(get_json, subscription, location)),
               ("skus", lambda: read_skus(get_json, subscription, location, cache_dir, now))]
    if need_versions:
        readers.append(("versions", lambda: read_versions(get_json, subscription, location)))

    def timed(read):
        started = time.perf_counter()
        try:
            return read(), time.perf_counter() - started
        except Forbidden as error:
            return error, time.perf_counter() - started
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(readers)) as workers:  # the reads wait on the network together
        answers = list(workers.map(lambda reader: timed(reader[1]), readers))
    for (name, _), (value, seconds) in zip(readers, answers):
        LOGGER.debug("preflight: %s of %s in %.3f s", name, location, seconds)
        if isinstance(value, Forbidden):
            facts["warnings"].append(
                f"the preflight could not read {name} in {location}: the signed-in identity lacks "
                f"{PERMISSIONS[name]} (HTTP 403), so that check was skipped; grant it (the Reader role does) or "
                "use --skip-preflight to silence this.")
            continue
        if name == "skus":
            value, facts["skusCached"] = value
        facts[name] = value
    return facts


# ---- checking (pure) -----------------------------------------------------------------------
def _size_refusal(size, sku, zones, location):
    if sku is None:
        return f"the VM size {size} is not offered in {location}"
    for restriction in sku["restrictions"]:
        if restriction["type"] == "Location":
            return (f"the VM size {size} is restricted for this subscription in {location} "
                    f"({restriction['reasonCode']})")
        blocked = sorted(set(restriction["zones"]) & set(zones))
        if restriction["type"] == "Zone" and blocked:
            return (f"the VM size {size} is not available to this subscription in zone(s) {', '.join(blocked)} of "
                    f"{location} ({restriction['reasonCode']}), where the pool has nodes")
    missing = sorted(set(zones) - set(sku["zones"]))
    if missing:
        return f"the VM size {size} is not offered in zone(s) {', '.join(missing)} of {location}"
    return None


def _version_refusal(version, offered_versions, location):
    if not version or offered_versions is None:
        return None
    minor = versions.minor(version)
    offered = sorted(offered_versions, key=versions.sort_key)
    patch = len(str(version).split(".")) > 2
    if minor not in offered_versions or (patch and version not in offered_versions[minor]):
        return (f"Kubernetes {version} is no longer offered for new pools in {location} (offered: "
                f"{', '.join(offered)}): upgrade the cluster first, or use --strategy in-place")
    return None


def _need(plan, view, skus):
    """(size, family, vCPUs per node, nodes) that the plan's step adds at once."""
    props = view["body"].get("properties", {})
    body = plan["requests"][0]["body"]["properties"]
    sizes = pools.vm_sizes(props)
    if not sizes:
        return None
    size = max(sizes, key=lambda s: (skus.get(s.lower()) or {}).get("vcpus", 0)) if skus else sizes[0]
    sku = (skus or {}).get(size.lower())
    if sku is None:
        return None
    count = pools.node_count(props)
    if plan["strategy"] == planner.IN_PLACE:
        nodes = aks_rules.surge_nodes((body.get("upgradeSettings") or {}).get("maxSurge"), count)
    else:
        nodes = count
    return {"pool": plan["pool"], "size": sku["name"], "family": sku["family"], "vcpusPerNode": sku["vcpus"],
            "nodes": nodes, "vcpus": nodes * sku["vcpus"]}


def apply(plans, views, facts, *, policy, max_parallel=1):
    """Refuse, in place, the `migrate` plans that would fail for quota, VM size or Kubernetes version.
    Returns the plans. Each refusal names the numbers and the ways out; other plans are untouched."""
    by_name = {v["name"]: v for v in views}
    location, skus, usages, offered = facts["location"], facts["skus"], facts["usages"], facts["versions"]
    needs = []
    for plan in plans:
        if plan["action"] != planner.MIGRATE or plan.get("rollback"):
            continue
        view = by_name[plan["pool"]]
        props = view["body"].get("properties", {})
        zones = [str(z) for z in props.get("availabilityZones") or []]
        if skus is not None:
            refusal = next(filter(None, (_size_refusal(s, skus.get(s.lower()), zones, location)
                                         for s in pools.vm_sizes(props))), None)
            if refusal:
                refuse(plan, "preflight-vm-size", f"{refusal}; choose another size through a new pool "
                                                  "(az aks azurelinux nodepool add), or ask for access to it")
                continue
        generations = [(skus.get(s.lower()) or {}).get("hyperVGenerations") for s in pools.vm_sizes(props)] \
            if skus is not None else [None]
        required = [f for g in generations for f in policy.check_os_sku_requirements(plan["osSkuAfter"],
                                                                                     hyperv_generations=g)]
        refused = refusals(required)
        if refused:
            refuse(plan, "preflight-vm-generation", refused[0].message)
            continue
        plan["findings"] = plan["findings"] + [f.to_dict() for f in required]
        if plan["strategy"] == planner.NEW_POOL:
            refusal = _version_refusal(props.get("orchestratorVersion") or view.get("kubernetesVersion"), offered,
                                       location)
            if refusal:
                refuse(plan, "preflight-kubernetes-version", refusal)
                continue
        need = _need(plan, view, skus) if usages is not None else None
        if need:
            needs.append((plan, need))
    for plan, need in needs:
        others = [n for p, n in needs if p is not plan]
        _quota(plan, need, others, usages, location, max_parallel)
    return plans


def _quota(plan, need, others, usages, location, max_parallel):
    alongside = max(0, max_parallel - 1)
    same_family = sorted((n["vcpus"] for n in others if n["family"] == need["family"]), reverse=True)[:alongside]
    any_family = sorted((n["vcpus"] for n in others), reverse=True)[:alongside]
    what = (f"{need['nodes']} {'surge ' if plan['strategy'] == planner.IN_PLACE else ''}node(s) of {need['size']} "
            f"({need['vcpusPerNode']} vCPUs each)")
    ways = ("Ways out: " + ("a lower --max-surge, " if plan["strategy"] == planner.IN_PLACE else
                            "--strategy in-place (it needs only the surge), ")
            + ("a lower --max-parallel, " if alongside else "") + "or a quota increase for the family in this region "
            "(az quota create, or Help + support in the portal).")
    for name, label, extra in ((need["family"], f"family {need['family']}", same_family),
                               ("cores", "Total Regional Cores", any_family)):
        usage = usages.get(name)
        if usage is None:
            continue
        wanted = need["vcpus"] + sum(extra)
        free = usage["limit"] - usage["current"]
        if wanted > free:
            parallel = (f", plus up to {sum(extra)} for the {len(extra)} other pool(s) that --max-parallel "
                        f"{max_parallel} runs at the same time" if extra else "")
            numbers = {"family": name, "vcpusNeeded": wanted, "vcpusFree": max(free, 0), "limit": usage["limit"],
                       "inUse": usage["current"], "nodes": need["nodes"], "size": need["size"]}
            refuse(plan, "preflight-vcpu-quota",
                   f"not enough vCPU quota in {location}: it needs {wanted} vCPUs of {label} at once ({need['vcpus']} "
                   f"for {what}{parallel}), and {max(free, 0)} of the limit of {usage['limit']} are free "
                   f"({usage['current']} in use). {ways}", numbers)
            return
