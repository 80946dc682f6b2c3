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
each page is trimmed to what the analysis reads as it comes, so memory follows a few pages, not
the cluster. The time goes into decoding JSON, so the rest is kept off that path:
- the first request is made alone; once the server has answered it, two workers list the kinds
  side by side (pods, the longest, first). A server that cannot be reached or refuses the
  credential so costs one request, not one per kind;
- the next page of a list is asked for before this one is decoded: its continue token is read
  from the page's first bytes (`list_metadata`), where kube-apiserver writes it;
- a page comes in one read, gzip-compressed where the server compresses (kube-apiserver does for
  answers over 128 KiB), and is decoded and trimmed with the cyclic garbage collector paused;
- where the machine has a spare core, large pages are decoded and trimmed by helper processes (one per
  spare core, at most one per worker; pages.py), as CPython decodes JSON holding the interpreter's lock.
What cannot be read becomes a warning that says why and what to do, and the kinds that were read
are still returned: the rules with their data still run.

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
import contextlib
import gc
import json
import logging
import os
import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import urllib3
import yaml

from azext_azurelinux.workloads import objects, pages

LOGGER = logging.getLogger("cli.azext_azurelinux.workloads")  # with --debug: each request, never a header
AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
PAGE_SIZE = 500
TIMEOUT = (3.05, 5)  # seconds to connect, and to wait for each answer: give up on a silent server quickly
MAX_RETRY_AFTER = 5  # a 429 whose Retry-After is longer than this skips the kind instead of waiting
# As kube-apiserver serves it to a client that asks (Accept), falling back to the whole object where it cannot
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
WORKERS = 2  # kinds listed side by side once the server has answered: one decodes while the other waits
LISTS = (  # resource, path, field selector, metadata only (labels and owners are all the analysis reads of it);
    # the longest list first, as the first request is made alone and the workers take the kinds in this order
    ("pods", "/api/v1/pods", "status.phase!=Succeeded,status.phase!=Failed", False),  # finished pods are not drained
    ("nodes", "/api/v1/nodes", None, True),
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
        document = yaml.load(base64.b64decode(entry.get("value") or "", validate=True),  # a safe loader:
                             Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml's where PyYAML has it
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


def certificate_files(target, folder):
    """The kubeconfig's CA and client certificate, written into `folder` (which the caller deletes), as requests
    takes them: {"verify": CA file or True, "cert": (certificate file, key file) or None}."""
    verify = (_write(folder, "ca.pem", target["ca"]) if target["ca"] else target["ca_file"]) or True
    cert = (_write(folder, "client.pem", target["cert"]), _write(folder, "client-key.pem", target["key"])) \
        if target["cert"] else None
    return {"verify": verify, "cert": cert}


def session_for(target, files, token):
    """A requests.Session for the server: its CA and client certificate (`certificate_files`), the user's bearer
    token, no retries, and no settings from the environment but its proxy (NO_PROXY respected)."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the kubeconfig's CA, nor .netrc the token
    session.verify = files["verify"]
    session.proxies = ({"https": target["proxy"]} if target["proxy"] else
                       requests.utils.get_environ_proxies(target["server"]))
    session.headers["Accept"] = "application/json"
    session.headers["Accept-Encoding"] = "gzip"  # kube-apiserver compresses what is larger than 128 KiB
    if files["cert"]:
        session.cert = files["cert"]
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


# ---- errors as the user reads them -------------------------------------------------------
def _status_message(answer):
    try:
        body = answer.json()
        return str(body.get("message") or body.get("reason") or "") if isinstance(body, dict) else ""
    except ValueError:
        return answer.text[:200].strip()


def _unreachable(server, error, timeout):
    if isinstance(error, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return Stop("workload-read-broken",
                    f"The cluster's API server {server} broke off an answer, or sent one that could not be "
                    f"decompressed, so {NOT_CHECKED}; try again, and if it keeps happening, check what stands "
                    "between here and the cluster (a proxy that cuts long answers).")
    if isinstance(error, requests.exceptions.SSLError) and "certificate" in str(error).lower():
        return Stop("workload-read-tls",
                    f"The cluster's API server {server} presented a certificate that the kubeconfig's certificate "
                    f"authority does not verify, so it was not trusted and {NOT_CHECKED}; get the credential again "
                    "(the cluster's certificates may have been rotated) or check what answers at that address.")
    read_timeout = isinstance(error, requests.exceptions.ReadTimeout) or \
        isinstance((error.args or (None,))[0], urllib3.exceptions.ReadTimeoutError)  # in the middle of a body
    if read_timeout or isinstance(error, requests.exceptions.SSLError):
        what = f"accepted the connection but did not answer within {timeout[1]:g} s"
    elif isinstance(error, requests.exceptions.ConnectTimeout):
        what = f"did not accept a connection within {timeout[0]:g} s"
    else:
        what = "could not be reached (no connection, or its name does not resolve)"
    return Stop("workload-read-unreachable",
                f"The cluster's API server {server} {what}, so {NOT_CHECKED}; if it is a private cluster seen from "
                "outside its network, run this from inside that network, or read the workloads with "
                "az aks command invoke.")


def _refused(resource, answer, entra):
    status, detail = answer.status_code, _status_message(answer)
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
class Answer:  # pylint: disable=too-few-public-methods
    """A response read whole (and its connection given back): status, headers, and the body as bytes."""

    __slots__ = ("status_code", "headers", "body")

    def __init__(self, status_code, headers, body):
        self.status_code, self.headers, self.body = status_code, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


_DECODER, _SPACE = json.JSONDecoder(), re.compile(r"[ \t\n\r]*")
HEAD = 8192  # bytes enough for a list's kind, apiVersion and metadata (a continue token is some 100 characters)


def list_metadata(head):
    """The `metadata` of a list (its `continue` token) read from the first bytes of its body, without decoding its
    items: kube-apiserver writes kind, apiVersion and metadata before items. None when the bytes do not start so,
    or end within the metadata (the caller then takes the token from the whole page)."""
    text = head.decode("utf-8", "ignore")
    index = _SPACE.match(text).end()
    if not text.startswith("{", index):
        return None
    index += 1
    try:
        while True:
            key, index = _DECODER.raw_decode(text, _SPACE.match(text, index).end())
            index = _SPACE.match(text, index).end()
            if not isinstance(key, str) or key == "items" or not text.startswith(":", index):
                return None
            value, index = _DECODER.raw_decode(text, _SPACE.match(text, index + 1).end())
            if key == "metadata":
                return value if isinstance(value, dict) else None
            index = _SPACE.match(text, index).end()
            if not text.startswith(",", index):
                return None
            index += 1
    except (ValueError, RecursionError):
        return None


class Lister:  # pylint: disable=too-many-instance-attributes
    """Lists one server's resources page by page. The requests run on `workers` fetcher threads, each with its
    own session (`new_session()`), so that the next page of a list is on its way while the thread that asked for it
    decodes the one before; the first `helpers` threads to decode (None: one per spare core, at most `workers`)
    each have a helper process for large pages (`pages.Helper`). Counts the requests; the first Stop any request
    meets stops them all."""

    def __init__(self, new_session, server, timeout=TIMEOUT, page_size=PAGE_SIZE, entra=False,
                 sleep=time.sleep, workers=WORKERS, helpers=None):  # pylint: disable=too-many-arguments
        self.new_session, self.server, self.timeout, self.page_size = new_session, server, timeout, page_size
        self.entra, self.sleep, self.workers = entra, sleep, max(1, workers)
        self.helpers = min(self.workers, pages.spare_cores()) if helpers is None else helpers
        self.requests, self.stopped, self.closed = 0, None, False
        self.answered = threading.Event()  # a first answer was judged: a page, a refusal, or the end of the read
        self._lock, self._local, self._sessions, self._helpers = threading.Lock(), threading.local(), [], []
        self._fetchers = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="azurelinux-kube-get")

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self.new_session()
            with self._lock:
                self._sessions.append(session)
        return session

    def _helper(self):
        helper = getattr(self._local, "helper", None)
        if helper is None:
            with self._lock:  # the first threads to decode get one each, as many as there are spare cores
                helper = self._local.helper = pages.Helper(enabled=len(self._helpers) < self.helpers and
                                                           not self.closed)
                self._helpers.append(helper)
        return helper

    def close(self):
        """No more requests: a list still being read fails at its next one (RuntimeError), and what is on its way
        is not waited for (after an interruption, say). The helper processes end."""
        with self._lock:
            self.closed = True  # a thread still decoding gets no helper from now on
        self._fetchers.shutdown(wait=False, cancel_futures=True)
        for session in self._sessions:
            session.close()
        for helper in self._helpers:
            helper.close()

    def _stop(self, stop):
        with self._lock:
            self.stopped = self.stopped or stop
        return stop

    def fetch(self, path, params, headers=None):
        """One GET on a fetcher thread: a Future of its Answer."""
        return self._fetchers.submit(self._get, path, params, headers)

    def _get(self, path, params, headers=None):
        """One GET, read whole; a 429 with a short Retry-After is tried once more, after that wait."""
        for attempt in (1, 2):
            if self.stopped:  # another request met it: a copy, as each thread raises its own
                raise Stop(self.stopped.rule, self.stopped.message)
            with self._lock:
                self.requests += 1
            started = time.monotonic()
            try:
                with self._session().get(self.server + path, params=params, headers=headers, timeout=self.timeout,
                                         allow_redirects=False, stream=True) as response:
                    # one read of the whole body (requests' `content` reads 10 KiB at a time), gunzipped
                    answer = Answer(response.status_code, response.headers,
                                    b"".join(response.iter_content(chunk_size=None)))
            except requests.exceptions.RequestException as error:
                LOGGER.debug("GET %s%s: %s", self.server, path, type(error).__name__)
                raise _unreachable(self.server, error, self.timeout) from None  # everyone's once it is consumed
            LOGGER.debug("GET %s%s (%s): %s in %.2f s", self.server, path, "continued" if "continue" in params else
                         "first page", answer.status_code, time.monotonic() - started)
            wait = answer.headers.get("Retry-After", "")
            if not (answer.status_code == 429 and attempt == 1 and wait.isdigit() and
                    int(wait) <= MAX_RETRY_AFTER):
                break
            self.sleep(int(wait))
        return answer

    def _items(self, resource, answer, more=True):
        """The trimmed items of a 200 answer, and its continue token: decoded here, or by this thread's helper.
        `more`: the list goes on after this page, as far as its first bytes tell."""
        try:
            return self._helper().decode(resource, answer.body, more)
        except pages.NOT_A_LIST_ERRORS:
            raise _not_a_list(resource) from None

    def pages(self, resource, path, field_selector=None, metadata_only=False):
        """The items of every page, trimmed as each page comes, the next page asked for before this one is
        decoded; a 410 (the continue token expired) starts the list over once, as the API reference asks."""
        headers = {"Accept": METADATA_ONLY} if metadata_only else None
        base = {"limit": self.page_size}
        if field_selector:
            base["fieldSelector"] = field_selector
        for _ in (1, 2):
            kept, pending, continued = [], self.fetch(path, base, headers), False
            while True:
                try:
                    answer = pending.result()
                except Stop as stop:  # only an answer the list uses stops the others (not an unused look-ahead)
                    raise self._stop(stop) from None
                if answer.status_code == 410 and continued:
                    break
                if answer.status_code != 200:
                    refused = _refused(resource, answer, self.entra)
                    raise self._stop(refused) if isinstance(refused, Stop) else refused
                self.answered.set()  # only now: a refusal that stops everything is known before others start
                head = list_metadata(answer.body[:HEAD])
                ahead = (head or {}).get("continue")
                if ahead:
                    pending = self.fetch(path, dict(base, **{"continue": ahead}), headers)
                items, token = self._items(resource, answer, more=head is None or bool(ahead))
                del answer
                kept.extend(items)
                if not token:
                    return kept
                if not ahead:
                    pending = self.fetch(path, dict(base, **{"continue": token}), headers)
                continued = True
        raise Skip(warning("workload-read-expired", f"The list of {resource} changed faster than it could be read "
                                                    "twice over (410 Gone), so the rules that need it ran without "
                                                    "it; try again.", resource))


@contextlib.contextmanager
def cycle_collection_paused():
    """No cyclic garbage collection while pages are decoded and trimmed: a page of 500 pods makes some 60,000
    dicts and lists, and every 700 new containers start a collection, whose older generations walk the whole
    heap of the az process (its modules and models). Decoded JSON holds no reference cycles, so those
    collections free nothing and only cost time; reference counting still frees each page as it goes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def empty_snapshot(server=None):
    snapshot = {resource: [] for resource in objects.RESOURCES}
    snapshot.update(missing={}, warnings=[], requests=0, server=server)
    return snapshot


def _not_a_list(resource):
    return Skip(warning("workload-read-failed", f"The cluster's API server answered the list of {resource} with "
                                                "something that is not a Kubernetes list, so the rules that need "
                                                f"{resource} ran without them.", resource))


def _read_all(lister, snapshot, lists):
    """List every kind into the snapshot: the first kind's first request alone, then the lister's workers."""
    def read(entry):
        resource, path, field_selector, metadata_only = entry
        try:
            return lister.pages(resource, path, field_selector, metadata_only)
        except (Skip, Stop) as failed:
            return failed
        except Exception:  # pylint: disable=broad-exception-caught  # whatever else a server's answer does
            LOGGER.debug("listing %s", resource, exc_info=True)
            return _not_a_list(resource)
        finally:
            lister.answered.set()  # whatever happened, the others need not wait for the first answer

    if not lists:
        return
    pool = ThreadPoolExecutor(max_workers=lister.workers, thread_name_prefix="azurelinux-kube")
    try:
        futures = [pool.submit(read, lists[0])]
        lister.answered.wait()
        futures += [pool.submit(read, entry) for entry in lists[1:]]
        results = [future.result() for future in futures]
    except BaseException:  # Ctrl+C: no other kind is started, and the caller's lister.close() ends the others
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    for (resource, *_), result in zip(lists, results):
        if isinstance(result, list):
            snapshot[resource] = result
        elif isinstance(result, Skip):
            snapshot["missing"][resource] = result.args[0]["message"]
            snapshot["warnings"].append(result.args[0])
        else:  # stopped, here or in another worker
            snapshot["missing"][resource] = lister.stopped.message
    if lister.stopped is not None:
        snapshot["warnings"].append(warning(lister.stopped.rule, lister.stopped.message, lister.server))


def read_workloads(credentials, get_aad_token, timeout=TIMEOUT, page_size=PAGE_SIZE, lists=LISTS,
                   sleep=time.sleep, workers=WORKERS, helpers=None):  # pylint: disable=too-many-arguments
    """The snapshot of a cluster's workloads (see the module's docstring); never raises for what the cluster or
    the network does: each failure is a warning in the snapshot, and what was read is kept. `helpers`: how many
    helper processes may decode large pages (None: one per spare core, at most `workers`; 0: none; see pages.py)."""
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
            files = certificate_files(target, folder)
        except OSError as error:
            return _give_up(snapshot, "workload-read-kubeconfig", f"The kubeconfig's certificates could not be "
                                                                  f"written to a private temporary folder ({error}), "
                                                                  f"so {NOT_CHECKED}.")
        lister = Lister(lambda: session_for(target, files, token), target["server"], timeout, page_size,
                        target["entra"], sleep, workers, helpers)
        try:
            with cycle_collection_paused():
                _read_all(lister, snapshot, lists)
        finally:
            lister.close()
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
