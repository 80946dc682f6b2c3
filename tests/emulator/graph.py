# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Other subscriptions (read-only clusters, seeded by the thousand) and Azure Resource Graph over all of them.

The Resource Graph endpoint evaluates the KQL the extension sends, one operator per `|` stage: the table
`Resources` (or `ResourceContainers`, the subscriptions the caller can read), `where type =~ '...'`, `mv-expand NAME = PATH`, `project NAME = EXPR, ...` (EXPR a dotted path or
`tostring(PATH)`) and `order by NAME [asc|desc]`. Any other operator is a 400 that names it, as the real
service names what it cannot parse. Paging by `$skipToken`, scoping by subscriptions or management groups, and
the quota headers `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after` with a 429 past the quota.
"""
import base64
import copy
import json
import re
import time

from .rules import ServiceError

CS = "Microsoft.ContainerService"
PAGE_LIMIT = 1000


def cluster_document(sub, rg, name, location, version, pools):
    return {"id": f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{CS}/managedClusters/{name}", "name": name,
            "type": f"{CS}/ManagedClusters", "location": location, "resourceGroup": rg, "subscriptionId": sub,
            "properties": {"provisioningState": "Succeeded", "kubernetesVersion": version,
                           "currentKubernetesVersion": version,
                           "agentPoolProfiles": [dict({"orchestratorVersion": version,
                                                       "currentOrchestratorVersion": version,
                                                       "provisioningState": "Succeeded", "osType": "Linux",
                                                       "type": "VirtualMachineScaleSets", "maxPods": 110}, **p)
                                                 for p in pools]}}


class Fleet:
    """Subscriptions other than the emulator's own, with read-only clusters; management groups; who may read."""

    def __init__(self):
        self.subscriptions = {}      # id -> [cluster documents]
        self.forbidden = set()       # subscriptions the identity may not read
        self.management_groups = {}  # name -> [subscription ids]
        self.quota = {"perWindow": 15, "windowSeconds": 5}
        self._window = (0.0, 0)
        self.fleets = {}             # (rg, name) -> {"members": [...], "updateStrategies": {name: doc}}

    def seed_fleet(self, sub, spec):
        """An Azure Kubernetes Fleet Manager fleet: members (clusterResourceId, group) and update strategies."""
        base = f"/subscriptions/{sub}/resourceGroups/{spec['resourceGroup']}/providers/{CS}/fleets/{spec['name']}"
        members = [{"id": f"{base}/members/{m['name']}", "name": m["name"], "type": f"{CS}/fleets/members",
                    "properties": {"clusterResourceId": m["clusterResourceId"], "group": m.get("group"),
                                   "provisioningState": "Succeeded"}} for m in spec.get("members", [])]
        strategies = {s["name"].lower(): {"id": f"{base}/updateStrategies/{s['name']}", "name": s["name"],
                                          "type": f"{CS}/fleets/updateStrategies",
                                          "properties": {"provisioningState": "Succeeded",
                                                         "strategy": {"stages": s["stages"]}}}
                      for s in spec.get("updateStrategies", [])}
        self.fleets[(spec["resourceGroup"].lower(), spec["name"].lower())] = {"members": members,
                                                                              "updateStrategies": strategies}

    def fleet(self, rg, name):
        found = self.fleets.get((rg.lower(), name.lower()))
        if found is None:
            raise ServiceError(404, "ResourceNotFound", f"The Resource '{CS}/fleets/{name}' under resource group "
                                                        f"'{rg}' was not found.")
        return found

    def seed(self, spec):
        """{"subscriptions": [{"id", "clusters": [{"resourceGroup", "name", "location", "kubernetesVersion",
        "agentPools": [...]}] }] | "generate": {"subscriptions": N, "clusters": N, "pools": N}, "forbidden": [...],
        "managementGroups": {name: [ids]}, "graphQuota": {"perWindow", "windowSeconds"}}"""
        for sub in spec.get("subscriptions", []):
            self.subscriptions[sub["id"].lower()] = [
                cluster_document(sub["id"], c["resourceGroup"], c["name"], c.get("location", "eastus"),
                                 c.get("kubernetesVersion", "1.33.5"), c["agentPools"]) for c in sub.get("clusters", [])]
        generate = spec.get("generate")
        if generate:
            skus = ["Ubuntu", "AzureLinux", "Ubuntu", "AzureLinux3", "Windows2022"]
            for s in range(generate["subscriptions"]):
                sub = f"{generate.get('prefix', 'f1ee7000')}-0000-0000-0000-{s:012d}"
                self.subscriptions[sub] = [cluster_document(
                    sub, f"rg{c % 4}", f"aks{c}", "eastus", "1.33.5" if c % 3 else "1.30.4",
                    [{"name": f"np{p}", "mode": "System" if p == 0 else "User",
                      "osType": "Windows" if skus[p % 5].startswith("Windows") else "Linux", "osSKU": skus[p % 5],
                      "vmSize": "Standard_NC24ads_A100_v4" if p == 4 and c % 2 else "Standard_D4ds_v5", "count": 3}
                     for p in range(generate["pools"])]) for c in range(generate["clusters"])]
        self.forbidden |= {s.lower() for s in spec.get("forbidden", [])}
        self.management_groups.update({k: [s.lower() for s in v] for k, v in spec.get("managementGroups", {}).items()})
        if "graphQuota" in spec:
            self.quota.update(spec["graphQuota"])
            self._window = (0.0, 0)

    def reset(self):
        self.__init__()

    # ---- Resource Graph ------------------------------------------------------------------
    def take_quota(self):
        """(remaining, resets-after seconds) after this request, or ServiceError 429 past the quota."""
        now = time.monotonic()
        start, used = self._window
        if now - start >= self.quota["windowSeconds"]:
            start, used = now, 0
        resets = max(0.0, self.quota["windowSeconds"] - (now - start))
        if used >= self.quota["perWindow"]:
            error = ServiceError(429, "RateLimiting", "Please provide below info when asking for support: the "
                                                      "user quota of Resource Graph queries was exceeded.")
            error.retry_after = max(1, int(resets + 0.999))
            raise error
        self._window = (start, used + 1)
        return self.quota["perWindow"] - used - 1, resets

    def query(self, body, own_clusters, own_subscription):
        subscriptions = [s.lower() for s in body.get("subscriptions") or []]
        for group in body.get("managementGroups") or []:
            if group not in self.management_groups:
                raise ServiceError(400, "BadRequest", f"Management group '{group}' was not found or cannot be read.")
            subscriptions += self.management_groups[group]
        if not subscriptions:
            raise ServiceError(400, "BadRequest", "Give subscriptions or managementGroups to query.")
        # Resource Graph leaves out, without an error, what the caller may not read (or what does not exist), and
        # answers 403 when that is every subscription of the request.
        readable = [sub for sub in dict.fromkeys(subscriptions) if sub not in self.forbidden and
                    (sub == own_subscription or sub in self.subscriptions)]
        evaluate(body.get("query", ""), {"resources": [], "resourcecontainers": []})  # a bad query is a 400 first
        if not readable:
            raise ServiceError(403, "AuthorizationFailed", "The client does not have authorization to perform "
                                                           "action 'Microsoft.ResourceGraph/resources/read' over any "
                                                           "of the subscriptions of the request.")
        table = body.get("query", "").split("|")[0].strip().lower()
        tables = {"resources": [], "resourcecontainers": []}
        for sub in readable:
            if table == "resources":  # copied only for a query of them: a fleet's clusters are thousands
                docs = own_clusters if sub == own_subscription else self.subscriptions.get(sub, [])
                tables["resources"] += [dict(copy.deepcopy(d), subscriptionId=sub,
                                             resourceGroup=d.get("resourceGroup") or d["id"].split("/")[4])
                                        for d in docs]
            tables["resourcecontainers"].append({"id": f"/subscriptions/{sub}", "name": sub, "subscriptionId": sub,
                                                 "type": "microsoft.resources/subscriptions"})
        rows = evaluate(body.get("query", ""), tables)
        options = body.get("options") or {}
        top = min(int(options.get("$top", 100)), PAGE_LIMIT)
        skip = int(options.get("$skip", 0))
        if options.get("$skipToken"):
            skip = json.loads(base64.b64decode(options["$skipToken"]))["skip"]
        page = rows[skip:skip + top]
        result = {"totalRecords": len(rows), "count": len(page), "resultTruncated": "false", "data": page,
                  "facets": []}
        if skip + top < len(rows):
            result["$skipToken"] = base64.b64encode(json.dumps({"skip": skip + top}).encode()).decode()
        return result


