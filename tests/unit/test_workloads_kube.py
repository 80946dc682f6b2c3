# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The Kubernetes read against a local HTTPS API server: chunks, credentials, TLS, and every way it can fail."""
import base64
import json
import logging
import math
import os
import subprocess
import tempfile
import threading
import time

import pytest
import requests
import yaml

from azext_azurelinux.workloads import analysis, kube
from tests.emulator import kube_objects as k
from tests.unit import workloads_support
from tests.unit.workloads_support import RG, entra_token, small_cluster

kube_api = workloads_support.kube_api  # the fixture, shared with the other test module of the read

FAST = (1, 1)


def no_token():
    raise AssertionError("a cluster with a token in its kubeconfig needs no Entra token")


def read(api, name, get_aad_token=no_token, **options):
    status, answer = api.credentials(RG, name)
    assert status == 200
    return kube.read_workloads(answer, get_aad_token, **options)


def requests_of(api, name):
    return [e for e in api.api.log if e["cluster"] == f"{RG}/{name}"]


def everything_in(snapshot):
    return json.dumps(snapshot, default=str)


# ---- reading --------------------------------------------------------------------------------
def test_every_kind_is_listed_in_chunks_of_500_and_trimmed(kube_api):
    nodes = k.pool_nodes("np1", 4)
    families = [{"nodes": nodes}] + [k.deployment("shop", f"svc-{i}", nodes, replicas=5) for i in range(241)]
    kube_api.seed(dict(k.merge(*families), resourceGroup=RG, name="chunks"))
    snapshot = read(kube_api, "chunks")
    assert snapshot["warnings"] == [] and snapshot["missing"] == {}
    assert len(snapshot["pods"]) == 1205 and len(snapshot["deployments"]) == 241
    log = requests_of(kube_api, "chunks")
    pod_pages = [e for e in log if e["path"] == "/api/v1/pods"]
    assert len(pod_pages) == math.ceil(1205 / 500) == 3
    assert snapshot["requests"] == len(log) == 3 + 1 + 1 + 1 + 1 + 1 + 1  # pods, then one page of each other kind
    assert all(e["query"]["limit"] == "500" for e in log)
    assert [("continue" in e["query"]) for e in pod_pages] == [False, True, True]
    assert pod_pages[0]["query"]["fieldSelector"] == "status.phase!=Succeeded,status.phase!=Failed"
    pod = snapshot["pods"][0]
    assert set(pod) == {"metadata", "spec", "status"} and set(pod["spec"]) == {"nodeName"}
    assert pod["status"] == {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    assert "managedFields" not in pod["metadata"] and "uid" not in pod["metadata"]
    # nodes and ReplicaSets are listed as metadata only: their labels and owners are all the analysis reads
    metadata_only = [e["path"] for e in log if e["accept"].startswith("application/json;as=PartialObjectMetadataList")]
    assert metadata_only == ["/api/v1/nodes", "/apis/apps/v1/replicasets"]
    first = snapshot["replicasets"][0]["metadata"]
    assert first["namespace"] == "shop" and set(first) == {"name", "namespace", "ownerReferences"}
    assert first["ownerReferences"] == [{"kind": "Deployment", "name": "svc-0", "controller": True}]


def test_smaller_pages_cost_one_request_each(kube_api):
    kube_api.seed(small_cluster("pages"))
    snapshot = read(kube_api, "pages", page_size=2)
    # nodes 3, pods 4 (3 of the Deployment and the bare one), budgets 1, DaemonSets 0, Deployments 1, ...
    assert snapshot["requests"] == 2 + 2 + 1 + 1 + 1 + 1 + 1
    assert len(snapshot["pods"]) == 4


def test_the_snapshot_feeds_the_analysis(kube_api):
    kube_api.seed(small_cluster("analysed"))
    snapshot = read(kube_api, "analysed")
    found = analysis.analyse(snapshot, "np1", "AzureLinux3", "1.33.5", "in-place", False)
    assert [(f["rule"], f["value"]) for f in found] == [("workload-bare-pod", "Pod/default/debug")]


def test_an_expired_continue_token_starts_the_list_over_once(kube_api):
    kube_api.seed(small_cluster("expired", expireContinue=1))
    snapshot = read(kube_api, "expired", page_size=2)
    assert snapshot["warnings"] == [] and len(snapshot["nodes"]) == 3 and len(snapshot["pods"]) == 4
    kube_api.seed(small_cluster("expired-twice", expireContinue=2))
    snapshot = read(kube_api, "expired-twice", page_size=2, workers=1)  # one worker: pods, the first kind, expire
    assert list(snapshot["missing"]) == ["pods"] and len(snapshot["nodes"]) == 3
    assert "410 Gone" in snapshot["warnings"][0]["message"]


# ---- credentials ------------------------------------------------------------------------------
def test_a_managed_entra_cluster_gets_the_clis_token_and_kubelogin_is_never_run(kube_api, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    kube_api.seed(small_cluster("entra", aadProfile={"managed": True}))
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **kw: started.append(a) or pytest.fail("ran a process"))
    token = entra_token()
    asked = []
    snapshot = read(kube_api, "entra", lambda: asked.append(1) or token)
    assert asked == [1] and not started
    assert snapshot["warnings"] == [] and len(snapshot["pods"]) == 4
    assert token not in everything_in(snapshot) and token not in caplog.text
    assert "GET https://127.0.0.1:" in caplog.text  # --debug shows each request, and no header


def test_a_token_for_another_audience_is_refused_and_the_warning_shows_no_token(kube_api):
    kube_api.seed(small_cluster("audience", aadProfile={"managed": True}))
    token = entra_token(audience="https://management.core.windows.net/")
    snapshot = read(kube_api, "audience", lambda: token)
    [warning] = snapshot["warnings"]
    assert warning["rule"] == "workload-read-unauthorized" and "401" in warning["message"]
    assert "az login" in warning["message"] and snapshot["requests"] == 1
    assert set(snapshot["missing"]) == set(kube.objects.RESOURCES)
    assert token not in everything_in(snapshot)


def test_a_failing_sign_in_is_a_warning(kube_api):
    kube_api.seed(small_cluster("signin", aadProfile={"managed": True}))

    def broken():
        raise RuntimeError("AADSTS70043: the refresh token has expired")

    snapshot = read(kube_api, "signin", broken)
    assert snapshot["warnings"][0]["rule"] == "workload-read-token" and snapshot["requests"] == 0
    assert "AADSTS70043" in snapshot["warnings"][0]["message"]


def test_a_wrong_local_token_is_refused(kube_api):
    kube_api.seed(small_cluster("wrongtoken"))
    status, answer = kube_api.credentials(RG, "wrongtoken")
    document = yaml.safe_load(base64.b64decode(answer["kubeconfigs"][0]["value"]))
    real = document["users"][0]["user"]["token"]
    document["users"][0]["user"]["token"] = "0" * 64
    answer = {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(yaml.safe_dump(document).encode())
                               .decode()}]}
    snapshot = kube.read_workloads(answer, no_token)
    assert status == 200 and snapshot["warnings"][0]["rule"] == "workload-read-unauthorized"
    assert real not in everything_in(snapshot) and "0" * 64 not in everything_in(snapshot)


