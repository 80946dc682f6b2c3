# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Tab completion, as the shell asks az for it (argcomplete's environment): VM sizes of the cluster's location that
the policy does not refuse, read once a day, and Kubernetes versions of that location."""
from tests.e2e.conftest import arm_requests, pool_spec


def complete(az, tmp_path, line):
    """What az offers for the end of `line`, the way bash's completion function asks for it."""
    out = tmp_path / "completions"
    result = az.with_env(_ARGCOMPLETE="1", COMP_LINE=line, COMP_POINT=str(len(line)), _ARGCOMPLETE_IFS="\n",
                         _ARGCOMPLETE_STDOUT_FILENAME=str(out))()
    assert result.code == 0 and "Traceback" not in result.err, result
    return [word.strip() for word in out.read_text().split("\n") if word.strip()]


def test_vm_sizes_are_the_clusters_location_less_what_the_policy_refuses_and_read_once(
        az, emulator, rg, seed_cluster, tmp_path):
    cluster = seed_cluster(location="westeurope")
    line = f"az aks azurelinux nodepool add -g {rg} --cluster-name {cluster} --node-vm-size Standard_NC"
    offered = complete(az, tmp_path, line)
    assert "Standard_NC6s_v3" in offered and "Standard_NC4as_T4_v3" in offered  # supported GPU series
    assert not [size for size in offered if "A100" in size]  # NC A100 v4 is refused on Azure Linux
    assert all(size.startswith("Standard_NC") for size in offered)
    reads = [e["path"] for e in arm_requests(emulator)]
    assert any(p.endswith(f"/managedClusters/{cluster}") for p in reads)
    skus = [e for e in arm_requests(emulator) if e["path"].endswith("/Microsoft.Compute/skus")]
    assert len(skus) == 1 and skus[0]["query"]["$filter"] == "location eq 'westeurope'"
    emulator.clear_requests()
    assert complete(az, tmp_path, line) == offered
    assert not [e for e in arm_requests(emulator) if e["path"].endswith("/Microsoft.Compute/skus")]  # the day's cache


def test_kubernetes_versions_are_those_of_the_clusters_location(az, emulator, rg, seed_cluster, tmp_path):
    cluster = seed_cluster(location="westeurope")
    offered = complete(az, tmp_path, f"az aks azurelinux nodepool add -g {rg} --cluster-name {cluster} "
                                     "--kubernetes-version 1.3")
    assert offered and all(version.startswith("1.3") for version in offered)
    versions = [e["path"] for e in arm_requests(emulator) if e["path"].endswith("/kubernetesVersions")]
    assert versions and all("/locations/westeurope/" in path for path in versions)


def test_a_cluster_that_cannot_be_read_completes_nothing_quietly(az, rg, tmp_path):
    assert complete(az, tmp_path, f"az aks azurelinux nodepool add -g {rg} --cluster-name missing "
                                  "--node-vm-size Standard_D") == []


def test_pool_names_are_the_clusters(az, rg, seed_cluster, tmp_path):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("web"), pool_spec("batch")])
    assert sorted(complete(az, tmp_path, f"az aks azurelinux nodepool show -g {rg} --cluster-name {cluster} -n ")) \
        == ["batch", "system", "web"]
    assert complete(az, tmp_path, f"az aks azurelinux nodepool show -g {rg} --cluster-name gone -n ") == []


def test_an_identity_that_may_not_read_skus_completes_nothing_quietly(az, emulator, rg, seed_cluster, tmp_path):
    cluster = seed_cluster(location="northeurope")  # a location with no SKU list in the day's cache yet
    emulator.fault("forbidden", path=r"/Microsoft.Compute/skus$", method="GET")
    assert complete(az, tmp_path, f"az aks azurelinux nodepool add -g {rg} --cluster-name {cluster} "
                                  "--node-vm-size Standard_D") == []


def test_vm_sizes_follow_the_policy_edition_in_force(az, rg, seed_cluster, tmp_path):
    cluster = seed_cluster()
    line = f"az aks azurelinux nodepool add -g {rg} --cluster-name {cluster} --node-vm-size Standard_NC40ads_H"
    assert complete(az, tmp_path, line) == []  # the founding edition refuses the H100 series
    assert complete(az.with_env(AZURE_AZURELINUX_POLICY="aks-2026"), tmp_path, line) == ["Standard_NC40ads_H100_v5"]
