# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""A read-only Kubernetes API server for each emulated managed cluster, and the credentials AKS gives for it.

Written from the Kubernetes API reference ("API concepts": collections, `limit` and `continue`,
label and field selectors; the `Status` kind of errors), not from the extension's client:
- `GET /api/v1/{nodes,pods}`, `GET /apis/policy/v1/poddisruptionbudgets`, `GET /apis/apps/v1/
  {daemonsets,deployments,statefulsets,replicasets}`, and the namespaced `.../namespaces/{ns}/...`;
  items in key order (namespace/name), without their own kind and apiVersion, as lists carry them.
- `limit` and `continue`: a continue token names the list's resourceVersion and the key to start
  after; with a selector a page holds up to `limit` matches and may be empty with a token still set;
  `remainingItemCount` only without selectors; a token from an older resourceVersion (the cluster
  re-seeded) or one that `expireContinue` expires answers 410 Expired; a token that does not decode,
  400. `labelSelector`: `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`. `fieldSelector`: `=`, `==`,
  `!=` on `metadata.name`, `metadata.namespace` and the kind's own fields (pods: `spec.nodeName`,
  `status.phase`, ...); any other field, 400 "field label not supported".
- An Accept of `application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` lists metadata
  only (PartialObjectMetadata items); one the server cannot serve (as=Table, protobuf alone), 406.