def test_local_accounts_disabled_without_entra_is_a_warning_from_the_credential_answer(kube_api):
    kube_api.seed(small_cluster("nolocal", disableLocalAccounts=True))
    status, body = kube_api.credentials(RG, "nolocal")
    assert status == 400
    warning = kube.credential_refused(status, body)
    assert warning["rule"] == "workload-read-credential" and "disable local accounts" in warning["message"]
    assert "managed Entra ID" in warning["message"]


@pytest.mark.parametrize("answer, words", [
    ({}, "holds no kubeconfig"),
    ({"kubeconfigs": [{"name": "clusterUser", "value": "not base64!"}]}, "could not be read"),
    ({"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(b"- a list").decode()}]}, "not a YAML"),
    ({"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(yaml.safe_dump(
        {"clusters": [{"name": "c", "cluster": {"server": "http://plain"}}]}).encode()).decode()}]}, "not an https"),
])
def test_an_unusable_credential_is_a_warning_and_nothing_is_requested(answer, words):
    snapshot = kube.read_workloads(answer, no_token)
    [warning] = snapshot["warnings"]
    assert warning["rule"] == "workload-read-kubeconfig" and words in warning["message"]
    assert snapshot["requests"] == 0 and set(snapshot["missing"]) == set(kube.objects.RESOURCES)


