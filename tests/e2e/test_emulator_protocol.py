# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The emulator speaks the service's protocol: validation, LROs, ETags, 409s, faults, sign-in, admin API.

These talk HTTPS to the emulator directly (the CA it made is the only one trusted), so
each rule is checked without the cost of a CLI process.
"""
import time
import uuid

import pytest
import requests

from tests.emulator.client import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from tests.emulator.store import SUBSCRIPTION_ID

CS = "providers/Microsoft.ContainerService"


@pytest.fixture
def api(emulator):
    emulator.clear_faults()
    emulator.configure(operationSeconds=0, retryAfter="1", statusReadsPerSecond=1000, statusBurst=100000)
    group = f"rg-{uuid.uuid4().hex[:8]}"
    emulator.seed({"clusters": [{"resourceGroup": group, "name": "c1", "kubernetesVersion": "1.33.5",
                                 "agentPools": [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5",
                                                 "count": 1, "osSKU": "Ubuntu"}]}]})

    class Api:
        rg = group
        cluster = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/{CS}/managedClusters/c1"

        def pool(self, name):
            return f"{self.cluster}/agentPools/{name}"

        def put_pool(self, name, headers=None, **props):
            body = {"properties": dict({"vmSize": "Standard_D4ds_v5", "count": 1, "mode": "User"}, **props)}
            return emulator.arm("PUT", self.pool(name), body, headers=headers)

        def wait(self, response):
            url = response.headers["Azure-AsyncOperation"]
            for _ in range(200):
                status = emulator.session.get(url, headers=_auth(emulator), verify=emulator.ca_bundle).json()
                if status["status"] != "InProgress":
                    return status
                time.sleep(0.05)
            raise AssertionError("operation never ended")
    return Api()


def _auth(emulator):
    token = requests.post(f"{emulator.url}/{TENANT_ID}/oauth2/v2.0/token", verify=emulator.ca_bundle, timeout=10,
                          data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                "client_secret": CLIENT_SECRET, "scope": "https://management.core.windows.net//.default"}
                          ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def error_of(response):
    return response.status_code, response.json()["error"]["code"]


# ---- validation rules ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Upper", "1leading", "has-dash", "waytoolongname1", ""])
def test_pool_name_pattern(api, name):
    response = api.put_pool(name or "%20")
    assert error_of(response) in ((400, "InvalidParameter"), (404, "InvalidResourceType"))
    if name:
        assert "agentPoolProfile.name" in response.json()["error"]["message"]


def test_windows_pool_name_is_at_most_six(api):
    assert error_of(api.put_pool("win1234", osType="Windows", osSKU="Windows2022")) == (400, "InvalidParameter")
    assert api.put_pool("win123", osType="Windows", osSKU="Windows2022").status_code == 201


@pytest.mark.parametrize("mode,count,ok", [("User", 0, True), ("User", 1000, True), ("User", 1001, False),
                                           ("User", -1, False), ("System", 0, False), ("System", 1, True)])
def test_count_ranges_per_mode(api, mode, count, ok):
    response = api.put_pool("cnt", mode=mode, count=count)
    assert (response.status_code == 201) == ok, response.text
    if not ok:
        assert error_of(response) == (400, "InvalidParameter")


def test_autoscaler_bounds(api):
    assert error_of(api.put_pool("as1", enableAutoScaling=True, minCount=5, maxCount=2, count=3)) == \
        (400, "InvalidParameter")
    assert error_of(api.put_pool("as2", enableAutoScaling=True, minCount=1, maxCount=3, count=5)) == \
        (400, "InvalidParameter")
    assert error_of(api.put_pool("as3", mode="System", enableAutoScaling=True, minCount=0, maxCount=3, count=1)) == \
        (400, "InvalidParameter")
    assert api.put_pool("as4", enableAutoScaling=True, minCount=1, maxCount=3, count=2).status_code == 201


def test_system_pools_must_be_linux(api):
    response = api.put_pool("win", mode="System", osType="Windows", osSKU="Windows2022")
    assert error_of(response) == (400, "InvalidParameter") and "Linux" in response.json()["error"]["message"]


@pytest.mark.parametrize("os_type,sku,ok", [("Linux", "AzureLinux", True), ("Linux", "AzureLinux3", True),
                                            ("Linux", "Windows2022", False), ("Windows", "AzureLinux", False),
                                            ("Linux", "Debian", False), ("Linux", "azurelinux", True)])
def test_os_sku_values_and_os_type(api, os_type, sku, ok):
    response = api.put_pool("sku", osType=os_type, osSKU=sku)
    assert (response.status_code == 201) == ok, response.text
    if ok:
        assert response.json()["properties"]["osSKU"] in ("AzureLinux", "AzureLinux3")
    else:
        assert error_of(response) == (400, "InvalidOSSKU")


def test_service_takes_nvidia_gpus_on_azure_linux_and_refuses_amd_late(api):
    """Today's service (the documentation since 2026-04): every NVIDIA size; the founding policy is stricter."""
    assert api.put_pool("gpu", osSKU="AzureLinux", vmSize="Standard_NC24ads_A100_v4").status_code == 201
    response = api.put_pool("amd", osSKU="AzureLinux", vmSize="Standard_NV4as_v4")
    assert error_of(response) == (400, "InvalidOSSKU")
    assert "other than NVIDIA" in response.json()["error"]["message"]