- Lists are sent as kube-apiserver sends them: compact JSON, each object serialized once (as the
  watch cache keeps an object's encoding), and gzip at level 1 when the answer is larger than
  128 KiB and the request's Accept-Encoding takes gzip (APIResponseCompression, on by default
  since 1.16: kubernetes#77449, level 1 since kubernetes#112299). The request log records the
  bytes as sent and their Content-Encoding.
- 401 Unauthorized without a token the cluster accepts: its local account tokens (unless local
  accounts are disabled), or, with managed Entra ID, an Entra token (issued by the emulator when it
  has one) whose audience is the AKS server application. 403 Forbidden for the kinds a seed forbids.
  405 for anything but GET: the API is read-only.

Each cluster's API server listens on its own port of 127.0.0.1, as a real cluster has its own
address: paths are the API's own (no prefix a client would have to know), a "server nobody
answers" is a port closed after it was found free, and a "server that never speaks" is a plain TCP
listener that accepts and stays silent. TLS comes from a certificate authority of the Kubernetes
side (a cluster CA, as AKS has, not the ARM one), so a client that trusted REQUESTS_CA_BUNDLE
instead of the kubeconfig's CA fails here; `wrongCa` hands out kubeconfigs with another CA.

server.py and __main__.py wire it in as follows:

1. State: `Emulator.__init__` sets `self.kube = KubeApi(self)` (it reads `self.tokens`, the tokens the emulator
   issued); `/_emulator/reset` awaits `self.kube.reset()`; the admin action `kube` (GET, POST, DELETE of
   `/_emulator/kube`) answers `status, body = await self.kube.admin(request.method, body)`: POST seeds (one cluster
   or {"clusters": [...]}), GET shows the clusters, the request log and the static tokens, DELETE resets;
   `__main__.serve` awaits `emulator.kube.close()` before `runner.cleanup()`.
2. Routes: `KubeRoutes` becomes a base class of `Emulator`, and `KUBE_ROUTES` is appended to `Emulator.ROUTES`
   (listClusterUserCredential and listClusterAdminCredential) before `_COMPILED` is built.
3. Tokens: the token endpoint sets `aud` from the `scope` it was asked for (`6dae42f8-.../.default` gives
   `6dae42f8-...`), so that the CLI's `get_raw_token(resource=AKS_SERVER_APP_ID)` gets a token this API accepts;
   an ARM token (audience management) is the "wrong audience" case and answers 401 here.

A seed: {"resourceGroup", "name", "nodes": [...], "pods": [...], "poddisruptionbudgets": [...],
"daemonsets": [...], "deployments": [...], "statefulsets": [...], "replicasets": [...] (objects as
the API returns them; `kube_objects` builds them), "forbidden": ["nodes", ...], "server": "up" |
"closed" | "silent", "wrongCa": bool, "expireContinue": n, "latencyMs": n and "mbps": n (each
answer waits for a round trip and for its bytes at that rate, as a server across a network would:
benchmarks only), and, without an emulator behind it,
"aadProfile" and "disableLocalAccounts" as ARM would show them}. `ThreadedKubeApi` runs one
in-process, on its own event loop thread, for unit tests and benchmarks.
"""
import asyncio
import base64
import bisect
import copy
import gzip
import json
import re
import secrets
import socket
import ssl
import threading
import time
import uuid

import trustme
import yaml
from aiohttp import web

AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
GZIP_THRESHOLD = 128 * 1024  # kube-apiserver compresses answers larger than this, when the client takes gzip
GZIP_MEMO_BYTES = 64 * 1024 * 1024  # answers whose gzip is kept (a bench's whole cluster is some 15 MB)
AZURE_CLI_CLIENT_ID = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"  # the client id AKS writes into its kubelogin args
DEFAULT_TENANT = "00000000-0000-0000-0000-0000000e1a7e"
POD_FIELDS = ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
              "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")
# resource: (API prefix, group as errors name it, list kind, namespaced, the kind's own field labels)
RESOURCES = {
    "nodes": ("/api/v1", "", "NodeList", False, ("spec.unschedulable",)),
    "pods": ("/api/v1", "", "PodList", True, POD_FIELDS),
    "poddisruptionbudgets": ("/apis/policy/v1", "policy", "PodDisruptionBudgetList", True, ()),
    "daemonsets": ("/apis/apps/v1", "apps", "DaemonSetList", True, ()),
    "deployments": ("/apis/apps/v1", "apps", "DeploymentList", True, ()),
    "statefulsets": ("/apis/apps/v1", "apps", "StatefulSetList", True, ()),
    "replicasets": ("/apis/apps/v1", "apps", "ReplicaSetList", True, ("status.replicas",)),
}
LIST_PATH = re.compile(r"^(?P<prefix>/api/v1|/apis/[^/]+/[^/]+)(?:/namespaces/(?P<namespace>[^/]+))?"
                       r"/(?P<resource>[a-z]+)/?$")
ARM_CLUSTER = (r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.containerservice"
               r"/managedclusters/(?P<cluster>[^/]+)")
NO_LOCAL_ACCOUNTS = "Getting static credential is not allowed because this cluster is set to disable local accounts."
KUBE_ROUTES = [(ARM_CLUSTER + r"/listclusterusercredential", "user_credential"),
               (ARM_CLUSTER + r"/listclusteradmincredential", "admin_credential")]


class KubeRoutes:  # pylint: disable=no-member  # a base class of Emulator, which has kube and store
    """The ARM actions that hand out kubeconfigs, as handlers of the server's `on_<name>_<method>` convention: a base
    class of `Emulator`, using its `self.kube` (a KubeApi) and `self.store`."""

    async def on_user_credential_post(self, request, sub, rg, cluster):  # pylint: disable=unused-argument
        status, body = await self.kube.arm_credentials(self.store, rg, cluster, admin=False)
        return web.json_response(body, status=status)

    async def on_admin_credential_post(self, request, sub, rg, cluster):  # pylint: disable=unused-argument
        status, body = await self.kube.arm_credentials(self.store, rg, cluster, admin=True)
        return web.json_response(body, status=status)


class ApiError(Exception):
    """An error the API server answers with a Status object."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def response(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
                "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return web.json_response(body, status=self.code)


# ---- selectors, as the API reference defines them ---------------------------------------
def _split(text):
    """Requirements separated by commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in parts + [current] if p.strip()]


LABEL_REQUIREMENTS = (
    (re.compile(r"^!\s*(?P<key>[\w./-]+)$"), lambda m, labels: m["key"] not in labels),
    (re.compile(r"^(?P<key>[\w./-]+)\s+in\s*\((?P<values>[^)]*)\)$"),
     lambda m, labels: labels.get(m["key"]) in [v.strip() for v in m["values"].split(",")]),
    (re.compile(r"^(?P<key>[\w./-]+)\s+notin\s*\((?P<values>[^)]*)\)$"),
     lambda m, labels: labels.get(m["key"]) not in [v.strip() for v in m["values"].split(",")]),
    (re.compile(r"^(?P<key>[\w./-]+)\s*!=\s*(?P<value>[\w.-]*)$"),
     lambda m, labels: labels.get(m["key"]) != m["value"]),
    (re.compile(r"^(?P<key>[\w./-]+)\s*==?\s*(?P<value>[\w.-]*)$"),
     lambda m, labels: labels.get(m["key"]) == m["value"]),
    (re.compile(r"^(?P<key>[\w./-]+)$"), lambda m, labels: m["key"] in labels),
)


def label_selector(text):
    """A predicate over an object's labels; ApiError 400 for a requirement that does not parse."""
    tests = []
    for requirement in _split(text or ""):
        for pattern, test in LABEL_REQUIREMENTS:
            match = pattern.match(requirement)
            if match:
                tests.append((match, test))
                break
        else:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: found '{requirement}', expected: "
                                              "',', '!=', '==', '=', 'in', 'notin' or end of string")
    return lambda labels: all(test(match, labels or {}) for match, test in tests)


