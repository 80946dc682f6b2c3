# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""HTTP front of the emulator: Entra ID sign-in, ARM, Microsoft.ContainerService, admin API.

Built on aiohttp. Every request outside `/_emulator/` goes through one middleware that
logs it (without secrets), applies injected faults, and checks the bearer token.
"""
import asyncio
import base64
import json
import re
import secrets
import time
import uuid
from urllib.parse import urlencode

from aiohttp import web

from .graph import Fleet
from .kube import KUBE_ROUTES, KubeApi, KubeRoutes
from .network import NETWORK_ROUTES, Network, NetworkRoutes, check_cluster_body, fill_cluster_response
from .rules import ServiceError
from .store import CS, SUBSCRIPTION_ID, TENANT_ID, Store

CLIENT_OBJECT_ID = "5f0d1c36-0000-0000-0000-0000000c11e7"
SECRET_FIELDS = ("client_secret", "client_assertion", "refresh_token", "password", "assertion")
SECRET_HEADERS = ("authorization", "cookie", "x-ms-authorization-auxiliary")


def _b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _whole_seconds(value):
    """Retry-After as the service sends it: whole seconds (the SDK reads it as an int), or None for absent."""
    if value is None or str(value).lower() == "none":
        return None
    if not str(value).isdigit():
        raise ServiceError(400, "InvalidConfig", f"Retry-After must be whole seconds, not {value!r}.")
    return str(value)


class Fault:
    """An injected fault for the next `count` requests matching `method` and `path` (a regex)."""

    KINDS = ("throttle", "error", "drop", "conflict", "forbidden", "fail_operation", "cancel_operation")

    def __init__(self, spec):
        self.kind = spec["kind"]
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {', '.join(self.KINDS)}")
        self.method = (spec.get("method") or "").upper() or None
        self.path = re.compile(spec.get("path") or "", re.IGNORECASE)
        self.count = int(spec.get("count", 1))
        self.skip = int(spec.get("skip", 0))  # matching requests to let through before the fault applies
        self.retry_after = spec.get("retry_after", 1)
        self.id = str(uuid.uuid4())

    def matches(self, request):
        if self.method and request.method != self.method:
            return False
        if self.kind in ("fail_operation", "cancel_operation") and request.method not in ("PUT", "DELETE"):
            return False
        return bool(self.path.search(request.path))


class Emulator(NetworkRoutes, KubeRoutes):
    def __init__(self, operation_seconds=0.0, retry_after="1"):
        self.store = Store()
        self.network = Network(SUBSCRIPTION_ID, TENANT_ID)  # virtual networks, identities, role assignments
        self.kube = KubeApi(self)  # each cluster's Kubernetes API server, and the kubeconfigs AKS hands out
        self.fleet = Fleet()
        self.operation_seconds = float(operation_seconds)
        self.retry_after = _whole_seconds(retry_after)  # None: send no Retry-After, as the real service
        self.log = []
        self.faults = []
        self.tokens = set()
        self.base_url = None
        self._seq = 0
        # AKS's budget for operation-status reads: a bucket of 200, refilled at 2 per second per subscription
        self.status_budget = {"perSecond": 2.0, "burst": 200.0}
        self._status_tokens = {}  # subscription -> (tokens, stamp)
        self.page_size = None  # items per page of every ARM list; None: each list's own default (as ARM varies)

    # ---- plumbing ----------------------------------------------------------------------
    def app(self):
        app = web.Application(middlewares=[self.middleware], client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    def _url(self, path):
        return f"{self.base_url}{path}"

    def _paged(self, request, items, default=100):
        """A page of an ARM list, as ARM pages: `value`, and a `nextLink` (the same query with a `$skiptoken`) while
        items are left. POST /_emulator/config {"pageSize": N} (or `pageSize` in a seed) makes every list page by N."""
        size = self.page_size or default
        skip = int(request.query.get("$skiptoken", "0") or 0)
        page = {"value": items[skip:skip + size]}
        if skip + size < len(items):
            query = dict(request.query, **{"$skiptoken": str(skip + size)})
            page["nextLink"] = self._url(f"{request.path}?{urlencode(query)}")
        return web.json_response(page)

    @web.middleware
    async def middleware(self, request, handler):
        if request.path.startswith("/_emulator/"):
            try:
                return await handler(request)
            except ServiceError as error:
                return self._error(error)
        raw = await request.read()
        self._seq += 1
        entry = {"seq": self._seq, "start": time.time(), "method": request.method, "path": request.path,
                 "query": dict(request.query), "headers": self._safe_headers(request.headers),
                 "body": self._safe_body(raw, request.content_type)}
        self.log.append(entry)
        fault = self._take_fault(request)
        if fault is not None:
            entry["fault"] = fault.kind
        if fault is not None and fault.kind in ("throttle", "error", "conflict", "drop", "forbidden"):
            response = self._fault_response(request, fault)
        else:
            request["fault"] = fault
            try:
                self._authorize(request)
                response = await handler(request)
            except ServiceError as error:
                response = self._error(error)
        entry["status"] = response.status if response is not None else "dropped"
        entry["end"] = time.time()
        if response is None:
            request.transport.abort()
            raise asyncio.CancelledError()
        response.headers["x-ms-request-id"] = str(uuid.uuid4())
        return response

    def _take_fault(self, request):
        for fault in self.faults:
            if fault.count > 0 and fault.matches(request):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.count -= 1
                return fault
        return None

    def _fault_response(self, request, fault):
        if fault.kind == "drop":
            return None
        if fault.kind == "throttle":
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "Too many requests; retry after the interval "
                                                                 "given in the Retry-After header."}},
                status=429, headers={"Retry-After": str(fault.retry_after)})
        if fault.kind == "forbidden":
            return self._error(ServiceError(
                403, "AuthorizationFailed",
                f"The client '{CLIENT_OBJECT_ID}' does not have authorization to perform action on scope "
                f"'{request.path}' or the scope is invalid (injected by the emulator)."))
        if fault.kind == "conflict":
            return self._error(ServiceError(
                409, "OperationNotAllowed",
                "Operation is not allowed: Another agentpool operation (injected - Updating) is in progress, "
                "please wait for it to finish before starting a new operation. See "
                "https://aka.ms/aks-pending-operation for more details"))
        return self._error(ServiceError(500, "InternalServerError",
                                        "An internal error occurred (injected by the emulator)."))

    @staticmethod
    def _safe_headers(headers):
        return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}

    @staticmethod
    def _safe_body(raw, content_type):
        if not raw:
            return None
        text = raw.decode("utf-8", "replace")
        if content_type == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qsl
            return {k: ("<redacted>" if k in SECRET_FIELDS else v) for k, v in parse_qsl(text)}
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _authorize(self, request):
        path = request.path.lower()
        if path.startswith(("/subscriptions", "/tenants", "/providers")):
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer ") or header[7:] not in self.tokens:
                raise ServiceError(401, "AuthenticationFailed",
                                   "Authentication failed. The 'Authorization' header is missing or invalid.")

    @staticmethod
    def _error(error):
        return web.json_response(error.body(), status=error.status)

    def _operation_headers(self, operation, delete=False):
        base = f"/subscriptions/{SUBSCRIPTION_ID}/providers/{CS}/locations/{operation.location}"
        api = "api-version=2026-06-01"
        headers = {"Azure-AsyncOperation": self._url(f"{base}/operations/{operation.id}?{api}")}
        if delete:
            headers["Location"] = self._url(f"{base}/operationresults/{operation.id}?{api}")
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def _schedule(self, operation, fault):
        if fault is not None and fault.kind == "fail_operation":
            operation.outcome = "Failed"
        elif fault is not None and fault.kind == "cancel_operation":
            operation.outcome = "Canceled"
        asyncio.get_running_loop().call_later(self.operation_seconds, self.store.finish, operation.id)

    @staticmethod
    async def _json(request):
        raw = await request.read()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ServiceError(400, "InvalidRequestContent", f"The request content was invalid: {exc}") from exc
        if not isinstance(body, dict):
            raise ServiceError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        return body

    # ---- routing -----------------------------------------------------------------------
    ROUTES = [
        (r"/_emulator/(?P<action>[a-z]+)", "admin"),
        (r"/(?P<tenant>[^/]+)(?:/v2\.0)?/\.well-known/openid-configuration", "openid"),
        (r"/common/discovery/instance", "instance_discovery"),
        (r"/(?P<tenant>[^/]+)/oauth2(?:/v2\.0)?/token", "token"),
        (r"/tenants", "tenants"),
        (r"/providers/microsoft\.resourcegraph/resources", "graph"),
        (r"/subscriptions", "subscriptions"),
        (r"/subscriptions/(?P<sub>[^/]+)", "subscription"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups", "groups"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)", "group"),
        (r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.containerservice/managedclusters", "all_clusters"),
        (r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.containerservice/locations/(?P<loc>[^/]+)"
         r"/(?P<which>operations|operationresults)/(?P<op>[^/]+)", "operation"),
        (r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.containerservice/locations/(?P<loc>[^/]+)"
         r"/kubernetesversions", "versions"),
        (r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.compute/locations/(?P<loc>[^/]+)/usages", "usages"),
        (r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.compute/skus", "skus"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.containerservice"
         r"/fleets/(?P<fleet>[^/]+)/members", "fleet_members"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.containerservice"
         r"/fleets/(?P<fleet>[^/]+)/updatestrategies/(?P<strategy>[^/]+)", "fleet_strategy"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.containerservice"
         r"/managedclusters", "clusters"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.containerservice"
         r"/managedclusters/(?P<cluster>[^/]+)", "cluster"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.containerservice"
         r"/managedclusters/(?P<cluster>[^/]+)/agentpools", "pools"),
        (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.containerservice"
         r"/managedclusters/(?P<cluster>[^/]+)/agentpools/(?P<pool>[^/]+)", "pool"),
    ] + NETWORK_ROUTES + KUBE_ROUTES
    _COMPILED = [(re.compile(pattern + "/?$", re.IGNORECASE), name) for pattern, name in ROUTES]

    async def dispatch(self, request):
        for pattern, name in self._COMPILED:
            match = pattern.match(request.path)
            if match:
                params = match.groupdict()
                sub = (params.get("sub") or "").lower()
                if sub and sub in self.fleet.forbidden:
                    raise ServiceError(403, "AuthorizationFailed", f"The client does not have authorization to read "
                                                                   f"subscription '{params['sub']}'.")
                if sub and sub in self.fleet.subscriptions and name in ("all_clusters", "subscription"):
                    return await getattr(self, f"on_{name}_{request.method.lower()}")(request, **params)
                if params.get("sub") and params["sub"].lower() != SUBSCRIPTION_ID:
                    raise ServiceError(404, "SubscriptionNotFound",
                                       f"The subscription '{params['sub']}' could not be found.")
                handler = getattr(self, f"on_{name}_{request.method.lower()}", None)
                if handler is None:
                    raise ServiceError(405, "MethodNotAllowed",
                                       f"The requested method {request.method} is not allowed for {request.path}.")
                return await handler(request, **params)
        raise ServiceError(404, "InvalidResourceType",
                           f"The resource type for '{request.path}' could not be found in the emulator.")

    # ---- sign-in -----------------------------------------------------------------------
    async def on_openid_get(self, request, tenant):
        base = self._url(f"/{tenant}")
        return web.json_response({
            "issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys", "tenant_region_scope": "NA",
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"]})

    async def on_instance_discovery_get(self, request):
        host = self.base_url.split("://", 1)[1]
        return web.json_response({"tenant_discovery_endpoint":
                                  self._url("/common/v2.0/.well-known/openid-configuration"),
                                  "metadata": [{"preferred_network": host, "preferred_cache": host,
                                                "aliases": [host]}]})

    async def on_token_post(self, request, tenant):
        form = await request.post()
        if form.get("grant_type") != "client_credentials" or not form.get("client_id") \
                or not (form.get("client_secret") or form.get("client_assertion")):
            return web.json_response({"error": "invalid_request", "error_description":
                                      "AADSTS900144: only client credentials are supported by the emulator."},
                                     status=400)
        tenant_id = TENANT_ID if tenant in ("organizations", "common") else tenant
        now = int(time.time())
        # the audience is the resource the scope names, as Entra ID issues it: ARM, or an application such as the
        # AKS server application (6dae42f8-.../.default) whose tokens a cluster's API server takes
        scope = (form.get("scope") or "https://management.core.windows.net//.default").split()[0]
        audience = scope[:-len("/.default")] if scope.endswith("/.default") else scope
        if audience.startswith("https://management."):
            audience = "https://management.core.windows.net/"
        claims = {"aud": audience, "iss": f"https://sts.emulator/{tenant_id}/",
                  "iat": now, "nbf": now, "exp": now + 3600, "tid": tenant_id, "appid": form["client_id"],
                  "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, form["client_id"])), "sub": form["client_id"],
                  "idtyp": "app", "ver": "1.0"}
        token = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.{secrets.token_urlsafe(32)}"
        self.tokens.add(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": token})

    # ---- ARM: subscriptions, tenants, resource groups ----------------------------------
    def _subscription(self):
        return {"id": f"/subscriptions/{SUBSCRIPTION_ID}", "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID, "displayName": "Emulated subscription", "state": "Enabled",
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "Internal_2014-09-01",
                                         "spendingLimit": "Off"}, "authorizationSource": "RoleBased"}

    async def on_subscriptions_get(self, request):
        others = [dict(self._subscription(), id=f"/subscriptions/{s}", subscriptionId=s, displayName=f"Fleet {s[-4:]}")
                  for s in self.fleet.subscriptions]
        return self._paged(request, [self._subscription()] + others)

    async def on_subscription_get(self, request, sub):
        if sub.lower() in self.fleet.subscriptions:
            return web.json_response(dict(self._subscription(), id=f"/subscriptions/{sub}", subscriptionId=sub))
        return web.json_response(self._subscription())

    async def on_tenants_get(self, request):
        return web.json_response({"value": [{"id": f"/tenants/{TENANT_ID}", "tenantId": TENANT_ID,
                                             "tenantCategory": "Home", "displayName": "Emulated tenant",
                                             "defaultDomain": "emulated.onmicrosoft.com"}]})

    async def on_groups_get(self, request, sub):
        return self._paged(request, list(self.store.groups.values()))

    async def on_group_get(self, request, sub, rg):
        return web.json_response(self.store.group(rg))

    async def on_group_head(self, request, sub, rg):
        return web.Response(status=204 if rg.lower() in self.store.groups else 404)

    async def on_group_put(self, request, sub, rg):
        doc, created = self.store.put_group(rg, await self._json(request))
        return web.json_response(doc, status=201 if created else 200)

    async def on_group_delete(self, request, sub, rg):
        return web.Response(status=200 if self.store.delete_group(rg) else 204)

    # ---- managed clusters --------------------------------------------------------------
    async def on_all_clusters_get(self, request, sub):
        """Every cluster of a subscription, its pools inline, ten to a page with nextLink, as ARM pages."""
        clusters = self.store.list_clusters() if sub.lower() == SUBSCRIPTION_ID else \
            self.fleet.subscriptions.get(sub.lower(), [])
        return self._paged(request, clusters, default=10)

    async def on_fleet_members_get(self, request, sub, rg, fleet):
        return self._paged(request, self.fleet.fleet(rg, fleet)["members"])

    async def on_fleet_strategy_get(self, request, sub, rg, fleet, strategy):
        found = self.fleet.fleet(rg, fleet)["updateStrategies"].get(strategy.lower())
        if found is None:
            raise ServiceError(404, "ResourceNotFound", f"Update strategy '{strategy}' of fleet '{fleet}' was not "
                                                        "found.")
        return web.json_response(found)

    async def on_graph_post(self, request):
        try:
            remaining, resets = self.fleet.take_quota()
        except ServiceError as error:
            response = self._error(error)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        body = await self._json(request)
        result = self.fleet.query(body, self.store.list_clusters(), SUBSCRIPTION_ID)
        hours, rest = divmod(int(resets), 3600)
        return web.json_response(result, headers={"x-ms-user-quota-remaining": str(remaining),
                                                  "x-ms-user-quota-resets-after":
                                                      f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"})

    async def on_clusters_get(self, request, sub, rg):
        return self._paged(request, self.store.list_clusters(rg))

    async def on_cluster_get(self, request, sub, rg, cluster):
        return web.json_response(self.store.cluster_document(self.store.cluster(rg, cluster)))

    async def on_cluster_put(self, request, sub, rg, cluster):
        body = await self._json(request)
        creating = (rg.lower(), cluster.lower()) not in self.store.clusters
        if creating:  # AKS's checks of networking, identity and operations fields, before anything is kept
            check_cluster_body(body, self.network)
        doc, created, operation = self.store.put_cluster(
            rg, cluster, body, request.headers.get("If-Match"), request.headers.get("If-None-Match"))
        if creating:  # what AKS adds: identity principal ids, the OIDC issuer URL, the fqdn or private fqdn, ...
            stored = self.store.clusters[(rg.lower(), cluster.lower())]
            fill_cluster_response(stored.doc, body, self.network, TENANT_ID)
            doc = self.store.cluster_document(stored)
        self._schedule(operation, request.get("fault"))
        return web.json_response(doc, status=201 if created else 200, headers=self._operation_headers(operation))

    async def on_cluster_delete(self, request, sub, rg, cluster):
        operation = self.store.delete_cluster(rg, cluster)
        if operation is None:
            return web.Response(status=204)
        self._schedule(operation, request.get("fault"))
        return web.Response(status=202, headers=self._operation_headers(operation, delete=True))

    # ---- agent pools -------------------------------------------------------------------
    async def on_pools_get(self, request, sub, rg, cluster):
        found = self.store.cluster(rg, cluster)
        return self._paged(request, [self.store.pool_document(found, name) for name in found.pools])

    async def on_pool_get(self, request, sub, rg, cluster, pool):
        return web.json_response(self.store.pool_document(self.store.pool(rg, cluster, pool), pool))

    async def on_pool_put(self, request, sub, rg, cluster, pool):
        body = await self._json(request)
        doc, created, operation = self.store.put_pool(
            rg, cluster, pool, body, request.headers.get("If-Match"), request.headers.get("If-None-Match"))
        self._schedule(operation, request.get("fault"))
        return web.json_response(doc, status=201 if created else 200, headers=self._operation_headers(operation))

    async def on_pool_delete(self, request, sub, rg, cluster, pool):
        operation = self.store.delete_pool(rg, cluster, pool, request.headers.get("If-Match"))
        if operation is None:
            return web.Response(status=204)
        self._schedule(operation, request.get("fault"))
        return web.Response(status=202, headers=self._operation_headers(operation, delete=True))

    # ---- compute facts and versions ----------------------------------------------------
    async def on_usages_get(self, request, sub, loc):
        usages = self.store.compute.usages_document(loc, self.store.pools_in(loc))["value"]
        return self._paged(request, usages, default=1000)  # Compute answers a region's usages on one page

    async def on_skus_get(self, request, sub):
        match = re.search(r"location\s+eq\s+'([^']+)'", request.query.get("$filter", ""), re.IGNORECASE)
        if not match:
            raise ServiceError(400, "InvalidFilter", "The emulator answers resource SKUs for one location: "
                                                     "$filter=location eq '<location>'.")
        plain, compressed = self.store.compute.catalogue_json(match.group(1))
        if "gzip" in request.headers.get("Accept-Encoding", ""):  # ARM compresses large bodies for clients that ask
            return web.Response(body=compressed, content_type="application/json", headers={"Content-Encoding": "gzip"})
        return web.Response(body=plain, content_type="application/json")

    async def on_versions_get(self, request, sub, loc):
        return web.json_response(self.store.compute.kubernetes_versions(loc))

    # ---- operations --------------------------------------------------------------------
    def _take_status_read(self, sub):
        """One operation-status read from the subscription's bucket; a 429 with Retry-After past the budget."""
        rate, burst = self.status_budget["perSecond"], self.status_budget["burst"]
        tokens, stamp = self._status_tokens.get(sub.lower(), (burst, time.monotonic()))
        now = time.monotonic()
        tokens = min(burst, tokens + (now - stamp) * rate)
        if tokens < 1:
            self._status_tokens[sub.lower()] = (tokens, now)
            wait = max(1, int((1 - tokens) / rate + 0.999))
            response = self._error(ServiceError(429, "Throttled", "The request was throttled: too many operation "
                                                                  "status reads for this subscription."))
            response.headers["Retry-After"] = str(wait)
            return response
        self._status_tokens[sub.lower()] = (tokens - 1, now)
        return None

    async def on_operation_get(self, request, sub, loc, which, op):
        throttled = self._take_status_read(sub)
        if throttled is not None:
            return throttled
        operation = self.store.operations.get(op)
        if operation is None:
            raise ServiceError(404, "NotFound", f"Operation '{op}' was not found.")
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        if which == "operationresults":
            if operation.status == "InProgress":
                return web.Response(status=202, headers=dict(headers, Location=str(request.url)))
            if operation.status == "Failed":
                return web.json_response({"error": operation.error}, status=500)
            return web.Response(status=204)
        if operation.status != "InProgress":
            headers = {}
        return web.json_response(operation.document(), headers=headers)

    # ---- admin API ---------------------------------------------------------------------
    async def on_admin_get(self, request, action):
        if action == "kube":
            status, body = await self.kube.admin("GET")
            return web.json_response(body, status=status)
        if action == "requests":
            return web.json_response(self.log)
        if action == "operations":
            return web.json_response([o.summary() for o in self.store.operations.values()])
        if action == "faults":
            return web.json_response([{"id": f.id, "kind": f.kind, "remaining": f.count} for f in self.faults])
        if action == "config":
            return web.json_response(self._config())
        if action == "health":
            return web.json_response({"status": "ok"})
        if action == "tokens":  # for tests that check no output ever shows one
            return web.json_response(sorted(self.tokens))
        raise ServiceError(404, "NotFound", f"No admin action {action}.")

    async def on_admin_post(self, request, action):
        body = await self._json(request)
        if action == "reset":
            self.page_size = None
            self.network.reset()
            await self.kube.reset()
            self.store.reset()
            self.fleet.reset()
            self.log.clear()
            self.faults.clear()
            return web.json_response({"status": "reset"})
        if action == "seed":
            if "pageSize" in body:
                self.page_size = int(body.pop("pageSize")) or None
            self.store.seed(body)
            return web.json_response({"status": "seeded"})
        if action == "faults":
            try:
                fault = Fault(body)
            except (KeyError, ValueError) as exc:
                raise ServiceError(400, "InvalidFault", str(exc)) from exc
            self.faults.append(fault)
            return web.json_response({"id": fault.id})
        if action == "kube":  # a cluster's Kubernetes objects and how its API server behaves
            status, answer = await self.kube.admin("POST", body)
            return web.json_response(answer, status=status)
        if action == "network":  # virtual networks with subnets, user-assigned identities, role assignments
            self.network.seed(body)
            return web.json_response({"status": "seeded"})
        if action == "fleetmanager":
            self.fleet.seed_fleet(SUBSCRIPTION_ID, body)
            return web.json_response({"status": "seeded"})
        if action == "fleet":
            self.fleet.seed(body)
            return web.json_response({"status": "seeded", "subscriptions": len(self.fleet.subscriptions)})
        if action == "compute":
            self.store.compute.configure(body)
            return web.json_response({"status": "configured"})
        if action == "config":
            if "operationSeconds" in body:
                self.operation_seconds = float(body["operationSeconds"])
            if "retryAfter" in body:
                self.retry_after = _whole_seconds(body["retryAfter"])
            if "statusReadsPerSecond" in body:
                self.status_budget["perSecond"] = float(body["statusReadsPerSecond"])
            if "statusBurst" in body:
                self.status_budget["burst"] = float(body["statusBurst"])
                self._status_tokens.clear()
            if "pageSize" in body:
                self.page_size = int(body["pageSize"] or 0) or None
            return web.json_response(self._config())
        raise ServiceError(404, "NotFound", f"No admin action {action}.")

    async def on_admin_delete(self, request, action):
        if action == "kube":
            status, body = await self.kube.admin("DELETE")
            return web.json_response(body, status=status)
        if action == "requests":
            self.log.clear()
        elif action == "faults":
            self.faults.clear()
        else:
            raise ServiceError(404, "NotFound", f"No admin action {action}.")
        return web.Response(status=204)

    def _config(self):
        return {"operationSeconds": self.operation_seconds, "retryAfter": self.retry_after,
                "statusReadsPerSecond": self.status_budget["perSecond"], "statusBurst": self.status_budget["burst"],
                "pageSize": self.page_size}