@pytest.mark.parametrize("prop,value,ok", [("maxPods", 9, False), ("maxPods", 10, True), ("maxPods", 251, False),
                                           ("osDiskSizeGB", 2049, False), ("osDiskSizeGB", 0, True)])
def test_max_pods_and_disk_ranges(api, prop, value, ok):
    response = api.put_pool("rng", **{prop: value})
    assert (response.status_code == 201) == ok, response.text


def test_immutable_properties_cannot_change(api, emulator):
    api.put_pool("imm")
    response = api.put_pool("imm", vmSize="Standard_D8ds_v5")
    assert error_of(response) == (400, "PropertyChangeNotAllowed")


def test_last_system_pool_cannot_be_deleted(api, emulator):
    response = emulator.arm("DELETE", api.pool("system"))
    assert error_of(response) == (400, "OperationNotAllowed")
    assert response.json()["error"]["message"] == "There has to be at least one system agent pool."


def test_not_found(api, emulator):
    assert error_of(emulator.arm("GET", api.pool("nothere"))) == (404, "NotFound")
    missing_cluster = emulator.arm("GET", api.cluster.replace("/c1", "/zz"))
    assert error_of(missing_cluster) == (404, "ResourceNotFound")
    assert "Microsoft.ContainerService/managedClusters/zz" in missing_cluster.json()["error"]["message"]
    missing_group = emulator.arm("GET", f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/nogroup/{CS}/managedClusters")
    assert error_of(missing_group) == (404, "ResourceGroupNotFound")
    assert emulator.arm("DELETE", api.pool("nothere")).status_code == 204


def test_arm_requires_an_issued_token(emulator):
    response = requests.get(f"{emulator.url}/subscriptions", verify=emulator.ca_bundle,
                            headers={"Authorization": "Bearer forged"}, timeout=10)
    assert error_of(response) == (401, "AuthenticationFailed")


# ---- ETags and concurrency ----------------------------------------------------------------
def test_if_none_match_star_refuses_an_existing_pool(api):
    assert api.put_pool("etg", headers={"If-None-Match": "*"}).status_code == 201
    assert error_of(api.put_pool("etg", headers={"If-None-Match": "*"})) == (412, "PreconditionFailed")


def test_if_match_needs_the_current_etag(api, emulator):
    etag = api.put_pool("etm").json()["properties"]["eTag"]
    assert api.put_pool("etm", headers={"If-Match": f'"{etag}"'}, count=2).status_code == 200
    assert error_of(api.put_pool("etm", headers={"If-Match": f'"{etag}"'}, count=3)) == (412, "PreconditionFailed")


def test_pool_operation_changes_only_the_pools_etag(api, emulator):
    before = emulator.arm("GET", api.cluster).json()
    api.put_pool("pe")
    after = emulator.arm("GET", api.cluster).json()
    assert before["eTag"] == after["eTag"]


def test_409_while_an_operation_runs_on_the_same_pool(api, emulator):
    emulator.configure(operationSeconds=2)
    first = api.put_pool("busy")
    second = api.put_pool("busy", count=2)
    assert error_of(second) == (409, "OperationNotAllowed")
    assert "Another agentpool operation (busy - Creating) is in progress" in second.json()["error"]["message"]
    assert "Retry-After" not in second.headers  # a 409 must not invite an automatic retry
    other = api.put_pool("other")  # another pool of the same cluster may run in parallel
    assert other.status_code == 201
    cluster_put = emulator.arm("PUT", api.cluster, {"location": "eastus", "properties": {}})
    assert error_of(cluster_put) == (409, "OperationNotAllowed")
    assert api.wait(first)["status"] == "Succeeded"


# ---- long-running operations --------------------------------------------------------------
def test_put_answers_201_then_the_operation_runs_its_course(api, emulator):
    emulator.configure(operationSeconds=0.5)
    response = api.put_pool("lro")
    assert response.status_code == 201
    assert response.json()["properties"]["provisioningState"] == "Creating"
    url = response.headers["Azure-AsyncOperation"]
    assert f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.ContainerService/locations/eastus/operations/" in url
    assert response.headers["Retry-After"] == "1"
    first = emulator.session.get(url, headers=_auth(emulator), verify=emulator.ca_bundle).json()
    assert first["status"] == "InProgress" and "startTime" in first
    final = api.wait(response)
    assert final["status"] == "Succeeded" and "endTime" in final
    assert emulator.arm("GET", api.pool("lro")).json()["properties"]["provisioningState"] == "Succeeded"
    update = api.put_pool("lro", count=3)
    assert update.status_code == 200 and update.json()["properties"]["provisioningState"] == "Updating"
    api.wait(update)
    upgrade = api.put_pool("lro", count=3, osSKU="AzureLinux")
    assert upgrade.json()["properties"]["provisioningState"] == "Upgrading"


def test_delete_answers_202_with_location_then_the_pool_is_gone(api, emulator):
    api.wait(api.put_pool("del"))
    emulator.configure(operationSeconds=0.3)
    response = emulator.arm("DELETE", api.pool("del"))
    assert response.status_code == 202 and "Location" in response.headers and "Azure-AsyncOperation" in response.headers
    location = emulator.session.get(response.headers["Location"], headers=_auth(emulator), verify=emulator.ca_bundle)
    assert location.status_code == 202
    assert api.wait(response)["status"] == "Succeeded"
    assert emulator.arm("GET", api.pool("del")).status_code == 404
    done = emulator.session.get(response.headers["Location"], headers=_auth(emulator), verify=emulator.ca_bundle)
    assert done.status_code == 204


def test_retry_after_can_be_left_out_like_the_real_service(api, emulator):
    emulator.configure(retryAfter=None)
    assert "Retry-After" not in api.put_pool("nora").headers


def test_injected_failed_and_canceled_operations(api, emulator):
    emulator.fault("fail_operation", path="/agentPools/bad$")
    failed = api.wait(api.put_pool("bad"))
    assert failed["status"] == "Failed" and failed["error"]["code"] == "InternalOperationError"
    emulator.fault("cancel_operation", path="/agentPools/cnl$")
    assert api.wait(api.put_pool("cnl"))["status"] == "Canceled"


# ---- faults and the admin API -------------------------------------------------------------
def test_injected_faults_answer_once_then_stop(api, emulator):
    emulator.fault("throttle", path="/agentPools/flt$", retry_after=7)
    throttled = api.put_pool("flt")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    emulator.fault("error", path="/agentPools/flt$")
    assert error_of(api.put_pool("flt")) == (500, "InternalServerError")
    emulator.fault("conflict", path="/agentPools/flt$")
    assert error_of(api.put_pool("flt")) == (409, "OperationNotAllowed")
    emulator.fault("drop", path="/agentPools/flt$")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.put_pool("flt")
    assert api.put_pool("flt").status_code == 201  # every fault was used up
    log = [e for e in emulator.requests() if e["path"].endswith("/agentPools/flt")]
    assert [e.get("fault") for e in log] == ["throttle", "error", "conflict", "drop", None]
    assert [e["status"] for e in log] == [429, 500, 409, "dropped", 201]


def test_request_log_holds_no_secrets(emulator):
    _auth(emulator)
    token_requests = [e for e in emulator.requests() if e["path"].endswith("/oauth2/v2.0/token")]
    assert token_requests and token_requests[-1]["body"]["client_secret"] == "<redacted>"
    assert CLIENT_SECRET not in str(emulator.requests())
    arm = [e for e in emulator.requests() if e["path"].startswith("/subscriptions")]
    assert all(e["headers"].get("Authorization") in (None, "<redacted>") for e in arm)


def test_reset_empties_the_state(tmp_path):
    from tests.emulator.client import EmulatorProcess
    own = EmulatorProcess(str(tmp_path / "emu"))
    try:
        own.seed({"resourceGroups": [{"name": "gone", "location": "eastus"}]})
        assert own.arm("GET", f"/subscriptions/{SUBSCRIPTION_ID}/resourcegroups/gone").status_code == 200
        own.admin("POST", "reset")
        assert own.requests() == []
        own.fault("error", path="/never")
        own.admin("POST", "reset")
        assert own.admin("GET", "faults") == []
        # the token issued before the reset still signs in: reset empties resources, not sign-in
        assert own.arm("GET", f"/subscriptions/{SUBSCRIPTION_ID}/resourcegroups/gone").status_code == 404
    finally:
        own.stop()


# ---- sign-in ------------------------------------------------------------------------------
def test_client_secret_credential_signs_in_with_the_emulator_as_authority(emulator):
    from azure.identity import ClientSecretCredential
    credential = ClientSecretCredential(TENANT_ID, CLIENT_ID, CLIENT_SECRET, authority=emulator.url,
                                        disable_instance_discovery=True, connection_verify=emulator.ca_bundle)
    token = credential.get_token("https://management.core.windows.net//.default")
    assert token.token.count(".") == 2 and token.expires_on > time.time()
    response = requests.get(f"{emulator.url}/subscriptions?api-version=2022-12-01", verify=emulator.ca_bundle,
                            headers={"Authorization": f"Bearer {token.token}"}, timeout=10)
    assert response.json()["value"][0]["subscriptionId"] == SUBSCRIPTION_ID


def test_openid_configuration_names_the_token_endpoint(emulator):
    config = requests.get(f"{emulator.url}/{TENANT_ID}/v2.0/.well-known/openid-configuration",
                          verify=emulator.ca_bundle, timeout=10).json()
    assert config["token_endpoint"] == f"{emulator.url}/{TENANT_ID}/oauth2/v2.0/token"
    assert config["issuer"].startswith(emulator.url)


def test_tls_is_verified_against_the_emulators_own_authority(emulator):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{emulator.url}/_emulator/health", verify=True, timeout=10)


# ---- as Azure does: operations run on unpolled, tags, bodies seeded verbatim ---------------
def test_an_operation_ends_by_time_whether_or_not_anyone_polls(api, emulator):
    emulator.configure(operationSeconds=0.5)
    response = api.put_pool("unpolled", osSKU="Ubuntu")
    assert response.json()["properties"]["provisioningState"] == "Creating"
    time.sleep(1.0)  # nobody reads the operation status meanwhile
    assert emulator.arm("GET", api.pool("unpolled")).json()["properties"]["provisioningState"] == "Succeeded"
    [operation] = [o for o in emulator.operations() if o["resourceGroup"] == api.rg and o["pool"] == "unpolled"]
    assert operation["status"] == "Succeeded" and operation["endEpoch"] - operation["startEpoch"] < 0.9


def test_agent_pool_tags_are_kept_replaced_and_removed(api, emulator):
    api.wait(api.put_pool("tagged", tags={"team": "a", "azurelinux-migration-from-os-sku": "Ubuntu"}))
    assert emulator.arm("GET", api.pool("tagged")).json()["properties"]["tags"] == \
        {"team": "a", "azurelinux-migration-from-os-sku": "Ubuntu"}
    api.wait(api.put_pool("tagged", tags={"team": "a"}))
    assert emulator.arm("GET", api.pool("tagged")).json()["properties"]["tags"] == {"team": "a"}
    api.wait(api.put_pool("tagged", tags={}))
    assert emulator.arm("GET", api.pool("tagged")).json()["properties"]["tags"] == {}


def test_real_bodies_are_seeded_verbatim_unknown_fields_included(emulator):
    group = f"rg-{uuid.uuid4().hex[:8]}"
    body = {"id": "/subscriptions/0/resourcegroups/x/providers/Microsoft.ContainerService/managedClusters/y/agentPools/z",
            "name": "z", "type": "Microsoft.ContainerService/managedClusters/agentPools",
            "properties": {"type": "VirtualMachines", "osType": "Linux", "osSKU": "Ubuntu", "mode": "System",
                           "provisioningState": "Succeeded", "enableCustomCATrust": False,
                           "upgradeStrategy": "Rolling", "orchestratorVersion": "1.31",
                           "virtualMachinesProfile": {"scale": {"manual": [{"size": "Standard_D2s_v3", "count": 2}]}},
                           "eTag": "recorded-etag"}}
    emulator.seed({"clusters": [{"resourceGroup": group, "name": "c1", "kubernetesVersion": "1.31.7",
                                 "agentPools": [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5",
                                                 "count": 1}],
                                 "agentPoolBodies": [dict(body, name="vms")]}]})
    path = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/{CS}/managedClusters/c1/agentPools/vms"
    got = emulator.arm("GET", path).json()
    assert got["properties"] == body["properties"] and got["name"] == "vms" and got["id"].endswith("/agentPools/vms")
    # a VirtualMachines pool (no vmSize) takes an OS SKU change like any other
    changed = dict(body["properties"], osSKU="AzureLinux")
    for key in ("provisioningState", "eTag"):
        del changed[key]
    response = emulator.arm("PUT", path, {"properties": changed}, headers={"If-Match": '"recorded-etag"'})
    assert response.status_code == 200 and response.json()["properties"]["provisioningState"] == "Upgrading"
    assert "vmSize" not in response.json()["properties"] and "count" not in response.json()["properties"]


