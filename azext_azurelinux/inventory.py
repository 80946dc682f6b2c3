# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The fleet inventory: every node pool across subscriptions and where it stands with Azure Linux.

Two sources, one row shape. Resource Graph (`graph`): one query over up to 1,000 subscriptions at a time, a
page of up to 1,000 pools per request, `$skipToken` to go on; fast at any scale, but its data can lag ARM by
minutes. ARM (`arm`): each subscription's cluster listing (pools inline), `nextLink` to go on, a few
subscriptions at a time; exact and current. The status of each pool comes from the same policy functions as
`nodepool list` (migration.readiness), so the two never disagree. The requests go through `post_json(path,
body)` and `get_json(path, params)` that the caller provides (they raise `Unreadable` for a subscription the
identity cannot read); the rest is pure.
"""
from azext_azurelinux.migration import planner

GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
GRAPH_API = "2024-04-01"
CLUSTERS_API = "2026-06-01"
GRAPH_SUBSCRIPTIONS_PER_QUERY = 1000
GRAPH_PAGE = 1000
# One row per pool: the pools expanded from each cluster by Resource Graph itself.
QUERY = ("Resources | where type =~ 'microsoft.containerservice/managedclusters' "
         "| mv-expand pool = properties.agentPoolProfiles "
         "| project subscriptionId, resourceGroup, cluster = name, location, "
         "kubernetesVersion = properties.kubernetesVersion, pool "
         "| order by subscriptionId asc")
STATUSES = ("on-azure-linux", "retired", "can-migrate", "blocked")


class Unreadable(Exception):
    """A subscription the identity cannot read (403, 404): reported and skipped."""


def status_of(readiness):
    """The inventory's status names for a pool's readiness."""
    if readiness["status"] == "on Azure Linux":
        return "retired" if readiness.get("azureLinuxVersion") == "2.0" or \
            "retires on" in (readiness.get("reason") or "") else "on-azure-linux"
    return {"can migrate": "can-migrate", "blocked": "blocked"}[readiness["status"]]


def row(subscription, resource_group, cluster, location, cluster_version, pool):
    """One inventory row from a pool profile as ARM and Resource Graph return it."""
    props = {k: v for k, v in pool.items() if k != "name"}
    version = pool.get("currentOrchestratorVersion") or pool.get("orchestratorVersion") or cluster_version
    readiness = planner.readiness({"name": pool.get("name"), "kubernetesVersion": version,
                                   "body": {"properties": props}})
    sizes = planner.pool_vm_sizes(props)
    count = props.get("count")
    if count is None:
        scale = (props.get("virtualMachinesProfile") or {}).get("scale") or {}
        count = sum(int(e.get("count") or 0) for kind in ("manual", "autoscale") for e in scale.get(kind) or [])
    return {"subscription": subscription, "resourceGroup": resource_group, "cluster": cluster, "location": location,
            "pool": pool.get("name"), "mode": props.get("mode"), "osType": props.get("osType"),
            "osSku": planner.pool_os_sku(props), "vmSize": ", ".join(sizes), "nodeCount": count,
            "kubernetesVersion": version, "status": status_of(readiness), "reason": readiness.get("reason")}


def from_graph(post_json, subscriptions=None, management_groups=None):
    """Rows from Resource Graph: subscriptions in batches, pages by $skipToken."""
    rows = []
    scopes = [{"managementGroups": list(management_groups)}] if management_groups else \
        [{"subscriptions": subscriptions[i:i + GRAPH_SUBSCRIPTIONS_PER_QUERY]}
         for i in range(0, len(subscriptions), GRAPH_SUBSCRIPTIONS_PER_QUERY)]
    for scope in scopes:
        token = None
        while True:
            options = {"$top": GRAPH_PAGE, "resultFormat": "objectArray"}
            if token:
                options["$skipToken"] = token
            page = post_json(f"{GRAPH_PATH}?api-version={GRAPH_API}", dict(scope, query=QUERY, options=options))
            for item in page.get("data", []):
                rows.append(row(item["subscriptionId"], item["resourceGroup"], item["cluster"], item["location"],
                                item.get("kubernetesVersion"), item.get("pool") or {}))
            token = page.get("$skipToken")
            if not token:
                break
    return rows


def from_arm(get_json, subscriptions, unreadable, workers=8):
    """Rows from each subscription's cluster listing, `workers` subscriptions at a time."""
    from concurrent.futures import ThreadPoolExecutor

    def one(subscription):
        found, params = [], {"api-version": CLUSTERS_API}
        path = f"/subscriptions/{subscription}/providers/Microsoft.ContainerService/managedClusters"
        try:
            while path:
                page = get_json(path, params)
                for cluster in page.get("value", []):
                    group = cluster["id"].split("/")[4]
                    props = cluster.get("properties") or {}
                    found += [row(subscription, group, cluster["name"], cluster.get("location"),
                                  props.get("currentKubernetesVersion") or props.get("kubernetesVersion"), pool)
                              for pool in props.get("agentPoolProfiles") or []]
                path, params = page.get("nextLink"), None
        except Unreadable as error:
            unreadable.append((subscription, str(error)))
            return []
        return found

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return [r for rows in pool.map(one, subscriptions) for r in rows]


def summary(rows):
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in STATUSES}
    return {"pools": len(rows), "byStatus": counts,
            "clusters": len({(r["subscription"], r["resourceGroup"], r["cluster"]) for r in rows}),
            "subscriptions": len({r["subscription"] for r in rows})}
