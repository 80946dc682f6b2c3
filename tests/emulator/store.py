# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The emulator's state: resource groups, managed clusters, agent pools and operations.

Plain data and the service's bookkeeping (ETags, provisioning states, operations in
flight). No HTTP here: `server.py` turns requests into calls on a `Store`.
"""
import copy
import datetime
import time
import uuid

from .compute import Compute, pool_nodes, surge_nodes
from .rules import (DEFAULT_KUBERNETES_VERSION, ServiceError, validate_cluster_name, validate_pool,
                    parse_version)

SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000a2a1"
TENANT_ID = "00000000-0000-0000-0000-0000000e1a7e"
CS = "Microsoft.ContainerService"
READ_ONLY_POOL_PROPERTIES = ("provisioningState", "eTag", "currentOrchestratorVersion", "nodeImageVersion",
                             "powerState")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def new_etag():
    return str(uuid.uuid4())


def not_found_cluster(rg, name):
    return ServiceError(404, "ResourceNotFound",
                        f"The Resource '{CS}/managedClusters/{name}' under resource group '{rg}' was not found. "
                        "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def not_found_group(rg):
    return ServiceError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def precondition_failed():
    return ServiceError(412, "PreconditionFailed",
                        "Operation failed because the resource's ETag did not match the request's condition.")


def check_conditions(current_etag, if_match, if_none_match):
    """Apply If-Match / If-None-Match against the stored ETag (None when absent)."""
    if if_none_match is not None:
        if if_none_match.strip() == "*" and current_etag is not None:
            raise precondition_failed()
    if if_match is not None:
        wanted = if_match.strip()
        if current_etag is None:
            raise precondition_failed()
        if wanted != "*" and wanted.strip('"') != current_etag:
            raise precondition_failed()


class Operation:
    def __init__(self, kind, location, rg, cluster, pool=None):
        self.id = str(uuid.uuid4())
        self.kind = kind            # create | update | upgrade | delete
        self.location = location
        self.rg, self.cluster, self.pool = rg, cluster, pool
        self.status = "InProgress"
        self.start = utcnow()
        self.start_epoch = time.time()
        self.end = None
        self.end_epoch = None
        self.error = None
        self.outcome = "Succeeded"  # what it will end as (a fault can change it)

    def document(self):
        doc = {"name": self.id, "status": self.status, "startTime": self.start}
        if self.end:
            doc["endTime"] = self.end
        if self.error:
            doc["error"] = self.error
        return doc

    def summary(self):
        return {"id": self.id, "kind": self.kind, "resourceGroup": self.rg, "cluster": self.cluster,
                "pool": self.pool, "status": self.status, "startTime": self.start, "endTime": self.end,
                "startEpoch": self.start_epoch, "endEpoch": self.end_epoch}


class Cluster:
    def __init__(self, rg, name, doc):
        self.rg = rg
        self.name = name
        self.doc = doc            # everything but agentPoolProfiles
        self.pools = {}           # name -> properties (without name)
        self.operation = None     # the cluster-level operation in flight
        self.pool_operations = {}  # pool name -> operation in flight

    @property
    def kubernetes_version(self):
        return self.doc["properties"].get("kubernetesVersion")


class Store:
    def __init__(self):
        self.reset()

    def reset(self):
        self.groups = {}
        self.clusters = {}
        self.operations = {}
        self.compute = Compute()

    def pools_in(self, location):
        """[(pool properties, surge nodes held)] of every pool in a location, for usage and quota."""
        found = []
        for cluster in self.clusters.values():
            if cluster.doc.get("location", "").lower() != location.lower():
                continue
            for name, props in cluster.pools.items():
                running = cluster.pool_operations.get(name)
                found.append((props, surge_nodes(props) if running and running.kind == "upgrade" else 0))
        return found

    def _check_quota(self, cluster, existing, validated):
        if existing is None:
            need = pool_nodes(validated)
        elif validated["osSKU"] != existing.get("osSKU"):
            need = [(size, surge_nodes(validated)) for size, _ in pool_nodes(validated)[:1]]
        else:
            return
        self.compute.check_quota(cluster.doc["location"], self.pools_in(cluster.doc["location"]), need)

    # ---- resource groups -------------------------------------------------------------
    def group(self, rg):
        found = self.groups.get(rg.lower())
        if not found:
            raise not_found_group(rg)
        return found

    def put_group(self, rg, body):
        existing = self.groups.get(rg.lower())
        if not body.get("location") and not existing:
            raise ServiceError(400, "LocationRequired", "The location property is required for this definition.")
        doc = existing or {
            "id": f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}", "name": rg,
            "type": "Microsoft.Resources/resourceGroups", "properties": {"provisioningState": "Succeeded"}}
        doc["location"] = body.get("location") or doc["location"]
        if "tags" in body:
            doc["tags"] = body["tags"] or {}
        self.groups[rg.lower()] = doc
        return doc, existing is None

    def delete_group(self, rg):
        if rg.lower() not in self.groups:
            return False
        del self.groups[rg.lower()]
        for key in [k for k in self.clusters if k[0] == rg.lower()]:
            del self.clusters[key]
        return True

    # ---- clusters --------------------------------------------------------------------
    def cluster(self, rg, name):
        self.group(rg)
        found = self.clusters.get((rg.lower(), name.lower()))
        if not found:
            raise not_found_cluster(rg, name)
        return found

    def cluster_document(self, cluster):
        doc = copy.deepcopy(cluster.doc)
        doc["properties"]["agentPoolProfiles"] = [  # each with its own eTag, as the real service sends it
            dict({"name": name}, **copy.deepcopy(props)) for name, props in cluster.pools.items()]
        return doc

    def pool_document(self, cluster, name):
        props = copy.deepcopy(cluster.pools[name])
        return {"id": f"{cluster.doc['id']}/agentPools/{name}", "name": name,
                "type": f"{CS}/managedClusters/agentPools", "properties": props}

    def list_clusters(self, rg=None):
        if rg is not None:
            self.group(rg)
        return [self.cluster_document(c) for (g, _), c in self.clusters.items() if rg is None or g == rg.lower()]

    def _busy(self, cluster, pool=None):
        """409 while an operation runs on the same cluster, or on the same pool."""
        running = cluster.operation
        if running is None and pool is not None:
            running = cluster.pool_operations.get(pool)
        if running is None and pool is None and cluster.pool_operations:
            running = next(iter(cluster.pool_operations.values()))
        if running is not None:
            what = running.pool or cluster.name
            state = cluster.pools.get(what, {}).get("provisioningState") if running.pool else \
                cluster.doc["properties"].get("provisioningState")
            scope = "agentpool" if running.pool else "managed cluster"
            raise ServiceError(409, "OperationNotAllowed",
                               f"Operation is not allowed: Another {scope} operation ({what} - {state}) is in "
                               "progress, please wait for it to finish before starting a new operation. See "
                               "https://aka.ms/aks-pending-operation for more details")

    def put_cluster(self, rg, name, body, if_match=None, if_none_match=None):
        group = self.group(rg)
        validate_cluster_name(name)
        existing = self.clusters.get((rg.lower(), name.lower()))
        check_conditions(existing.doc["eTag"] if existing else None, if_match, if_none_match)
        if existing:
            self._busy(existing)
        props = dict(body.get("properties") or {})
        profiles = props.pop("agentPoolProfiles", None) or []
        version = props.get("kubernetesVersion") or (existing.kubernetes_version if existing else
                                                      DEFAULT_KUBERNETES_VERSION)
        parse_version(version)
        props["kubernetesVersion"] = version
        if existing is None:
            if not profiles:
                raise ServiceError(400, "InvalidParameter",
                                   "The value of parameter agentPoolProfiles is invalid: at least one agent pool "
                                   "is required.", "agentPoolProfiles")
        pools = dict(existing.pools) if existing else {}
        for profile in profiles:
            profile = {k: v for k, v in profile.items() if k not in READ_ONLY_POOL_PROPERTIES}
            pool_name = profile.pop("name", None)
            profile.setdefault("orchestratorVersion", version)
            pools[pool_name] = validate_pool(pool_name, profile, version, existing=pools.get(pool_name),
                                             prefix="agentPoolProfile")
        if not any(p["mode"] == "System" for p in pools.values()):
            raise ServiceError(400, "InvalidParameter",
                               "A managed cluster must have at least one agent pool with mode System.",
                               "agentPoolProfiles")
        if existing is None:
            if "identity" not in body and "servicePrincipalProfile" not in props:
                raise ServiceError(400, "InvalidParameter",
                                   "The managed cluster needs an identity or a service principal profile.",
                                   "identity")
            location = body.get("location") or group["location"]
            props.setdefault("dnsPrefix", f"{name[:30]}-{rg[:16]}".replace("_", "-"))
            props.setdefault("nodeResourceGroup", f"MC_{rg}_{name}_{location}")
            doc = {"id": f"/subscriptions/{SUBSCRIPTION_ID}/resourcegroups/{rg}/providers/{CS}/managedClusters/{name}",
                   "name": name, "type": f"{CS}/ManagedClusters", "location": location,
                   "sku": body.get("sku") or {"name": "Base", "tier": "Free"}}
            identity = body.get("identity")
            if identity and identity.get("type") == "SystemAssigned":
                identity = dict(identity, principalId=str(uuid.uuid4()), tenantId=TENANT_ID)
            if identity:
                doc["identity"] = identity
            cluster = Cluster(rg, name, doc)
            kind = "create"
        else:
            cluster = existing
            doc = cluster.doc
            props = dict(doc["properties"], **props)
            kind = "update"
        props["fqdn"] = f"{props['dnsPrefix']}.hcp.{doc['location']}.azmk8s.io"
        props["currentKubernetesVersion"] = version
        props["provisioningState"] = "Creating" if kind == "create" else "Updating"
        props["powerState"] = {"code": "Running"}
        doc["properties"] = props
        doc["tags"] = body.get("tags", doc.get("tags")) or {}
        doc["eTag"] = new_etag()
        for pool_props in pools.values():
            pool_props["provisioningState"] = props["provisioningState"]
            pool_props["eTag"] = new_etag()
        cluster.pools = pools
        self.clusters[(rg.lower(), name.lower())] = cluster
        operation = self._start(Operation(kind, doc["location"], rg, name))
        cluster.operation = operation
        return self.cluster_document(cluster), kind == "create", operation

    def delete_cluster(self, rg, name):
        self.group(rg)
        cluster = self.clusters.get((rg.lower(), name.lower()))
        if cluster is None:
            return None
        self._busy(cluster)
        cluster.doc["properties"]["provisioningState"] = "Deleting"
        operation = self._start(Operation("delete", cluster.doc["location"], rg, name))
        cluster.operation = operation
        return operation

    # ---- agent pools -----------------------------------------------------------------
    def pool(self, rg, cluster_name, name):
        cluster = self.cluster(rg, cluster_name)
        if name not in cluster.pools:
            raise ServiceError(404, "NotFound",
                               f"Could not find agent pool '{name}' in managed cluster '{cluster_name}'.")
        return cluster

    def put_pool(self, rg, cluster_name, name, body, if_match=None, if_none_match=None):
        cluster = self.cluster(rg, cluster_name)
        existing = cluster.pools.get(name)
        check_conditions(existing.get("eTag") if existing else None, if_match, if_none_match)
        self._busy(cluster, name)
        props = dict(body.get("properties") or {})
        for key in READ_ONLY_POOL_PROPERTIES:
            props.pop(key, None)
        if existing is None:
            props.setdefault("orchestratorVersion", cluster.kubernetes_version)
        validated = validate_pool(name, props, cluster.kubernetes_version, existing=existing,
                                  prefix="agentPoolProfile")
        if existing is not None and existing["mode"] == "System" and validated["mode"] != "System" and \
                not any(p["mode"] == "System" for n, p in cluster.pools.items() if n != name):
            raise ServiceError(400, "OperationNotAllowed", "There has to be at least one system agent pool.")
        self._check_quota(cluster, existing, validated)
        if existing is None:
            kind, state = "create", "Creating"
        elif validated["osSKU"] != existing.get("osSKU"):
            kind, state = "upgrade", "Upgrading"
        else:
            kind, state = "update", "Updating"
        validated["provisioningState"] = state
        validated["eTag"] = new_etag()
        cluster.pools[name] = validated
        operation = self._start(Operation(kind, cluster.doc["location"], rg, cluster.name, name))
        cluster.pool_operations[name] = operation
        return self.pool_document(cluster, name), existing is None, operation

    def delete_pool(self, rg, cluster_name, name, if_match=None):
        cluster = self.cluster(rg, cluster_name)
        existing = cluster.pools.get(name)
        if existing is None:
            return None
        check_conditions(existing.get("eTag"), if_match, None)
        self._busy(cluster, name)
        if existing["mode"] == "System" and \
                not any(p["mode"] == "System" for n, p in cluster.pools.items() if n != name):
            raise ServiceError(400, "OperationNotAllowed", "There has to be at least one system agent pool.")
        existing["provisioningState"] = "Deleting"
        operation = self._start(Operation("delete", cluster.doc["location"], rg, cluster.name, name))
        cluster.pool_operations[name] = operation
        return operation

    # ---- operations ------------------------------------------------------------------
    def _start(self, operation):
        self.operations[operation.id] = operation
        return operation

    def finish(self, operation_id):
        """End an operation as planned and apply its effect to the resource."""
        operation = self.operations[operation_id]
        if operation.status != "InProgress":
            return
        operation.status = operation.outcome
        operation.end = utcnow()
        operation.end_epoch = time.time()
        if operation.outcome == "Failed":
            operation.error = {"code": "InternalOperationError",
                               "message": f"The {operation.kind} operation on "
                                          f"{operation.pool or operation.cluster} failed (injected by the emulator).",
                               "details": []}
        cluster = self.clusters.get((operation.rg.lower(), operation.cluster.lower()))
        if cluster is None:
            return
        if operation.pool is None:
            cluster.operation = None
            if operation.kind == "delete" and operation.outcome == "Succeeded":
                del self.clusters[(operation.rg.lower(), operation.cluster.lower())]
                return
            cluster.doc["properties"]["provisioningState"] = operation.outcome
            for props in cluster.pools.values():
                props["provisioningState"] = operation.outcome
            return
        cluster.pool_operations.pop(operation.pool, None)
        if operation.pool not in cluster.pools:
            return
        if operation.kind == "delete" and operation.outcome == "Succeeded":
            del cluster.pools[operation.pool]
            return
        cluster.pools[operation.pool]["provisioningState"] = operation.outcome

    # ---- seeding ---------------------------------------------------------------------
    def seed(self, spec):
        """Create resource groups and clusters at once, already Succeeded (admin API).

        A cluster is built from `agentPools` (validated, with the service's defaults, as a create would), or
        from `body`, a cluster body as the real service returned it, kept verbatim. `agentPoolBodies` are agent
        pool bodies as the real service returned them (GET of an agent pool), kept verbatim, unknown fields
        and all: only `id` and `name` are rewritten to place them in this cluster (and an `eTag` is added
        where the recorded api-version had none, as api 2026-06-01 always has one)."""
        for group in spec.get("resourceGroups", []):
            self.put_group(group["name"], {"location": group.get("location", "eastus"), "tags": group.get("tags")})
        for item in spec.get("clusters", []):
            rg = item["resourceGroup"]
            if rg.lower() not in self.groups:
                self.put_group(rg, {"location": item.get("location", "eastus")})
            if "body" in item:
                cluster = self._seed_verbatim_cluster(rg, item["name"], item["body"])
            else:
                body = {"location": item.get("location"), "identity": {"type": "SystemAssigned"},
                        "tags": item.get("tags"),
                        "properties": {"kubernetesVersion": item.get("kubernetesVersion",
                                                                     DEFAULT_KUBERNETES_VERSION),
                                       "agentPoolProfiles": item["agentPools"]}}
                _, _, operation = self.put_cluster(rg, item["name"], body)
                self.finish(operation.id)
                cluster = self.cluster(rg, item["name"])
            for pool in item.get("agentPoolBodies", []):
                props = copy.deepcopy(pool.get("properties") or {})
                props.setdefault("eTag", new_etag())
                cluster.pools[pool["name"]] = props

    def _seed_verbatim_cluster(self, rg, name, body):
        doc = copy.deepcopy(body)
        props = doc.setdefault("properties", {})
        profiles = props.pop("agentPoolProfiles", None) or []
        doc["id"] = f"/subscriptions/{SUBSCRIPTION_ID}/resourcegroups/{rg}/providers/{CS}/managedClusters/{name}"
        doc["name"] = name
        doc.setdefault("eTag", new_etag())
        cluster = Cluster(rg, name, doc)
        for profile in profiles:
            profile = copy.deepcopy(profile)
            cluster.pools[profile.pop("name")] = dict(profile, eTag=profile.get("eTag") or new_etag())
        self.clusters[(rg.lower(), name.lower())] = cluster
        return cluster