def _field(item, path):
    value = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def field_selector(text, resource):
    """A predicate over an object from `field=value`, `field==value`, `field!=value` requirements."""
    allowed = ("metadata.name", "metadata.namespace") + RESOURCES[resource][4]
    tests = []
    for requirement in _split(text or ""):
        match = re.match(r"^(?P<field>[\w.]+)\s*(?P<op>!=|==|=)\s*(?P<value>.*)$", requirement)
        if not match:
            raise ApiError(400, "BadRequest", f"invalid selector: '{text}'; can't understand '{requirement}'")
        if match["field"] not in allowed:
            raise ApiError(400, "BadRequest", f"field label not supported: {match['field']}")
        tests.append((match["field"], match["op"] == "!=", match["value"].strip()))
    return lambda item: all((_field(item, f) != v) if negated else (_field(item, f) == v) for f, negated, v in tests)


# ---- a cluster's objects -----------------------------------------------------------------
class KubeCluster:  # pylint: disable=too-many-instance-attributes
    """One cluster's API server: its objects in key order, its credentials, and how its address behaves."""

    def __init__(self, rg, name):
        self.rg, self.name = rg, name
        self.objects = {resource: ([], []) for resource in RESOURCES}  # resource -> (keys, items), sorted
        self.encoded = {resource: {"json": [], "metadata": []} for resource in RESOURCES}  # the items, as sent
        self.resource_version = 1
        self.tokens = {secrets.token_hex(32): "clusterUser", secrets.token_hex(32): "clusterAdmin"}
        self.forbidden, self.mode, self.wrong_ca, self.expire_continue = set(), "up", False, 0
        self.latency, self.mbps = 0.0, 0.0  # seconds per answer, and megabits a second (0: no limit)
        self.entra, self.local_accounts, self.tenant, self.version = False, True, DEFAULT_TENANT, "1.33.5"
        self.port, self.listener = None, None

    def token(self, user):
        return next(t for t, u in self.tokens.items() if u == user)

    def settings(self, properties):
        """What ARM says of the cluster: managed Entra ID, local accounts, tenant, Kubernetes version."""
        aad = properties.get("aadProfile") or {}
        self.entra = bool(aad.get("managed"))
        self.local_accounts = not properties.get("disableLocalAccounts")
        self.tenant = aad.get("tenantID") or self.tenant
        self.version = properties.get("currentKubernetesVersion") or properties.get("kubernetesVersion") or \
            self.version

    def put(self, resource, items, resource_version):
        namespaced = RESOURCES[resource][3]
        keyed = []
        for item in items:
            item = {k: v for k, v in copy.deepcopy(item).items() if k not in ("kind", "apiVersion")}
            meta = item.setdefault("metadata", {})
            if namespaced:
                meta.setdefault("namespace", "default")
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", "2026-05-04T09:12:44Z")
            meta["resourceVersion"] = str(resource_version)
            keyed.append((f"{meta['namespace']}/{meta['name']}" if namespaced else meta["name"], item))
        keyed.sort(key=lambda pair: pair[0])
        self.objects[resource] = ([k for k, _ in keyed], [i for _, i in keyed])
        # Serialized once, as kube-apiserver's watch cache keeps each object's encoding (CachingObject)
        self.encoded[resource] = {
            "json": [_compact(i) for _, i in keyed],
            "metadata": [_compact({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                   "metadata": i["metadata"]}) for _, i in keyed]}

    def page(self, resource, namespace, matches, limit, start):
        """(the positions of the page's items, the key to continue after or None, items left when unfiltered)."""
        keys, items = self.objects[resource]
        index = bisect.bisect_left(keys, start) if start else 0
        found = []
        while index < len(items) and (not limit or len(found) < limit):
            item = items[index]
            index += 1
            if (namespace is None or item["metadata"].get("namespace") == namespace) and matches(item):
                found.append(index - 1)
        more = index < len(items)
        return found, (keys[index - 1] if more else None), len(items) - index


