# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Reading a cluster's Kubernetes API: read-only, once per run, in chunks, with the user's own credential.

`read_workloads(credentials, get_aad_token)` takes the answer of `listClusterUserCredential`
(`{"kubeconfigs": [{"name", "value": base64 YAML}]}`) and returns a snapshot for `analysis`:

    {"nodes": [...], "pods": [...], "poddisruptionbudgets": [...], "daemonsets": [...],
     "deployments": [...], "statefulsets": [...], "replicasets": [...],
     "missing": {resource: why}, "warnings": [finding dicts], "requests": int, "server": url}

Each kind is listed across all namespaces as kubectl lists it (`limit=500`, then `continue`), and
each page is trimmed to what the analysis reads before the next is fetched, so memory follows one
page, not the cluster. What cannot be read becomes a warning that says why and what to do, and
the kinds that were read are still returned: the rules with their data still run.

Authentication: a kubeconfig whose user runs kubelogin (managed Entra ID) is not run; the injected
`get_aad_token()` returns an Entra token for the AKS server application (the CLI's own
credential: `Profile(cli_ctx=...).get_raw_token(resource=AKS_SERVER_APP_ID)`). Otherwise the
kubeconfig's bearer token, and its client certificate where it has one. TLS is verified with the
kubeconfig's certificate authority only; it is never turned off, nor tried again with another
trust store. A token is never logged, printed or put into a warning. Only the standard library,
`requests` and PyYAML (both bundled with the CLI) are used.
"""
import base64
import binascii
import logging
import os
import tempfile
import time

import requests
import yaml

from azext_azurelinux.workloads import objects

LOGGER = logging.getLogger("cli.azext_azurelinux.workloads")  # with --debug: each request, never a header
AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
PAGE_SIZE = 500
TIMEOUT = (3.05, 5)  # seconds to connect, and to wait for each answer: give up on a silent server quickly
MAX_RETRY_AFTER = 5  # a 429 whose Retry-After is longer than this skips the kind instead of waiting
# As kube-apiserver serves it to a client that asks (Accept), falling back to the whole object where it cannot
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
LISTS = (  # resource, path, field selector, metadata only (labels and owners are all the analysis reads of it)
    ("nodes", "/api/v1/nodes", None, True),
    ("pods", "/api/v1/pods", "status.phase!=Succeeded,status.phase!=Failed", False),  # finished pods are not drained
    ("poddisruptionbudgets", "/apis/policy/v1/poddisruptionbudgets", None, False),
    ("daemonsets", "/apis/apps/v1/daemonsets", None, False),
    ("deployments", "/apis/apps/v1/deployments", None, False),
    ("statefulsets", "/apis/apps/v1/statefulsets", None, False),
    ("replicasets", "/apis/apps/v1/replicasets", None, True),  # a Deployment keeps up to 10 old ones
)
READER_ROLES = ("the Azure Kubernetes Service RBAC Reader role on the cluster (Azure RBAC clusters) or a Kubernetes "
                "ClusterRoleBinding to the view role")
NODE_ROLES = ("a role with Microsoft.ContainerService/managedClusters/nodes/read (Azure RBAC clusters: Azure "
              "Kubernetes Service RBAC Reader does not include it) or a Kubernetes ClusterRole that may list nodes "
              "(view does not)")
NOT_CHECKED = "the workloads were not checked (--skip-workload-check skips the read)"


class KubeconfigError(ValueError):
    """The credential answer holds no kubeconfig this reader can use."""


class Stop(Exception):
    """Nothing more can be read from this server: the warning says why."""

    def __init__(self, rule, message):
        super().__init__(message)
        self.rule, self.message = rule, message


class Skip(Exception):
    """This kind cannot be read; the others may still be."""


def warning(rule, message, value=None):
    return {"rule": rule, "severity": "warning", "subject": "workload-read", "value": value, "message": message,
            "source": None, "date": None}


# ---- the kubeconfig ----------------------------------------------------------------------
def kubeconfig(credentials):
    """The kubeconfig (a dict) in a listClusterUserCredential answer: the `clusterUser` one, else the first."""
    entries = (credentials or {}).get("kubeconfigs") or []
    if not entries:
        raise KubeconfigError("the credential answer holds no kubeconfig")
    entry = next((e for e in entries if e.get("name") == "clusterUser"), entries[0])
    try:
        document = yaml.safe_load(base64.b64decode(entry.get("value") or "", validate=True))
    except (binascii.Error, ValueError, yaml.YAMLError) as exc:
        raise KubeconfigError(f"the kubeconfig could not be read ({type(exc).__name__})") from exc
    if not isinstance(document, dict):
        raise KubeconfigError("the kubeconfig is not a YAML mapping")
    return document


def _named(document, section, name):
    entries = [e for e in document.get(section) or [] if isinstance(e, dict)]
    found = next((e for e in entries if e.get("name") == name), entries[0] if entries else None)
    if found is None:
        raise KubeconfigError(f"the kubeconfig has no {section}")
    return found.get(section[:-1]) or {}


def _decoded(value, what):
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KubeconfigError(f"the kubeconfig's {what} is not base64") from exc


def _wants_entra(user):
    """Whether a kubeconfig user asks for an Entra token: an exec of kubelogin, or the legacy azure auth-provider."""
    command = os.path.basename(str((user.get("exec") or {}).get("command") or ""))
    return command.startswith("kubelogin") or (user.get("auth-provider") or {}).get("name") == "azure"


def endpoint(document):
    """Where and how to connect, from a kubeconfig's current context: {server, ca, ca_file, proxy, token, entra,
    cert, key} (certificate material as PEM bytes, or None). `insecure-skip-tls-verify` is not honoured: without a
    certificate authority in the kubeconfig the system's trust store verifies the server, as kubectl does."""
    context_name = document.get("current-context")
    context = _named(document, "contexts", context_name) if document.get("contexts") else {}
    cluster = _named(document, "clusters", context.get("cluster"))
    user = _named(document, "users", context.get("user")) if document.get("users") else {}
    server = str(cluster.get("server") or "").rstrip("/")
    if not server.startswith("https://"):
        raise KubeconfigError(f"the kubeconfig's server {server or '(none)'} is not an https:// address")
    found = {"server": server, "proxy": cluster.get("proxy-url"), "ca": None, "ca_file": None,
             "token": user.get("token"), "entra": _wants_entra(user), "cert": None, "key": None}
    if cluster.get("certificate-authority-data"):
        found["ca"] = _decoded(cluster["certificate-authority-data"], "certificate-authority-data")
    elif cluster.get("certificate-authority"):
        found["ca_file"] = cluster["certificate-authority"]
    if user.get("client-certificate-data") and user.get("client-key-data"):
        found["cert"] = _decoded(user["client-certificate-data"], "client-certificate-data")
        found["key"] = _decoded(user["client-key-data"], "client-key-data")
    if not (found["entra"] or found["token"] or found["cert"]):
        raise KubeconfigError("the kubeconfig's user has neither a token, a client certificate nor kubelogin")
    return found