def test_a_kubeconfig_exec_other_than_kubelogin_is_never_run(monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **kw: pytest.fail("ran a process"))
    document = {"clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"exec": {"command": "/usr/bin/evil", "args": ["get-token"]}}}]}
    answer = {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(yaml.safe_dump(document).encode())
                               .decode()}]}
    snapshot = kube.read_workloads(answer, no_token)
    assert snapshot["warnings"][0]["rule"] == "workload-read-kubeconfig" and snapshot["requests"] == 0


# ---- TLS ------------------------------------------------------------------------------------
def test_the_kubeconfigs_ca_is_the_only_trust_and_its_file_is_deleted(kube_api, monkeypatch, tmp_path):
    kube_api.seed(small_cluster("tls"))
    bundle = tmp_path / "other.pem"
    kube_api.api.stranger.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))  # the environment's trust store is not used
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    os.makedirs(tmp_path / "tmp")
    snapshot = read(kube_api, "tls")
    assert snapshot["warnings"] == [] and os.listdir(tmp_path / "tmp") == []


def test_a_server_the_kubeconfigs_ca_does_not_verify_is_not_trusted_even_if_the_environment_would(
        kube_api, monkeypatch, tmp_path):
    kube_api.seed(small_cluster("wrongca", wrongCa=True))
    bundle = tmp_path / "server.pem"
    kube_api.api.authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))  # this one would verify the server: it must not be used
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    os.makedirs(tmp_path / "tmp")
    snapshot = read(kube_api, "wrongca")
    [warning] = snapshot["warnings"]
    assert warning["rule"] == "workload-read-tls" and "certificate authority does not verify" in warning["message"]
    assert snapshot["requests"] == 1 and os.listdir(tmp_path / "tmp") == []


def test_verification_is_never_turned_off(tmp_path):
    cluster = {"server": "https://k.example:443", "insecure-skip-tls-verify": True}  # and no certificate authority
    target = kube.endpoint({"clusters": [{"name": "c", "cluster": cluster}],
                            "users": [{"name": "u", "user": {"token": "t"}}]})
    files = kube.certificate_files(target, str(tmp_path))
    with kube.session_for(target, files, "t") as session:
        assert files["verify"] is True and session.verify is True and session.trust_env is False


# ---- servers that do not answer ---------------------------------------------------------------
def test_a_closed_port_is_given_up_at_once_and_points_to_command_invoke(kube_api):
    kube_api.seed(small_cluster("closed", server="closed"))
    started = time.monotonic()
    snapshot = read(kube_api, "closed")
    assert time.monotonic() - started < 2
    [warning] = snapshot["warnings"]
    assert warning["rule"] == "workload-read-unreachable" and "private cluster" in warning["message"]
    assert "az aks command invoke" in warning["message"] and snapshot["requests"] == 1  # no retry, no other kind
    assert set(snapshot["missing"]) == set(kube.objects.RESOURCES)


def test_a_server_that_never_speaks_is_given_up_after_the_read_timeout(kube_api):
    kube_api.seed(small_cluster("silent", server="silent"))
    started = time.monotonic()
    snapshot = read(kube_api, "silent", timeout=FAST)
    assert time.monotonic() - started < 3
    [warning] = snapshot["warnings"]
    assert warning["rule"] == "workload-read-unreachable" and "did not answer within 1 s" in warning["message"]
    assert snapshot["requests"] == 1


def test_the_default_timeouts_are_a_few_seconds():
    assert kube.TIMEOUT[0] <= 5 and kube.TIMEOUT[1] <= 10