# ---- compute facts and quota ----------------------------------------------------------------
def test_usages_skus_and_versions_as_the_services_send_them(api, emulator):
    base = f"/subscriptions/{SUBSCRIPTION_ID}/providers"
    usages = emulator.arm("GET", f"{base}/Microsoft.Compute/locations/eastus/usages").json()["value"]
    names = {u["name"]["value"]: u for u in usages}
    assert {"currentValue", "limit", "unit"} <= set(names["cores"]) and "standardDDSv5Family" in names
    response = emulator.arm("GET", f"{base}/Microsoft.Compute/skus?$filter=location eq 'eastus'")
    catalogue = response.json()["value"]
    assert len(catalogue) > 3000 and len(response.content) > 4_000_000  # thousands of sizes, megabytes
    d4 = next(e for e in catalogue if e["name"] == "Standard_D4ds_v5")
    assert d4["family"] == "standardDDSv5Family" and {"name": "vCPUs", "value": "4"} in d4["capabilities"]
    assert d4["locationInfo"][0]["zones"] == ["1", "2", "3"] and d4["restrictions"] == []
    versions = emulator.arm("GET", f"{base}/Microsoft.ContainerService/locations/eastus/kubernetesVersions").json()
    assert any(v["version"] == "1.33" and "1.33.5" in v["patchVersions"] for v in versions["values"])


