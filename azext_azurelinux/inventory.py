# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The fleet inventory: every node pool across subscriptions and where it stands with Azure Linux.

Two sources, one row shape. Resource Graph (`graph`): one query over up to 1,000 subscriptions at a time, a
page of up to 1,000 pools per request, `$skipToken` to go on; fast at any scale, but its data can lag ARM by
minutes. ARM (`arm`): each subscription's cluster listing (pools inline), `nextLink` to go on, a few
subscriptions at a time; exact and current. The status of each pool comes from the same function as
`nodepool list` (pools.readiness, under the command's Policy), so the two never disagree. The requests go
through `post_json(path, body)` and `get_json(path, params)` that the caller provides (they raise `Unreadable`
for a subscription the identity cannot read); the rest is pure.
"""
from azext_azurelinux import pools
from azext_azurelinux._arm import Unreadable, pages
from azext_azurelinux._consts import API_PROVIDER, API_VERSION, GRAPH_API, GRAPH_PATH

GRAPH_SUBSCRIPTIONS_PER_QUERY = 1000
GRAPH_PAGE = 1000
# One row per pool: the pools expanded from each cluster by Resource Graph itself.
QUERY = ("Resources | where type =~ 'microsoft.containerservice/managedclusters' "
         "| mv-expand pool = properties.agentPoolProfiles "
         "| project subscriptionId, resourceGroup, cluster = name, location, "
         "kubernetesVersion = properties.kubernetesVersion, pool "
         "| order by subscriptionId asc")
# The subscriptions of the scope that Resource Graph can see (and so the caller may read).
CONTAINERS_QUERY = ("ResourceContainers | where type =~ 'microsoft.resources/subscriptions' "
                    "| project subscriptionId")
STATUSES = ("on-azure-linux", "retired", "can-migrate", "blocked")


def status_of(readiness):
    """The inventory's status names for a pool's readiness."""
    if readiness["status"] == "on Azure Linux":
        return "retired" if readiness.get("retiring") else "on-azure-linux"
    return {"can migrate": "can-migrate", "blocked": "blocked"}[readiness["status"]]


def row(subscription, resource_group, cluster, location, cluster_version, profile, policy):
    """One inventory row from a pool profile as ARM and Resource Graph return it."""
    view = pools.from_rest(profile, cluster_version)
    props = pools.properties(view)
    readiness = pools.readiness(view, policy)
    return {"subscription": subscription, "resourceGroup": resource_group, "cluster": cluster, "location": location,
            "pool": view["name"], "mode": props.get("mode"), "osType": props.get("osType"),
            "osSku": pools.os_sku(props), "vmSize": ", ".join(pools.vm_sizes(props)),
            "nodeCount": pools.node_count(props), "kubernetesVersion": view["kubernetesVersion"],
            "status": status_of(readiness), "reason": readiness.get("reason")}


def visible_subscriptions(post_json, subscriptions, unreadable):
    """The subscriptions of the list that Resource Graph can see. It leaves out, without an error, the rows of a
    subscription the identity cannot read (and answers 403 when it can read none), so each one it does not list in
    `ResourceContainers` is added to `unreadable` with the reason."""
    try:
        page = post_json(f"{GRAPH_PATH}?api-version={GRAPH_API}",
                         {"subscriptions": subscriptions, "query": CONTAINERS_QUERY,
                          "options": {"$top": GRAPH_PAGE, "resultFormat": "objectArray"}})
    except Unreadable as error:
        unreadable.extend((subscription, str(error)) for subscription in subscriptions)
        return []
    seen = {str(row.get("subscriptionId")).lower() for row in page.get("data", [])}
    unreadable.extend((s, "Resource Graph does not list it: the identity has no read access to it, or it does not "
                          "exist") for s in subscriptions if s.lower() not in seen)
    return [s for s in subscriptions if s.lower() in seen]


def _graph_rows(post_json, scope, policy):
    """Every pool row of one scope, page after page ($skipToken)."""
    rows, token = [], None
    while True:
        options = {"$top": GRAPH_PAGE, "resultFormat": "objectArray"}
        if token:
            options["$skipToken"] = token
        page = post_json(f"{GRAPH_PATH}?api-version={GRAPH_API}", dict(scope, query=QUERY, options=options))
        for item in page.get("data", []):
            rows.append(row(item["subscriptionId"], item["resourceGroup"], item["cluster"], item["location"],
                            item.get("kubernetesVersion"), item.get("pool") or {}, policy))
        token = page.get("$skipToken")
        if not token:
            return rows


def from_graph(post_json, subscriptions, management_groups, unreadable, *, policy):
    """Rows from Resource Graph: subscriptions in batches of 1,000, pages by $skipToken. Resource Graph answers 403
    when it can read none of a batch, and otherwise leaves out silently what it cannot read: the subscriptions of a
    batch that gave no row (no cluster, or not readable) are asked about once more, in ResourceContainers, so that
    the unreadable ones are reported. A management group is taken as Resource Graph resolves it."""
    if management_groups:
        return _graph_rows(post_json, {"managementGroups": list(management_groups)}, policy)
    rows = []
    for i in range(0, len(subscriptions), GRAPH_SUBSCRIPTIONS_PER_QUERY):
        batch = subscriptions[i:i + GRAPH_SUBSCRIPTIONS_PER_QUERY]
        try:
            found = _graph_rows(post_json, {"subscriptions": batch}, policy)
        except Unreadable as error:
            unreadable.extend((subscription, str(error)) for subscription in batch)
            continue
        rows += found
        with_rows = {r["subscription"].lower() for r in found}
        quiet = [s for s in batch if s.lower() not in with_rows]
        if quiet:
            visible_subscriptions(post_json, quiet, unreadable)
    return rows


def from_arm(get_json, subscriptions, unreadable, *, policy, workers=8):
    """Rows from each subscription's cluster listing, `workers` subscriptions at a time."""
    from concurrent.futures import ThreadPoolExecutor

    def one(subscription):
        found = []
        path = f"/subscriptions/{subscription}/providers/{API_PROVIDER}/managedClusters"
        try:
            for cluster in pages(get_json, path, {"api-version": API_VERSION}):
                group = cluster["id"].split("/")[4]
                props = cluster.get("properties") or {}
                found += [row(subscription, group, cluster["name"], cluster.get("location"),
                              props.get("currentKubernetesVersion") or props.get("kubernetesVersion"), profile, policy)
                          for profile in props.get("agentPoolProfiles") or []]
        except Unreadable as error:
            unreadable.append((subscription, str(error)))
            return []
        return found

    with ThreadPoolExecutor(max_workers=max(1, workers)) as readers:
        return [r for rows in readers.map(one, subscriptions) for r in rows]


def summary(rows):
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in STATUSES}
    return {"pools": len(rows), "byStatus": counts,
            "clusters": len({(r["subscription"], r["resourceGroup"], r["cluster"]) for r in rows}),
            "subscriptions": len({r["subscription"] for r in rows})}