# ---- partial reads -----------------------------------------------------------------------------
def test_a_forbidden_kind_is_named_with_the_role_and_the_rules_still_run(kube_api):
    spec = k.pod_spec(node_selector={"kubernetes.azure.com/os-sku": "Ubuntu"})
    nodes = k.pool_nodes("np1", 2)
    seed = k.merge({"nodes": nodes}, k.deployment("shop", "web", nodes, replicas=2, spec=spec))
    kube_api.seed(dict(seed, resourceGroup=RG, name="forbidden", forbidden=["nodes", "deployments"]))
    snapshot = read(kube_api, "forbidden")
    assert set(snapshot["missing"]) == {"nodes", "deployments"} and len(snapshot["pods"]) == 2
    by_kind = {w["value"]: w["message"] for w in snapshot["warnings"]}
    assert "Azure Kubernetes Service RBAC Reader" in by_kind["deployments"] and "view" in by_kind["deployments"]
    assert "nodes/read" in by_kind["nodes"] and "403" in by_kind["nodes"]
    found = analysis.analyse(snapshot, "np1", "AzureLinux3", "1.33.5", "in-place", False)
    assert [(f["rule"], f["value"]) for f in found] == [("workload-os-selector", "Deployment/shop/web")]


class FakeResponse:
    def __init__(self, status, body=None, headers=None):
        self.status_code, self.body, self.headers = status, body or {}, headers or {}
        self.text = json.dumps(self.body)
        self.closed = False

    def json(self):
        return self.body

    def iter_content(self, chunk_size):
        assert chunk_size is None  # one read of the whole body
        yield self.text.encode()

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FakeSession:
    def __init__(self, responses):
        self.responses = list(responses)

    def get(self, url, params, headers, timeout, allow_redirects, stream):  # pylint: disable=unused-argument
        assert stream  # read in one go by the lister, not in requests' chunks
        return self.responses.pop(0)


def test_a_short_retry_after_is_waited_once_and_a_long_one_skips_the_kind():
    waited = []
    page = {"kind": "NodeList", "metadata": {}, "items": [{"metadata": {"name": "n1"}}]}
    first = FakeResponse(429, headers={"Retry-After": "1"})
    lister = kube.Lister(lambda: FakeSession([first, FakeResponse(200, page)]), "https://x", sleep=waited.append)
    assert lister.pages("nodes", "/api/v1/nodes") == [{"metadata": {"name": "n1"}}]
    assert waited == [1] and lister.requests == 2 and first.closed  # its connection went back to the pool
    lister = kube.Lister(lambda: FakeSession([FakeResponse(429, {"message": "slow down"}, {"Retry-After": "60"})]),
                         "https://x", sleep=waited.append)
    with pytest.raises(kube.Skip) as skipped:
        lister.pages("nodes", "/api/v1/nodes")
    assert "429" in skipped.value.args[0]["message"] and waited == [1]