def test_quota_is_enforced_on_new_pools_and_on_surge_nodes(api, emulator):
    place = f"q{uuid.uuid4().hex[:6]}"
    group = f"rg-{uuid.uuid4().hex[:8]}"
    emulator.seed({"clusters": [{"resourceGroup": group, "name": "c1", "location": place,
                                 "agentPools": [{"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5",
                                                 "count": 2}]}]})
    emulator.admin("POST", "compute", {"location": place, "limits": {"standardDDSv5Family": 16}})
    pools = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/{CS}/managedClusters/c1/agentPools"
    too_big = emulator.arm("PUT", f"{pools}/big", {"properties": {"vmSize": "Standard_D4ds_v5", "count": 3}})
    assert error_of(too_big) == (400, "InsufficientVCPUQuota") and "remaining 8" in too_big.json()["error"]["message"]
    assert emulator.arm("PUT", f"{pools}/fits", {"properties": {"vmSize": "Standard_D4ds_v5", "count": 1}}
                        ).status_code == 201
    emulator.admin("POST", "compute", {"location": place, "limits": {"standardDDSv5Family": 12}})
    surge = emulator.arm("PUT", f"{pools}/fits", {"properties": {"osSKU": "AzureLinux"}})
    assert error_of(surge) == (400, "InsufficientVCPUQuota")  # 12 in use: no room for the surge node
    used = emulator.arm("GET", f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Compute/locations/{place}/usages")
    assert {u["name"]["value"]: u["currentValue"] for u in used.json()["value"]}["standardDDSv5Family"] == 12
