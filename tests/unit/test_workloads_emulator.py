# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The emulated Kubernetes API keeps the API reference's promises (lists, chunks, selectors, Status errors), and
its credential answers are kubeconfigs as AKS writes them."""
import base64
import re
import ssl
import tempfile
import time

import pytest
import requests
import trustme
import yaml
from aiohttp import web

from azext_azurelinux.workloads import kube
from tests.emulator import kube_objects as k
from tests.emulator.kube import AKS_SERVER_APP_ID, ThreadedKubeApi
from tests.emulator.server import Emulator
from tests.unit import workloads_support
from tests.unit.workloads_support import RG, small_cluster

kube_api = workloads_support.kube_api  # the fixture, shared with the other test module of the read


@pytest.fixture(scope="module")
def api(kube_api, tmp_path_factory):  # pylint: disable=redefined-outer-name
    """GET on one seeded cluster's API server, as a plain HTTPS client: (kube_api, get(path, token=..., **params))."""
    nodes = k.pool_nodes("np1", 3) + k.pool_nodes("np2", 2)
    seed = k.merge({"nodes": nodes}, k.deployment("shop", "web", nodes[:3], replicas=3),
                   k.deployment("ops", "api", nodes[3:], replicas=2), k.statefulset("data", "db", nodes[:3]),
                   {"pods": [k.pod("default", "done", nodes[0]["metadata"]["name"], phase="Succeeded")]})
    kube_api.seed(dict(seed, resourceGroup=RG, name="api", forbidden=["statefulsets"]))
    _, answer = kube_api.credentials(RG, "api")
    user = kubeconfig(answer)["users"][0]["user"]
    ca = tmp_path_factory.mktemp("ca") / "ca.pem"
    kube_api.api.authority.cert_pem.write_to_path(str(ca))
    server = kubeconfig(answer)["clusters"][0]["cluster"]["server"]

    def get(path, token=user["token"], method="GET", headers=None, **params):
        headers = dict(headers or {}, **({"Authorization": f"Bearer {token}"} if token else {}))
        return requests.request(method, server + path, params=params, headers=headers, verify=str(ca), timeout=10)

    return get


def kubeconfig(answer):
    return yaml.safe_load(base64.b64decode(answer["kubeconfigs"][0]["value"]))


def names(response):
    return [i["metadata"]["name"] for i in response.json()["items"]]


# ---- lists ------------------------------------------------------------------------------------
def test_a_list_is_a_typed_collection_in_key_order(api):
    response = api("/api/v1/pods")
    body = response.json()
    assert response.status_code == 200 and body["kind"] == "PodList" and body["apiVersion"] == "v1"
    keys = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in body["items"]]
    assert keys == sorted(keys) and len(keys) == 9
    assert all("kind" not in i and "apiVersion" not in i for i in body["items"])
    assert api("/apis/apps/v1/deployments").json()["kind"] == "DeploymentList"
    assert api("/apis/policy/v1/poddisruptionbudgets").json()["apiVersion"] == "policy/v1"


def test_chunks_follow_continue_with_a_constant_resource_version(api):
    first = api("/api/v1/pods", limit=4).json()
    assert len(first["items"]) == 4 and first["metadata"]["remainingItemCount"] == 5
    second = api("/api/v1/pods", limit=4, **{"continue": first["metadata"]["continue"]}).json()
    third = api("/api/v1/pods", limit=4, **{"continue": second["metadata"]["continue"]}).json()
    assert len(third["items"]) == 1 and "continue" not in third["metadata"]
    assert first["metadata"]["resourceVersion"] == third["metadata"]["resourceVersion"]
    every = [i["metadata"]["name"] for page in (first, second, third) for i in page["items"]]
    assert every == names(api("/api/v1/pods"))


def test_with_a_selector_a_page_holds_matches_only_and_no_remaining_count(api):
    page = api("/api/v1/pods", limit=2, labelSelector="app=web").json()
    assert names_of(page) and all(i["metadata"]["labels"]["app"] == "web" for i in page["items"])
    assert "remainingItemCount" not in page["metadata"] and page["metadata"]["continue"]
    rest = api("/api/v1/pods", limit=2, labelSelector="app=web", **{"continue": page["metadata"]["continue"]})
    assert len(names_of(page)) + len(names(rest)) == 3


def names_of(page):
    return [i["metadata"]["name"] for i in page["items"]]


@pytest.mark.parametrize("selector, count", [
    ("app=web", 3), ("app==web", 3), ("app!=web", 6), ("app in (web, api)", 5), ("app notin (web,api)", 4),
    ("apps.kubernetes.io/pod-index", 3), ("!pod-template-hash", 4), ("app=web,pod-template-hash", 3), ("", 9),
])
def test_label_selectors(api, selector, count):
    assert len(names(api("/api/v1/pods", labelSelector=selector))) == count