# ---- how the pages come ------------------------------------------------------------------------
@pytest.mark.parametrize("head, expected", [
    (b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"abc"},"items":[{"x"',
     {"resourceVersion": "7", "continue": "abc"}),
    (b' {\n "kind" : "PodList" ,\n "metadata" : { "continue" : "a" } }', {"continue": "a"}),
    (b'{"items":[],"metadata":{"continue":"a"}}', None),  # items first: the whole page tells
    (b'{"kind":"PodList","metadata":{"continue":"ab', None),  # cut within the metadata
    (b'[1,2]', None), (b'', None), (b'{"metadata":[1]}', None), (b'{"kind" "x"}', None), (b'{"a":1 "b":2}', None),
])
def test_the_continue_token_is_read_from_the_head_of_a_page_or_not_at_all(head, expected):
    assert kube.list_metadata(head) == expected


class FakeBody(FakeResponse):
    def __init__(self, body):
        super().__init__(200)
        self.raw_body = body

    def iter_content(self, chunk_size):
        yield self.raw_body


class ScriptedSession:
    """A session that answers by (path, continue token): bytes for a 200, or an exception to raise; a callable is
    called first (to wait on another request, say). Safe to share between the fetcher threads."""

    def __init__(self, script):
        self.script, self.asked = script, []

    def get(self, url, params, headers, timeout, allow_redirects, stream):  # pylint: disable=unused-argument
        key = (url.split("://x", 1)[1], params.get("continue"))
        self.asked.append(key)
        answer = self.script[key]
        if callable(answer):
            answer = answer()
        if isinstance(answer, Exception):
            raise answer
        return FakeBody(answer)

    def close(self):
        pass


def node_page(names, token, items_first=False):
    items = [{"metadata": {"name": n}} for n in names]
    metadata = {"continue": token} if token else {}
    page = {"items": items, "metadata": metadata} if items_first else {"kind": "NodeList", "metadata": metadata,
                                                                       "items": items}
    return json.dumps(page).encode()


@pytest.mark.parametrize("items_first", [False, True])
def test_the_next_page_is_asked_for_before_this_one_is_decoded_where_its_head_allows(monkeypatch, items_first):
    events = []
    trim = kube.objects.trim
    monkeypatch.setattr(kube.objects, "trim", lambda resource, item: events.append(("trim", item["metadata"]["name"]))
                        or trim(resource, item))
    session = ScriptedSession({("/api/v1/nodes", None): node_page(["n1"], "t1", items_first),
                               ("/api/v1/nodes", "t1"): node_page(["n2"], "t2", items_first),
                               ("/api/v1/nodes", "t2"): node_page(["n3"], None)})
    lister = kube.Lister(lambda: session, "https://x", workers=1)
    fetch = lister.fetch
    monkeypatch.setattr(lister, "fetch", lambda path, params, headers: events.append(("get", params.get("continue")))
                        or fetch(path, params, headers))  # asked for, on the thread that decodes
    try:
        assert [n["metadata"]["name"] for n in lister.pages("nodes", "/api/v1/nodes")] == ["n1", "n2", "n3"]
    finally:
        lister.close()
    if items_first:  # no head to read the token from: one page after the other, each decoded first
        assert events == [("get", None), ("trim", "n1"), ("get", "t1"), ("trim", "n2"), ("get", "t2"),
                          ("trim", "n3")]
    else:  # page 2 is on its way while page 1 is decoded
        assert events == [("get", None), ("get", "t1"), ("trim", "n1"), ("get", "t2"), ("trim", "n2"),
                          ("trim", "n3")]
    assert lister.requests == 3


def test_kinds_are_read_side_by_side_once_the_server_has_answered(kube_api):
    kube_api.seed(small_cluster("side"))
    before = len(kube_api.api.log)
    snapshot = read(kube_api, "side", workers=2)
    log = kube_api.api.log[before:]
    assert log[0]["path"] == "/api/v1/pods"  # the longest list first, alone
    assert snapshot["warnings"] == [] and snapshot["requests"] == len(log) == 7
    assert [r for r in kube.objects.RESOURCES if snapshot[r]] == ["nodes", "pods", "poddisruptionbudgets",
                                                                  "deployments", "replicasets"]


def test_an_interrupted_read_stops_at_the_next_request_and_lets_the_interrupt_through(kube_api, monkeypatch):
    nodes = k.pool_nodes("np1", 4)
    families = [{"nodes": nodes}] + [k.deployment("shop", f"svc-{i}", nodes, replicas=5) for i in range(40)]
    kube_api.seed(dict(k.merge(*families), resourceGroup=RG, name="interrupted"))
    status, answer = kube_api.credentials(RG, "interrupted")

    class Interrupted(kube.threading.Event):
        def wait(self, timeout=None):  # Ctrl+C while the first answer is awaited
            raise KeyboardInterrupt

    class Lister(kube.Lister):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.answered = Interrupted()

    monkeypatch.setattr(kube, "Lister", Lister)
    before = len(kube_api.api.log)
    with pytest.raises(KeyboardInterrupt):
        kube.read_workloads(answer, no_token, page_size=2)  # 100 pages of pods, were it not stopped
    time.sleep(0.5)  # what was on its way ends
    paths = [e["path"] for e in kube_api.api.log[before:]]
    assert status == 200 and len(paths) <= 3 and set(paths) <= {"/api/v1/pods"}


def read_scripted(script, workers=2, lists=kube.LISTS[:2]):
    session = ScriptedSession(script)
    lister = kube.Lister(lambda: session, "https://x", workers=workers)
    snapshot = kube.empty_snapshot("https://x")
    try:
        kube._read_all(lister, snapshot, lists)  # pylint: disable=protected-access
    finally:
        lister.close()
    return snapshot, session


def test_a_second_kind_is_asked_for_while_the_first_is_still_being_read():
    nodes_asked = threading.Event()

    def second_pods_page():  # answered only once nodes were asked for: a reader one kind at a time would stall
        return node_page(["p2"], None) if nodes_asked.wait(5) else requests.exceptions.ReadTimeout("stalled")

    def nodes():
        nodes_asked.set()
        return node_page(["n1"], None)

    snapshot, session = read_scripted({("/api/v1/pods", None): node_page(["p1"], "t1"),
                                       ("/api/v1/pods", "t1"): second_pods_page, ("/api/v1/nodes", None): nodes})
    assert snapshot["warnings"] == [] and [p["metadata"]["name"] for p in snapshot["pods"]] == ["p1", "p2"]
    assert session.asked[0] == ("/api/v1/pods", None) and len(session.asked) == 3


def test_a_look_ahead_nobody_uses_does_not_stop_the_other_kinds():
    broken_page = b'{"kind":"PodList","metadata":{"continue":"t1"},"items":[1]}'  # a token, then no list
    snapshot, _ = read_scripted({("/api/v1/pods", None): broken_page,
                                 ("/api/v1/pods", "t1"): requests.exceptions.ConnectionError("reset"),
                                 ("/api/v1/nodes", None): node_page(["n1"], None)})
    assert [w["rule"] for w in snapshot["warnings"]] == ["workload-read-failed"]
    assert set(snapshot["missing"]) == {"pods"} and len(snapshot["nodes"]) == 1


@pytest.mark.parametrize("body", [
    b'{"kind":"PodList","metadata":{},"items":[1]}',
    b'{"kind":"PodList","metadata":{},"items":{"not":"a list"}}',
    b"[" * 100000 + b"]" * 100000,
    b"<html>a login page</html>",
], ids=["item-not-an-object", "items-not-a-list", "nested-too-deep", "not-json"])
def test_whatever_a_page_holds_it_is_a_warning_and_the_other_kinds_are_read(body):
    snapshot, _ = read_scripted({("/api/v1/pods", None): body, ("/api/v1/nodes", None): node_page(["n1"], None)})
    assert [w["rule"] for w in snapshot["warnings"]] == ["workload-read-failed"]
    assert "not a Kubernetes list" in snapshot["warnings"][0]["message"] and len(snapshot["nodes"]) == 1


def test_a_condition_that_is_not_an_object_is_passed_over():
    body = b'{"kind":"PodList","metadata":{},"items":[{"metadata":{"name":"p"},"status":{"conditions":[null]}}]}'
    snapshot, _ = read_scripted({("/api/v1/pods", None): body, ("/api/v1/nodes", None): node_page([], None)})
    assert snapshot["warnings"] == [] and snapshot["pods"][0]["status"] == {"phase": None, "conditions": []}


@pytest.mark.parametrize("error", [requests.exceptions.ContentDecodingError("bad gzip"),
                                   requests.exceptions.ChunkedEncodingError("cut short")])
def test_an_answer_that_breaks_off_is_named_as_such(error):
    snapshot, session = read_scripted({("/api/v1/pods", None): error, ("/api/v1/nodes", None): node_page([], None)})
    [warning] = snapshot["warnings"]
    assert warning["rule"] == "workload-read-broken" and "broke off an answer" in warning["message"]
    assert set(snapshot["missing"]) == {"pods", "nodes"} and session.asked == [("/api/v1/pods", None)]
