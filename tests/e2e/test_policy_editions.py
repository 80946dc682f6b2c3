# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Policy editions (founding by default, aks-2026 one setting away) and an organisation's stricter policy file."""
import json

import pytest

from tests.e2e.conftest import arm_requests, pool_props, pool_spec

H100 = "Standard_NC40ads_H100_v5"
T4 = "Standard_NC4as_T4_v3"


def add(az, rg, cluster, name, *args):
    return az("aks", "azurelinux", "nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", name, *args)


@pytest.fixture
def aks2026(az):
    return az.with_env(AZURE_AZURELINUX_POLICY="aks-2026")


@pytest.fixture
def org(az, tmp_path):
    """`az` with an organisation's policy file holding `rules`."""
    def with_rules(rules, edition=None):
        path = tmp_path / "org-policy.json"
        path.write_text(json.dumps(rules) if not isinstance(rules, str) else rules)
        extra = {"AZURE_AZURELINUX_POLICY_FILE": str(path)}
        if edition:
            extra["AZURE_AZURELINUX_POLICY"] = edition
        return az.with_env(**extra), str(path)
    return with_rules


def nothing_sent(emulator):
    return arm_requests(emulator, mutating_only=True) == []


# ---- the same choices: refused under founding, accepted under aks-2026 ----------------------
def test_an_h100_pool_is_refused_by_founding_and_added_under_aks_2026(az, aks2026, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    refused = add(az, rg, cluster, "h100", "--node-vm-size", H100)
    assert refused.code != 0 and "(policy edition founding)" in refused.err
    assert ("The aks-2026 edition allows it: az config set azurelinux.policy=aks-2026 (or --policy aks-2026 with "
            "check).") in refused.err
    assert nothing_sent(emulator)
    added = add(aks2026, rg, cluster, "h100", "--node-vm-size", H100, "--os-sku", "AzureLinux3")
    assert added.code == 0, added
    assert pool_props(emulator, rg, cluster, "h100")["vmSize"] == H100


def test_apparmor_is_refused_by_founding_and_accepted_on_azure_linux_3_under_aks_2026(az, aks2026, emulator, rg,
                                                                                   seed_cluster):
    cluster = seed_cluster()
    refused = add(az, rg, cluster, "aa", "--security-module", "apparmor", "--os-sku", "AzureLinux3")
    assert refused.code != 0 and "apparmor is not supported" in refused.err and "aks-2026 edition allows" in refused.err
    accepted = add(aks2026, rg, cluster, "aa", "--security-module", "apparmor", "--os-sku", "AzureLinux3")
    assert accepted.code == 0, accepted
    on_2 = add(aks2026, rg, cluster, "aa2", "--security-module", "apparmor", "--kubernetes-version", "1.30.4")
    assert on_2.code != 0 and "apparmor needs Azure Linux 3.0" in on_2.err and "(policy edition aks-2026)" in on_2.err


def test_az_config_chooses_the_edition(az, emulator, rg, seed_cluster):
    az.ok("config", "set", "azurelinux.policy=aks-2026")
    try:
        shown = az.ok("aks", "azurelinux", "policy", "show").json
        assert shown["edition"] == "aks-2026" and shown["chosenBy"] == "az config (azurelinux.policy)"
        assert az.ok("aks", "azurelinux", "check", "--node-vm-size", H100).json["allowed"] is True
    finally:
        az.ok("config", "unset", "azurelinux.policy")
    assert az.ok("aks", "azurelinux", "policy", "show").json["edition"] == "founding"


def test_check_and_vm_size_list_compare_editions_without_changing_the_setting(az, emulator):
    founding = az("aks", "azurelinux", "check", "--node-vm-size", H100)
    assert founding.code == 1 and founding.json["edition"] == "founding" and founding.json["allowed"] is False
    other = az("aks", "azurelinux", "check", "--node-vm-size", H100, "--policy", "aks-2026")
    assert other.code == 0 and other.json["edition"] == "aks-2026" and other.json["allowed"] is True
    rows = {r["size"]: r for r in az.ok("aks", "azurelinux", "vm-size", "list", "--policy", "aks-2026").json}
    assert rows[H100]["supported"] and rows["Standard_NC24ads_A100_v4"]["supported"]
    assert not rows["Standard_NV4as_v4"]["supported"] and "aren't supported on AKS" in rows["Standard_NV4as_v4"]["source"]
    assert rows[" | ".join(f"{p}*" for p in ("Standard_NC", "Standard_ND", "Standard_NV", "Standard_NG")) +
                " (other)"]["unconfirmed"]  # what could not be confirmed says so
    assert not {r["size"]: r for r in az.ok("aks", "azurelinux", "vm-size", "list").json}[
        "Standard_NC24ads_A100_v4"]["supported"]
    assert az.ok("aks", "azurelinux", "policy", "show").json["edition"] == "founding"
    assert arm_requests(emulator) == []


@pytest.mark.parametrize("how", ["option", "environment"])
def test_an_unknown_edition_is_a_clear_error_and_nothing_is_sent(az, emulator, rg, seed_cluster, how):
    cluster = seed_cluster()
    if how == "option":
        result = az("aks", "azurelinux", "check", "--node-vm-size", T4, "--policy", "aks-2099")
        assert result.code != 0 and "--policy aks-2099 is not a policy edition: use one of founding, aks-2026" \
            in result.err
    else:
        result = add(az.with_env(AZURE_AZURELINUX_POLICY="aks-2099"), rg, cluster, "np")
        assert result.code != 0 and ("azurelinux.policy (set by the environment variable AZURE_AZURELINUX_POLICY) "
                                     "aks-2099 is not a policy edition") in result.err
    assert "Traceback" not in result.err and arm_requests(emulator) == []


# ---- an organisation's policy narrows, never widens ----------------------------------------
@pytest.mark.parametrize("rules,edition,args,quoted", [
    ({"vmSizes": {"allow": ["Standard_D*"]}}, None, ["--node-vm-size", T4],
     f"{T4} is refused: vmSizes.allow is [\"Standard_D*\"], and it matches none of them."),
    ({"vmSizes": {"deny": ["standard_nc40ads*"]}}, "aks-2026", ["--node-vm-size", H100, "--os-sku", "AzureLinux3"],
     f"{H100} is refused: vmSizes.deny has 'standard_nc40ads*', which matches it."),
    ({"securityModules": {"allow": ["none", "selinux"]}}, "aks-2026",
     ["--security-module", "apparmor", "--os-sku", "AzureLinux3"], "apparmor is refused: securityModules.allow is"),
    ({"osSkus": {"allow": ["AzureLinux3"]}}, None, ["--os-sku", "AzureLinux"],
     "AzureLinux is refused: osSkus.allow is [\"AzureLinux3\"]."),
    ({"kubernetesVersions": {"min": "1.32"}}, None, ["--kubernetes-version", "1.31.9"],
     "Kubernetes 1.31.9 is refused: kubernetesVersions.min is 1.32."),
    ({"maxNodeCount": 5}, None, ["-c", "10"], "--node-count 10 is refused: maxNodeCount is 5."),
])
def test_the_organisations_policy_narrows_both_editions(org, emulator, rg, seed_cluster, rules, edition, args,
                                                        quoted):
    cluster = seed_cluster()
    runner, path = org(rules, edition)
    result = add(runner, rg, cluster, "np", *args)
    assert result.code != 0 and quoted in result.err, result
    assert f"(refused by your organisation's policy, {path})" in result.err
    assert "Traceback" not in result.err and nothing_sent(emulator)


def test_the_organisations_policy_cannot_widen_the_edition(org, emulator, rg, seed_cluster):
    cluster = seed_cluster()
    runner, _ = org({"vmSizes": {"allow": ["Standard_NC*"]}})
    result = add(runner, rg, cluster, "h100", "--node-vm-size", H100)
    assert result.code != 0 and "(policy edition founding)" in result.err and nothing_sent(emulator)


@pytest.mark.parametrize("content,field,problem", [
    (None, "", "cannot be read"),
    ("{not json", "", "is not valid JSON"),
    ({"vmSize": {"allow": ["x"]}}, "vmSize", "is not a known key"),
    ({"vmSizes": {"allow": "Standard_D*"}}, "vmSizes.allow", "must be an array, not a string"),
    ({"vmSizes": {"allow": [3]}}, "vmSizes.allow[0]", "must be a string, not an integer"),
    ({"kubernetesVersions": {"min": "latest"}}, "kubernetesVersions.min", "does not match"),
    ({"maxNodeCount": "5"}, "maxNodeCount", "must be an integer, not a string"),
    ({"maxNodeCount": 5000}, "maxNodeCount", "must be at most 1000"),
])
def test_every_malformed_policy_file_is_refused_with_nothing_sent(az, emulator, rg, seed_cluster, tmp_path, content,
                                                                   field, problem):
    cluster = seed_cluster()
    path = tmp_path / "policy.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    runner = az.with_env(AZURE_AZURELINUX_POLICY_FILE=str(path))
    for command in (["nodepool", "add", "-g", rg, "--cluster-name", cluster, "-n", "np"],
                    ["migrate", "-g", rg, "-n", cluster, "--yes"], ["policy", "show"]):
        result = runner("aks", "azurelinux", *command)
        assert result.code != 0 and "Traceback" not in result.err, result
        assert f"the organisation's policy file {path}" in result.err and problem in result.err
        assert f": {field} " in result.err if field else True
        assert len([line for line in result.err.splitlines() if line.startswith("ERROR")]) == 1
    assert arm_requests(emulator) == []


# ---- seeing the policy ----------------------------------------------------------------------
def test_policy_show_and_list(az, org, emulator):
    shown = az.ok("aks", "azurelinux", "policy", "show").json
    assert (shown["edition"], shown["chosenBy"], shown["organisationPolicy"]) == ("founding", "default", None)
    assert shown["securityModules"] == {"none": "allowed", "selinux": "manual", "apparmor": "refused"}
    runner, path = org({"vmSizes": {"deny": ["Standard_ND*"]}, "maxNodeCount": 50}, "aks-2026")
    shown = runner.ok("aks", "azurelinux", "policy", "show").json
    assert shown["edition"] == "aks-2026" and "AZURE_AZURELINUX_POLICY" in shown["chosenBy"]
    assert shown["organisationPolicy"]["file"] == path
    assert shown["organisationPolicy"]["rules"] == {"vmSizes": {"deny": ["Standard_ND*"]}, "maxNodeCount": 50}
    assert "AzureContainerLinux" in shown["osSkus"] and shown["securityModules"]["apparmor"] == "allowed"
    editions = {e["name"]: e for e in az.ok("aks", "azurelinux", "policy", "list").json}
    assert set(editions) == {"founding", "aks-2026"} and editions["founding"]["inForce"]
    assert editions["aks-2026"]["date"] == "2026-04-28" and any(
        H100 in line for line in editions["aks-2026"]["differsFromDefault"])
    table = az.ok("aks", "azurelinux", "policy", "list", "-o", "table").out.splitlines()
    assert table[0].split()[:4] == ["Name", "InForce", "Date", "Title"]
    assert arm_requests(emulator) == []


# ---- today's SKUs in aks-2026 ---------------------------------------------------------------
def test_azure_container_linux_needs_its_requirements(aks2026, az, emulator, rg, seed_cluster):
    cluster = seed_cluster(kubernetes_version="1.34.2")
    untrusted = add(aks2026, rg, cluster, "acl", "--os-sku", "AzureContainerLinux")
    assert untrusted.code != 0 and "AzureContainerLinux needs Trusted Launch" in untrusted.err
    old = add(aks2026, rg, cluster, "acl", "--os-sku", "AzureContainerLinux", "--kubernetes-version", "1.33.5",
              "--enable-secure-boot", "--enable-vtpm")
    assert old.code != 0 and "outside the Kubernetes versions AzureContainerLinux runs on (1.34 or later)" in old.err
    assert nothing_sent(emulator)
    ok = add(aks2026, rg, cluster, "acl", "--os-sku", "AzureContainerLinux", "--enable-secure-boot", "--enable-vtpm")
    assert ok.code == 0, ok
    assert "needs a V2 (Gen2) VM size; that could not be checked" in ok.err
    founding = add(az, rg, cluster, "acl2", "--os-sku", "AzureContainerLinux", "--enable-secure-boot", "--enable-vtpm")
    assert founding.code != 0 and "aks-2026 edition allows it" in founding.err


def test_a_migration_to_azure_container_linux_goes_through_a_new_pool(aks2026, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux3"), pool_spec("ubu")],
                           kubernetes_version="1.34.2")
    plan = aks2026.ok("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu",
                      "--os-sku", "AzureContainerLinux", "--dry-run").json
    assert plan["strategy"] == "new-pool" and plan["newPool"] == "ubual"
    assert any(f["rule"] == "migration-new-pool-only" for f in plan["findings"])
    body = plan["requests"][0]["body"]["properties"]
    assert body["osSKU"] == "AzureContainerLinux"
    assert body["securityProfile"]["enableSecureBoot"] is True and body["securityProfile"]["enableVTPM"] is True
    result = aks2026("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ubu",
                     "--os-sku", "AzureContainerLinux", "--yes")
    assert result.code == 0 and result.json["outcome"] == "succeeded", result
    assert pool_props(emulator, rg, cluster, "ubual")["osSKU"] == "AzureContainerLinux"


def test_readiness_follows_the_edition_and_the_file(az, aks2026, org, emulator, rg):
    osguard = {"properties": {"osType": "Linux", "osSKU": "AzureLinuxOSGuard", "vmSize": "Standard_D4ds_v5",
                              "count": 2, "mode": "User", "orchestratorVersion": "1.33.5",
                              "provisioningState": "Succeeded"}}
    emulator.seed({"clusters": [{"resourceGroup": rg, "name": "c1", "kubernetesVersion": "1.33.5", "agentPools": [
        pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("a100", vm_size="Standard_NC24ads_A100_v4")],
        "agentPoolBodies": [dict(osguard, name="guard")]}]})

    def readiness(runner):
        listed = runner.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", "c1").json
        return {p["name"]: p["azureLinuxReadiness"] for p in listed}
    assert readiness(az)["a100"]["status"] == "blocked"
    today = readiness(aks2026)
    assert today["a100"]["status"] == "can migrate"
    assert today["guard"]["status"] == "on Azure Linux" and "retires on 2026-12-10" in today["guard"]["reason"]
    assert "--os-sku AzureContainerLinux --strategy new-pool" in today["guard"]["reason"]
    runner, _ = org({"vmSizes": {"deny": ["*A100*"]}}, "aks-2026")
    narrowed = readiness(runner)["a100"]
    assert narrowed["status"] == "blocked" and "refused by your organisation's policy" in narrowed["reason"]