@pytest.mark.parametrize("selector, count", [
    ("spec.nodeName=aks-np2-12345681-vmss000000", 1), ("metadata.namespace=shop", 3),
    ("metadata.namespace!=shop", 6), ("status.phase!=Succeeded,status.phase!=Failed", 8),
    ("metadata.name=db-0", 1),
])
def test_field_selectors(api, selector, count):
    assert len(names(api("/api/v1/pods", fieldSelector=selector))) == count


def test_namespaced_lists(api):
    in_ops = names(api("/api/v1/pods", fieldSelector="metadata.namespace=ops"))
    assert names(api("/api/v1/namespaces/ops/pods")) == in_ops and len(in_ops) == 2
    assert len(names(api("/apis/apps/v1/namespaces/shop/replicasets"))) == 1


def test_metadata_only_lists_when_the_client_asks(api):
    accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
    body = api("/apis/apps/v1/replicasets", headers={"Accept": accept}).json()
    assert body["kind"] == "PartialObjectMetadataList" and body["apiVersion"] == "meta.k8s.io/v1"
    assert {tuple(sorted(i)) for i in body["items"]} == {("apiVersion", "kind", "metadata")}
    assert body["items"][0]["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    assert api("/api/v1/nodes", headers={"Accept": "application/json"}).json()["kind"] == "NodeList"
    refused = api("/api/v1/nodes", headers={"Accept": "application/json;as=Table;g=meta.k8s.io;v=v1"})
    assert refused.status_code == 406 and refused.json()["reason"] == "NotAcceptable"


def test_lists_over_128_kib_are_gzipped_for_a_client_that_takes_gzip(kube_api):  # pylint: disable=redefined-outer-name
    nodes = k.pool_nodes("np1", 3)
    kube_api.seed(dict(k.merge({"nodes": nodes}, *[k.deployment("shop", f"s{i}", nodes, replicas=5)
                                                  for i in range(40)]), resourceGroup=RG, name="gzip"))
    _, answer = kube_api.credentials(RG, "gzip")
    target = kube.endpoint(kubeconfig(answer))
    log_before = len(kube_api.api.log)
    with tempfile.TemporaryDirectory() as folder:
        files = kube.certificate_files(target, folder)  # the kubeconfig's own CA
        with kube.session_for(target, files, target["token"]) as session:
            asked = {encoding: session.get(target["server"] + "/api/v1/pods", headers={"Accept-Encoding": encoding},
                                           timeout=10) for encoding in ("gzip", "identity", "gzip;q=0, deflate")}
            small = session.get(target["server"] + "/api/v1/nodes", timeout=10)
    log = kube_api.api.log[log_before:]
    assert [e["encoding"] for e in log] == ["gzip", "identity", "identity", "identity"]
    assert asked["gzip"].headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in asked["identity"].headers
    assert asked["gzip"].json() == asked["identity"].json() and len(asked["gzip"].json()["items"]) == 200
    plain, packed = log[1]["bytes"], log[0]["bytes"]
    assert plain > 128 * 1024 > packed  # the log counts the bytes as sent
    assert small.status_code == 200 and "Content-Encoding" not in small.headers  # under 128 KiB: as it is
    assert asked["identity"].content.startswith(b'{"kind":"PodList","apiVersion":"v1","metadata":{')  # compact


def test_an_answer_asked_again_is_compressed_once_and_never_stale(kube_api, monkeypatch):  # pylint: disable=redefined-outer-name
    from tests.emulator import kube as emulated  # pylint: disable=import-outside-toplevel
    compressed = []
    real = emulated.gzip.compress
    monkeypatch.setattr(emulated.gzip, "compress", lambda data, **options: compressed.append(len(data)) or
                        real(data, **options))
    nodes = k.pool_nodes("np1", 3)

    def seed(deployments):
        kube_api.seed(dict(k.merge({"nodes": nodes}, *[k.deployment("shop", f"s{i}", nodes, replicas=5)
                                                      for i in range(deployments)]), resourceGroup=RG, name="memo"))
    seed(40)
    _, answer = kube_api.credentials(RG, "memo")
    target = kube.endpoint(kubeconfig(answer))
    with tempfile.TemporaryDirectory() as folder:
        files = kube.certificate_files(target, folder)
        with kube.session_for(target, files, target["token"]) as session:
            def pods():
                return session.get(target["server"] + "/api/v1/pods", timeout=10).json()["items"]
            first, again = pods(), pods()
            assert len(compressed) == 1 and first == again and len(first) == 200
            packed = list(kube_api.api._gzipped.values())[-1]  # pylint: disable=protected-access
            assert packed[:2] == b"\x1f\x8b" and packed[4:8] == bytes(4)  # gzip with MTIME 0, as Go writes it
            seed(41)  # another answer: compressed anew
            assert len(pods()) == 205 and len(compressed) == 2
            monkeypatch.setattr(emulated, "GZIP_MEMO_BYTES", 1)  # the memo keeps the newest answer only
            seed(42)
            assert len(pods()) == 210 and len(kube_api.api._gzipped) == 1  # pylint: disable=protected-access


# ---- Status errors ----------------------------------------------------------------------------
def status_of(response):
    body = response.json()
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == response.status_code
    return body


def test_errors_are_status_objects(api):
    assert status_of(api("/api/v1/pods", token=None))["reason"] == "Unauthorized"
    assert status_of(api("/api/v1/pods", token="nope"))["message"] == "Unauthorized"
    forbidden = status_of(api("/apis/apps/v1/statefulsets"))
    assert forbidden["reason"] == "Forbidden" and forbidden["details"] == {"group": "apps", "kind": "statefulsets"}
    assert forbidden["message"] == ('statefulsets is forbidden: User "clusterUser" cannot list resource "statefulsets" '
                                    'in API group "apps" at the cluster scope')
    unsupported = status_of(api("/api/v1/pods", fieldSelector="spec.foo=x"))
    assert unsupported["message"] == "field label not supported: spec.foo"
    assert status_of(api("/api/v1/pods", labelSelector="app in web"))["reason"] == "BadRequest"
    assert status_of(api("/api/v1/pods", limit=1, **{"continue": "garbage"}))["code"] == 400
    assert status_of(api("/api/v1/secrets"))["reason"] == "NotFound"
    assert status_of(api("/api/v1/namespaces/x/nodes"))["code"] == 404
    assert status_of(api("/api/v1/pods", method="DELETE"))["reason"] == "MethodNotAllowed"


def test_a_continue_token_expires_when_the_cluster_changes(kube_api, api):  # pylint: disable=redefined-outer-name
    token = api("/api/v1/nodes", limit=1).json()["metadata"]["continue"]
    kube_api.seed({"resourceGroup": RG, "name": "api"})  # a new resourceVersion; objects untouched
    expired = status_of(api("/api/v1/nodes", limit=1, **{"continue": token}))
    assert expired["code"] == 410 and expired["reason"] == "Expired" and "too old" in expired["message"]


def test_a_read_only_api_has_no_log_of_tokens(kube_api, api):  # pylint: disable=redefined-outer-name
    api("/api/v1/nodes")
    assert all("headers" not in e for e in kube_api.api.log)
    assert not any(t in repr(kube_api.api.log) for t in kube_api.call(kube_api.api.admin("GET"))[1]["tokens"])


# ---- credential answers -----------------------------------------------------------------------
def test_a_cluster_without_entra_gets_a_token_and_a_client_certificate(kube_api):
    kube_api.seed(small_cluster("local"))
    status, answer = kube_api.credentials(RG, "local")
    document = kubeconfig(answer)
    assert status == 200 and answer["kubeconfigs"][0]["name"] == "clusterUser"
    assert document["current-context"] == "local" and document["kind"] == "Config"
    assert document["users"][0]["name"] == "clusterUser_rg_local"
    assert set(document["users"][0]["user"]) == {"client-certificate-data", "client-key-data", "token"}
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", document["clusters"][0]["cluster"]["server"])
    admin = kubeconfig(kube_api.credentials(RG, "local", admin=True)[1])
    assert admin["current-context"] == "local-admin" and admin["users"][0]["name"] == "clusterAdmin_rg_local"


def test_a_managed_entra_cluster_gets_kubelogin_for_users_and_certificates_for_admins(kube_api):
    kube_api.seed(small_cluster("aad", aadProfile={"managed": True, "tenantID": "tenant-1"}))
    user = kubeconfig(kube_api.credentials(RG, "aad")[1])["users"][0]["user"]
    assert user["exec"]["command"] == "kubelogin" and "token" not in user
    args = user["exec"]["args"]
    assert args[args.index("--server-id") + 1] == AKS_SERVER_APP_ID and args[args.index("--tenant-id") + 1] == \
        "tenant-1"
    assert "token" in kubeconfig(kube_api.credentials(RG, "aad", admin=True)[1])["users"][0]["user"]


def test_disabled_local_accounts_refuse_static_credentials(kube_api):
    kube_api.seed(small_cluster("aadonly", aadProfile={"managed": True}, disableLocalAccounts=True))
    assert kube_api.credentials(RG, "aadonly")[0] == 200
    status, body = kube_api.credentials(RG, "aadonly", admin=True)
    assert status == 400 and body["error"]["code"] == "BadRequest" and "disable local accounts" in \
        body["error"]["message"]


def test_the_admin_api_seeds_shows_and_resets():
    with ThreadedKubeApi() as threaded:
        def admin(method, body=None):
            return threaded.call(threaded.api.admin(method, body))

        status, body = admin("POST", {"clusters": [small_cluster("a"), small_cluster("b", server="silent")]})
        assert status == 200 and [c["mode"] for c in body["clusters"]] == ["up", "silent"]
        assert admin("POST", {"name": "no-group"})[0] == 400
        status, shown = admin("GET")
        assert [c["objects"]["pods"] for c in shown["clusters"]] == [4, 4] and len(shown["tokens"]) == 4
        assert admin("DELETE")[1] == {"status": "reset"} and admin("GET")[1]["clusters"] == []


# ---- the hook, as server.py wires it ----------------------------------------------------------


def test_the_arm_action_through_the_emulator(kube_api, tmp_path):  # pylint: disable=redefined-outer-name
    authority = trustme.CA()
    bundle = tmp_path / "arm.pem"
    authority.cert_pem.write_to_path(str(bundle))
    emulator = kube_api.call(make_wired())

    async def serve():
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(context)
        runner = web.AppRunner(emulator.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        emulator.base_url = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # pylint: disable=protected-access
        return runner

    runner = kube_api.call(serve())
    try:
        emulator.store.seed({"clusters": [{"resourceGroup": RG, "name": "wired", "body": {
            "location": "eastus", "properties": {"kubernetesVersion": "1.33.5", "aadProfile": {"managed": True}}}}]})
        arm_token = requests.post(f"{emulator.base_url}/t/oauth2/v2.0/token", verify=str(bundle), timeout=10, data={
            "grant_type": "client_credentials", "client_id": "c", "client_secret": "s", "scope": "x/.default"}
        ).json()["access_token"]
        path = (f"/subscriptions/00000000-0000-0000-0000-00000000a2a1/resourceGroups/{RG}/providers/"
                "Microsoft.ContainerService/managedClusters/wired/listClusterUserCredential?api-version=2026-06-01")
        answer = requests.post(emulator.base_url + path, headers={"Authorization": f"Bearer {arm_token}"},
                               verify=str(bundle), timeout=10)
        assert answer.status_code == 200
        document = kubeconfig(answer.json())
        assert document["users"][0]["user"]["exec"]["command"] == "kubelogin"
        snapshot = kube.read_workloads(answer.json(), lambda: arm_token)  # an ARM token: the wrong audience
        assert snapshot["warnings"][0]["rule"] == "workload-read-unauthorized"
        missing = requests.post(emulator.base_url + path.replace("wired", "nope"),
                                headers={"Authorization": f"Bearer {arm_token}"}, verify=str(bundle), timeout=10)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"
    finally:
        kube_api.call(runner.cleanup())
        kube_api.call(emulator.kube.close())


async def make_wired():
    return Emulator()  # server.py's emulator has the hook: KubeRoutes, KUBE_ROUTES and self.kube


@pytest.mark.parametrize("header, gzip", [
    ("gzip", True), ("gzip, deflate", True), ("deflate, gzip;q=0.5", True), ("identity", False), ("", False),
    (None, False), ("gzip;q=0", False), ("*", True), ("*;q=0, gzip", True), ("gzip;q=0, *", False),
])
def test_gzip_is_sent_to_whom_accepts_it(header, gzip):
    from tests.emulator.kube import _accepts_gzip  # pylint: disable=import-outside-toplevel
    assert _accepts_gzip(header) is gzip


def test_a_cluster_across_a_network_answers_after_a_round_trip_and_its_bytes(kube_api):  # pylint: disable=redefined-outer-name
    kube_api.seed(small_cluster("far", latencyMs=300, mbps=0.08))  # 10 kB a second
    _, answer = kube_api.credentials(RG, "far")
    target = kube.endpoint(kubeconfig(answer))
    with tempfile.TemporaryDirectory() as folder:
        with kube.session_for(target, kube.certificate_files(target, folder), target["token"]) as session:
            started = time.monotonic()
            response = session.get(target["server"] + "/api/v1/nodes", timeout=10)
            took = time.monotonic() - started
    sent = kube_api.api.log[-1]["bytes"]
    assert response.status_code == 200 and took >= 0.3 + sent / 10_000 * 0.9, (took, sent)
    kube_api.seed({"resourceGroup": RG, "name": "far", "latencyMs": 0, "mbps": 0})