_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def _path(row, path):
    value = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _expression(row, text):
    text = text.strip()
    match = re.match(r"^tostring\((.+)\)$", text)
    if match:
        value = _expression(row, match.group(1))
        return "" if value is None else (value if isinstance(value, str) else json.dumps(value))
    if _PATH.match(text):
        return _path(row, text)
    raise ServiceError(400, "BadRequest", f"Query is invalid: the emulator cannot evaluate the expression {text!r}.")


def evaluate(query, tables):
    """The rows of `query` over `tables` ({lower-case table name: rows}): Resources and ResourceContainers."""
    stages = [s.strip() for s in query.split("|")]
    if not stages or stages[0].lower() not in tables:
        raise ServiceError(400, "BadRequest", f"Query is invalid: unknown table {stages[0]!r}; use Resources or "
                                              "ResourceContainers.")
    rows = tables[stages[0].lower()]
    for stage in stages[1:]:
        operator = stage.split(None, 1)[0].lower() if stage else ""
        argument = stage[len(operator):].strip()
        if operator == "where":
            match = re.match(r"^(\w+)\s*=~\s*'([^']*)'$", argument)
            if not match:
                raise ServiceError(400, "BadRequest", f"Query is invalid: unsupported where clause {argument!r}.")
            rows = [r for r in rows if str(r.get(match.group(1), "")).lower() == match.group(2).lower()]
        elif operator == "mv-expand":
            name, _, path = (part.strip() for part in argument.partition("="))
            rows = [dict(r, **{name: item}) for r in rows for item in (_path(r, path) or [])]
        elif operator == "project":
            columns = [c.strip() for c in argument.split(",")]
            projected = []
            for row in rows:
                out = {}
                for column in columns:
                    name, equals, expression = (p.strip() for p in column.partition("="))
                    out[name] = _expression(row, expression if equals else name)
                projected.append(out)
            rows = projected
        elif operator == "order":
            match = re.match(r"^by\s+(\w+)(\s+(asc|desc))?$", argument, re.IGNORECASE)
            if not match:
                raise ServiceError(400, "BadRequest", f"Query is invalid: unsupported order clause {argument!r}.")
            rows = sorted(rows, key=lambda r: str(r.get(match.group(1))),
                          reverse=(match.group(3) or "asc").lower() == "desc")
        else:
            raise ServiceError(400, "BadRequest", f"Query is invalid: the emulator does not know the operator "
                                                  f"{operator!r}.")
    return rows