def _accepts_gzip(accept_encoding):
    """Whether an Accept-Encoding header accepts gzip: named, or through `*` when it is not named; a q of 0
    refuses it (RFC 9110, 12.5.3)."""
    weights = {}
    for coding in (accept_encoding or "").split(","):
        name, *params = [p.strip() for p in coding.split(";")]
        refused = any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params)
        weights.setdefault(name.lower(), not refused)
    return weights.get("gzip", weights.get("*", False))


def _compact(value):
    return json.dumps(value, separators=(",", ":")).encode()


def _continue_token(resource_version, key):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": resource_version, "start": key + "\x00"})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _read_token(token):
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(decoded["rv"]), str(decoded["start"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, "BadRequest", f"continue key is not valid: {exc}") from exc


def _representation(accept):
    """What an Accept header asks a list for, in its order of preference: "json", or "metadata" (a
    PartialObjectMetadataList of meta.k8s.io/v1); ApiError 406 when it accepts neither."""
    for media_range in (accept or "application/json").split(","):
        kind, *params = [p.strip() for p in media_range.split(";")]
        options = dict(p.split("=", 1) for p in params if "=" in p)
        if kind not in ("application/json", "application/*", "*/*"):
            continue
        if "as" not in options:
            return "json"
        if options == {"as": "PartialObjectMetadataList", "g": "meta.k8s.io", "v": "v1"}:
            return "metadata"
    raise ApiError(406, "NotAcceptable", f"only the following media types are accepted: application/json, "
                                         f"application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1 "
                                         f"(asked: {accept})")


def jwt_claims(token):
    """The claims of a JWT, unverified (the emulator knows which tokens it issued), or None."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None


# ---- the kubeconfigs AKS writes ----------------------------------------------------------
def kubeconfig_yaml(cluster_name, user_name, server, ca_pem, user):
    """A kubeconfig as listClusterUserCredential's value holds it (before base64): one cluster, context, user."""
    document = {"apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": cluster_name,
                "clusters": [{"name": cluster_name, "cluster": {
                    "server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
                "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": user_name}}],
                "users": [{"name": user_name, "user": user}]}
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=True)


def kubelogin_user(tenant):
    """The user of a managed Entra ID cluster's clusterUser kubeconfig: kubelogin, which the reader must not run."""
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubelogin",
                     "args": ["get-token", "--environment", "AzurePublicCloud", "--server-id", AKS_SERVER_APP_ID,
                              "--client-id", AZURE_CLI_CLIENT_ID, "--tenant-id", tenant, "--login", "devicecode"],
                     "env": None, "interactiveMode": "IfAvailable", "provideClusterInfo": False,
                     "installHint": "\nkubelogin is not installed which is required to connect to AAD enabled "
                                    "cluster.\n\nTo learn more, please go to https://aka.ms/aks/kubelogin\n"}}


def credential_answer(name, kubeconfig):
    """The body of listClusterUserCredential / listClusterAdminCredential."""
    return {"kubeconfigs": [{"name": name, "value": base64.b64encode(kubeconfig.encode()).decode()}]}