def _write(folder, name, data):
    path = os.path.join(folder, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(data)
    return path


def session_for(target, folder, token):
    """A requests.Session for the server: its CA (written into `folder`, which the caller deletes), the user's
    bearer token and client certificate, no retries, and no settings from the environment but its proxy (NO_PROXY
    respected)."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the kubeconfig's CA, nor .netrc the token
    session.verify = (_write(folder, "ca.pem", target["ca"]) if target["ca"] else target["ca_file"]) or True
    session.proxies = ({"https": target["proxy"]} if target["proxy"] else
                       requests.utils.get_environ_proxies(target["server"]))
    session.headers["Accept"] = "application/json"
    if target["cert"]:
        session.cert = (_write(folder, "client.pem", target["cert"]), _write(folder, "client-key.pem", target["key"]))
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


# ---- errors as the user reads them -------------------------------------------------------
def _status_message(response):
    try:
        body = response.json()
        return str(body.get("message") or body.get("reason") or "") if isinstance(body, dict) else ""
    except ValueError:
        return response.text[:200].strip()


def _unreachable(server, error, timeout):
    if isinstance(error, requests.exceptions.SSLError) and "certificate" in str(error).lower():
        return Stop("workload-read-tls",
                    f"The cluster's API server {server} presented a certificate that the kubeconfig's certificate "
                    f"authority does not verify, so it was not trusted and {NOT_CHECKED}; get the credential again "
                    "(the cluster's certificates may have been rotated) or check what answers at that address.")
    if isinstance(error, (requests.exceptions.ReadTimeout, requests.exceptions.SSLError)):
        what = f"accepted the connection but did not answer within {timeout[1]:g} s"
    elif isinstance(error, requests.exceptions.ConnectTimeout):
        what = f"did not accept a connection within {timeout[0]:g} s"
    else:
        what = "could not be reached (no connection, or its name does not resolve)"
    return Stop("workload-read-unreachable",
                f"The cluster's API server {server} {what}, so {NOT_CHECKED}; if it is a private cluster seen from "
                "outside its network, run this from inside that network, or read the workloads with "
                "az aks command invoke.")


def _refused(resource, response, entra):
    status, detail = response.status_code, _status_message(response)
    if status == 401:
        how = ("the Entra token for the AKS server application was not accepted: sign in again (az login) with an "
               "account of the cluster's tenant" if entra else
               "the kubeconfig's token was not accepted: local accounts may be disabled or the credential rotated")
        return Stop("workload-read-unauthorized", f"The cluster's API server answered 401 Unauthorized to the list "
                                                  f"of {resource}, so {NOT_CHECKED}; {how}.")
    roles = NODE_ROLES if resource == "nodes" else READER_ROLES
    if status == 403:
        return Skip(warning("workload-read-forbidden",
                            f"The credential may not list {resource} in the cluster (403 Forbidden: {detail}), so the "
                            f"rules that need {resource} ran without them; grant {roles}.", resource))
    return Skip(warning("workload-read-failed",
                        f"The cluster's API server answered {status} to the list of {resource} ({detail}), so the "
                        f"rules that need {resource} ran without them; try again later.", resource))


# ---- listing -----------------------------------------------------------------------------
class Lister:  # pylint: disable=too-few-public-methods
    """Lists one server's resources page by page through one session, counting the requests."""

    def __init__(self, session, server, timeout=TIMEOUT, page_size=PAGE_SIZE, entra=False, sleep=time.sleep):
        self.session, self.server, self.timeout, self.page_size = session, server, timeout, page_size
        self.entra, self.sleep = entra, sleep
        self.requests = 0

    def _get(self, path, params, headers=None):
        """One GET; a 429 with a short Retry-After is tried once more, after that wait."""
        for attempt in (1, 2):
            self.requests += 1
            started = time.monotonic()
            try:
                response = self.session.get(self.server + path, params=params, headers=headers,
                                            timeout=self.timeout, allow_redirects=False)
            except requests.exceptions.RequestException as error:
                LOGGER.debug("GET %s%s: %s", self.server, path, type(error).__name__)
                raise _unreachable(self.server, error, self.timeout) from None
            LOGGER.debug("GET %s%s (%s): %s in %.2f s", self.server, path, "continued" if "continue" in params else
                         "first page", response.status_code, time.monotonic() - started)
            wait = response.headers.get("Retry-After", "")
            if not (response.status_code == 429 and attempt == 1 and wait.isdigit() and
                    int(wait) <= MAX_RETRY_AFTER):
                break
            self.sleep(int(wait))
        return response

    def _page(self, resource, path, params, headers):
        """One page: (trimmed items, continue token), or None when the continue token has expired (410)."""
        response = self._get(path, params, headers)
        if response.status_code == 410 and params.get("continue"):
            return None
        if response.status_code != 200:
            raise _refused(resource, response, self.entra)
        try:
            page = response.json()
            items = page.get("items") or []
        except (ValueError, AttributeError):
            raise Skip(warning("workload-read-failed", f"The cluster's API server answered the list of {resource} "
                                                       "with something that is not a Kubernetes list, so the rules "
                                                       f"that need {resource} ran without them.", resource)) from None
        kept = [k for k in (objects.trim(resource, item) for item in items) if k is not None]
        return kept, (page.get("metadata") or {}).get("continue")

    def pages(self, resource, path, field_selector=None, metadata_only=False):
        """The items of every page, trimmed as each page comes; a 410 (the continue token expired) starts the list
        over once, as the API reference asks of a client."""
        headers = {"Accept": METADATA_ONLY} if metadata_only else None
        base = {"limit": self.page_size}
        if field_selector:
            base["fieldSelector"] = field_selector
        for _ in (1, 2):
            kept, token = [], None
            while True:
                page = self._page(resource, path, dict(base, **({"continue": token} if token else {})), headers)
                if page is None:
                    break
                kept.extend(page[0])
                token = page[1]
                if not token:
                    return kept
        raise Skip(warning("workload-read-expired", f"The list of {resource} changed faster than it could be read "
                                                    "twice over (410 Gone), so the rules that need it ran without "
                                                    "it; try again.", resource))


def empty_snapshot(server=None):
    snapshot = {resource: [] for resource in objects.RESOURCES}
    snapshot.update(missing={}, warnings=[], requests=0, server=server)
    return snapshot


def _read_all(lister, snapshot, lists):
    for index, (resource, path, field_selector, metadata_only) in enumerate(lists):
        try:
            snapshot[resource] = lister.pages(resource, path, field_selector, metadata_only)
        except Skip as skipped:
            snapshot["missing"][resource] = skipped.args[0]["message"]
            snapshot["warnings"].append(skipped.args[0])
        except Stop as stop:
            for later, *_ in lists[index:]:
                snapshot["missing"][later] = stop.message
            snapshot["warnings"].append(warning(stop.rule, stop.message, lister.server))
            return


def read_workloads(credentials, get_aad_token, timeout=TIMEOUT, page_size=PAGE_SIZE, lists=LISTS,
                   sleep=time.sleep):
    """The snapshot of a cluster's workloads (see the module's docstring); never raises for what the cluster or
    the network does: each failure is a warning in the snapshot, and what was read is kept."""
    snapshot = empty_snapshot()
    try:
        target = endpoint(kubeconfig(credentials))
    except KubeconfigError as error:
        return _give_up(snapshot, "workload-read-kubeconfig", f"The cluster's credential could not be used ({error}), "
                                                              f"so {NOT_CHECKED}.")
    snapshot["server"] = target["server"]
    token = target["token"]
    if target["entra"]:
        try:
            token = get_aad_token()
        except Exception as error:  # pylint: disable=broad-exception-caught  # the CLI's sign-in, whatever fails
            return _give_up(snapshot, "workload-read-token",
                            f"No Entra token for the cluster's API server could be had ({type(error).__name__}: "
                            f"{error}), so {NOT_CHECKED}; sign in again with az login.")
    with tempfile.TemporaryDirectory(prefix="azurelinux-kube-") as folder:
        try:
            session = session_for(target, folder, token)
        except OSError as error:
            return _give_up(snapshot, "workload-read-kubeconfig", f"The kubeconfig's certificates could not be "
                                                                  f"written to a private temporary folder ({error}), "
                                                                  f"so {NOT_CHECKED}.")
        with session:
            lister = Lister(session, target["server"], timeout, page_size, target["entra"], sleep)
            _read_all(lister, snapshot, lists)
            snapshot["requests"] = lister.requests
    return snapshot


def _give_up(snapshot, rule, message):
    snapshot["missing"] = {resource: message for resource in objects.RESOURCES}
    snapshot["warnings"].append(warning(rule, message, snapshot.get("server")))
    return snapshot


def credential_refused(status, body):
    """The warning for a listClusterUserCredential that AKS refused (local accounts disabled on a cluster without
    Entra ID, or no right to the credential): `status` and the ARM error body."""
    error = (body or {}).get("error") or {}
    text = f"{error.get('code') or status}: {error.get('message') or 'no message'}"
    if status == 403:
        how = ("the Azure Kubernetes Service Cluster User Role (Microsoft.ContainerService/managedClusters/"
               "listClusterUserCredential/action) lets it")
        return warning("workload-read-credential", f"The cluster's user credential may not be listed ({text}), so "
                                                   f"{NOT_CHECKED}; {how}.")
    return warning("workload-read-credential",
                   f"AKS gave no user credential for the cluster ({text}), so {NOT_CHECKED}; a cluster with local "
                   "accounts disabled needs managed Entra ID to be read.")