# ---- the servers -------------------------------------------------------------------------
def _free_port():
    """A port of 127.0.0.1 that nobody listens on (found free, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KubeApi:  # pylint: disable=too-many-instance-attributes
    """The Kubernetes API servers of every emulated cluster, and the credential answers that lead to them."""

    def __init__(self, emulator=None):
        self.emulator = emulator
        self.clusters = {}
        self.log = []
        self.authority = trustme.CA(organization_name="azurelinux emulator cluster CA")
        self.stranger = trustme.CA(organization_name="azurelinux emulator, not this cluster's CA")
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.authority.issue_cert("127.0.0.1", "localhost").configure_cert(self.tls)
        self.client_certs = {user: self.authority.issue_cert(f"{user.lower()}.emulator", common_name=user)
                             for user in ("clusterUser", "clusterAdmin")}
        self._silent_writers = set()
        self._resource_version = 1
        self._gzipped, self._gzipped_bytes = {}, 0  # answer -> its gzip (_compressed)

    # ---- the hook ----------------------------------------------------------------------
    async def arm_credentials(self, store, rg, name, admin):
        """(status, body) of the ARM action on a cluster of the emulator's `store` (a ServiceError 404 for a cluster
        it does not have, as the server's middleware answers it)."""
        found = store.cluster(rg, name)
        return await self.credentials(rg, found.name, found.doc.get("properties") or {}, admin=admin)

    async def admin(self, method, body=None):
        """/_emulator/kube: POST seeds, GET shows, DELETE resets. Returns (status, json)."""
        if method == "POST":
            try:
                seeded = [await self.seed(item) for item in (body or {}).get("clusters", [body or {}])]
            except (KeyError, TypeError, ValueError) as exc:
                return 400, {"error": {"code": "InvalidSeed", "message": f"{type(exc).__name__}: {exc}"}}
            return 200, {"status": "seeded", "clusters": seeded}
        if method == "GET":  # the tokens, so that a test can check no output shows one (as /_emulator/tokens)
            return 200, {"clusters": [self._describe(c) for c in self.clusters.values()], "requests": self.log,
                         "tokens": sorted(t for c in self.clusters.values() for t in c.tokens)}
        if method == "DELETE":
            await self.reset()
            return 200, {"status": "reset"}
        return 405, {"error": {"code": "MethodNotAllowed", "message": f"{method} /_emulator/kube"}}

    # ---- seeding and credentials ---------------------------------------------------------
    async def seed(self, body):
        """Create or change one cluster's API server (see the module's docstring); returns its description."""
        cluster = await self._cluster(body["resourceGroup"], body["name"])
        self._resource_version += 1
        for resource in RESOURCES:
            if resource in body:
                cluster.put(resource, body[resource] or [], self._resource_version)
        cluster.resource_version = self._resource_version
        cluster.forbidden = set(body.get("forbidden", cluster.forbidden))
        cluster.wrong_ca = bool(body.get("wrongCa", cluster.wrong_ca))
        cluster.expire_continue = int(body.get("expireContinue", cluster.expire_continue))
        cluster.latency = float(body.get("latencyMs", cluster.latency * 1000)) / 1000
        cluster.mbps = float(body.get("mbps", cluster.mbps))
        if "aadProfile" in body or "disableLocalAccounts" in body:
            cluster.settings(body)
        mode = body.get("server", cluster.mode)
        if mode not in ("up", "closed", "silent"):
            raise ValueError(f"server must be up, closed or silent, not {mode!r}")
        if mode != cluster.mode:
            await self._stop(cluster)
            cluster.mode = mode
            await self._start(cluster)
        return self._describe(cluster)

    async def credentials(self, rg, name, properties=None, admin=False):
        """(status, body) of listCluster{User,Admin}Credential, as AKS answers it. `properties`: the ARM cluster's,
        when known (managed Entra ID, disableLocalAccounts)."""
        cluster = await self._cluster(rg, name)
        if properties is not None:
            cluster.settings(properties)
        if not cluster.local_accounts and (admin or not cluster.entra):
            return 400, {"error": {"code": "BadRequest", "message": NO_LOCAL_ACCOUNTS}}
        who = "clusterAdmin" if admin else "clusterUser"
        if cluster.entra and not admin:
            user = kubelogin_user(cluster.tenant)
        else:
            cert = self.client_certs[who]
            user = {"client-certificate-data": base64.b64encode(cert.cert_chain_pems[0].bytes()).decode(),
                    "client-key-data": base64.b64encode(cert.private_key_pem.bytes()).decode(),
                    "token": cluster.token(who)}
        ca = (self.stranger if cluster.wrong_ca else self.authority).cert_pem.bytes()
        context = f"{cluster.name}-admin" if admin else cluster.name
        text = kubeconfig_yaml(context, f"{who}_{cluster.rg}_{cluster.name}", self.server(cluster), ca, user)
        return 200, credential_answer(who, text)

    def server(self, cluster):
        return f"https://127.0.0.1:{cluster.port}"

    def _describe(self, cluster):
        return {"resourceGroup": cluster.rg, "name": cluster.name, "server": self.server(cluster),
                "mode": cluster.mode, "resourceVersion": cluster.resource_version,
                "objects": {r: len(cluster.objects[r][1]) for r in RESOURCES}}

    async def _cluster(self, rg, name):
        key = (rg.lower(), name.lower())
        if key not in self.clusters:
            self.clusters[key] = KubeCluster(rg, name)
            await self._start(self.clusters[key])
        return self.clusters[key]

    # ---- listeners -----------------------------------------------------------------------
    async def _start(self, cluster):
        if cluster.mode == "closed":
            cluster.port, cluster.listener = _free_port(), None
        elif cluster.mode == "silent":
            cluster.listener = await asyncio.start_server(self._silent, "127.0.0.1", 0)
            cluster.port = cluster.listener.sockets[0].getsockname()[1]
        else:
            async def handle(request):
                return await self._serve(cluster, request)

            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.tls)
            await site.start()
            cluster.port = site._server.sockets[0].getsockname()[1]  # pylint: disable=protected-access
            cluster.listener = runner

    async def _silent(self, reader, writer):
        """Accept, then say nothing (not even a TLS handshake) until the client leaves."""
        self._silent_writers.add(writer)
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        finally:
            self._silent_writers.discard(writer)
            writer.close()

    async def _stop(self, cluster):
        listener, cluster.listener = cluster.listener, None
        if isinstance(listener, web.AppRunner):
            await listener.cleanup()
        elif listener is not None:
            listener.close()
            for writer in list(self._silent_writers):
                writer.close()
            await listener.wait_closed()

    async def close(self):
        for cluster in self.clusters.values():
            await self._stop(cluster)

    async def reset(self):
        await self.close()
        self.clusters.clear()
        self.log.clear()

    # ---- the API -------------------------------------------------------------------------
    def _user(self, cluster, request):
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        if not token:
            return None
        if token in cluster.tokens:
            return cluster.tokens[token] if cluster.local_accounts else None
        claims = jwt_claims(token) if cluster.entra else None
        if not claims or claims.get("aud") not in (AKS_SERVER_APP_ID, f"spn:{AKS_SERVER_APP_ID}"):
            return None
        if float(claims.get("exp", 0)) < time.time():
            return None
        if self.emulator is not None and token not in self.emulator.tokens:
            return None
        return claims.get("upn") or claims.get("oid") or claims.get("appid")

    async def _serve(self, cluster, request):
        entry = {"cluster": f"{cluster.rg}/{cluster.name}", "time": time.time(), "method": request.method,
                 "path": request.path, "query": dict(request.query),
                 "accept": request.headers.get("Accept", ""),
                 "acceptEncoding": request.headers.get("Accept-Encoding", "")}  # never the Authorization header
        self.log.append(entry)
        try:
            response = self._answer(cluster, request)
        except ApiError as error:
            response = error.response()
        entry["status"], entry["bytes"] = response.status, len(response.body or b"")  # as sent: compressed or not
        entry["encoding"] = response.headers.get("Content-Encoding", "identity")
        wire = cluster.latency + (entry["bytes"] * 8 / (cluster.mbps * 1e6) if cluster.mbps else 0)
        if wire:
            await asyncio.sleep(wire)
        return response

    def _answer(self, cluster, request):
        if request.method != "GET":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                                                    "resource (this emulated API server is read-only)")
        user = self._user(cluster, request)
        if user is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        if request.path == "/version":
            major, minor, *_ = cluster.version.split(".")
            return web.json_response({"major": major, "minor": minor, "gitVersion": f"v{cluster.version}",
                                      "platform": "linux/amd64"})
        match = LIST_PATH.match(request.path)
        resource = match["resource"] if match else None
        if resource not in RESOURCES or RESOURCES[resource][0] != match["prefix"] or \
                (match["namespace"] and not RESOURCES[resource][3]):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if resource in cluster.forbidden:
            raise self._forbidden(cluster, resource, match["namespace"], user)
        if request.query.get("watch") in ("1", "true"):
            raise ApiError(400, "BadRequest", "watch is not served by the emulated API server")
        body = self._list(cluster, resource, match["namespace"], request.query,
                          _representation(request.headers.get("Accept")))
        if len(body) > GZIP_THRESHOLD and _accepts_gzip(request.headers.get("Accept-Encoding")):
            return web.Response(body=self._compressed(body), content_type="application/json",
                                headers={"Content-Encoding": "gzip"})
        return web.Response(body=body, content_type="application/json")

    def _compressed(self, body):
        """gzip at level 1 with no time in its header (MTIME 0), as kube-apiserver's Go gzip writer compresses; the
        same answer asked again is not compressed again. The bytes sent are the same either way: this only keeps the
        emulator's CPU off the two cores that the benches share with the client they measure (a real API server
        compresses on machines of its own)."""
        found = self._gzipped.pop(body, None)
        if found is None:
            found = gzip.compress(body, compresslevel=1, mtime=0)
            self._gzipped_bytes += len(body)
            while self._gzipped and self._gzipped_bytes > GZIP_MEMO_BYTES:
                oldest = next(iter(self._gzipped))
                self._gzipped_bytes -= len(oldest)
                del self._gzipped[oldest]
        self._gzipped[body] = found  # the most recent last
        return found

    @staticmethod
    def _forbidden(cluster, resource, namespace, user):
        group = RESOURCES[resource][1]
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = f'{resource} is forbidden: User "{user}" cannot list resource "{resource}" in API group "{group}" ' \
                  f"{scope}"
        if cluster.entra:
            message += ": User does not have access to the resource in Azure. Update role assignment to allow access."
        return ApiError(403, "Forbidden", message, dict({"kind": resource}, **({"group": group} if group else {})))

    def _list(self, cluster, resource, namespace, query, representation="json"):
        labels = label_selector(query.get("labelSelector"))
        fields = field_selector(query.get("fieldSelector"), resource)
        try:
            limit = int(query.get("limit") or 0)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"invalid limit: {exc}") from exc
        start = None
        if query.get("continue"):
            version, start = _read_token(query["continue"])
            if cluster.expire_continue > 0 or version != cluster.resource_version:
                cluster.expire_continue = max(0, cluster.expire_continue - 1)
                raise ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent "
                                               "list result. You can start a new list without the continue "
                                               "parameter.")
        items, last, left = cluster.page(resource, namespace,
                                         lambda item: labels(item["metadata"].get("labels")) and fields(item),
                                         limit, start)
        meta = {"resourceVersion": str(cluster.resource_version)}
        if last is not None:
            meta["continue"] = _continue_token(cluster.resource_version, last)
            if not query.get("labelSelector") and not query.get("fieldSelector"):
                meta["remainingItemCount"] = left
        if representation == "metadata":
            kind, api_version = "PartialObjectMetadataList", "meta.k8s.io/v1"
        else:
            kind, api_version = RESOURCES[resource][2], RESOURCES[resource][0].split("/", 2)[-1]
        encoded = cluster.encoded[resource][representation]
        head = _compact({"kind": kind, "apiVersion": api_version, "metadata": meta})
        return head[:-1] + b',"items":[' + b",".join(encoded[i] for i in items) + b"]}"


class ThreadedKubeApi:
    """A KubeApi on its own event loop thread, called from synchronous code (unit tests, benchmarks)."""

    def __init__(self, emulator=None):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="kube-api", daemon=True)
        self.thread.start()
        self.api = self.call(self._make(emulator))

    @staticmethod
    async def _make(emulator):
        return KubeApi(emulator)

    def call(self, coroutine, timeout=60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def seed(self, body):
        return self.call(self.api.seed(body))

    def credentials(self, rg, name, properties=None, admin=False):
        return self.call(self.api.credentials(rg, name, properties, admin))

    def close(self):
        self.call(self.api.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
