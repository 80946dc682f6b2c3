# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Bad input, table-driven across every command: one clear sentence, a non-zero exit, nothing changed.

Each row runs the real az against a cluster seeded with a System pool, an Ubuntu pool and
a Windows pool. The assertion is the same for all: the exit code is not 0, stderr holds
one error line that names the problem (the expected fragment), there is no traceback, and
the emulator received no request that changes anything.
"""
import pytest

from tests.e2e.conftest import arm_requests, pool_spec

ADD = ["aks", "azurelinux", "nodepool", "add", "-g", "{rg}", "--cluster-name", "c1"]
CREATE = ["aks", "azurelinux", "create", "-g", "{rg}"]
SHOW = ["aks", "azurelinux", "nodepool", "show", "-g", "{rg}", "--cluster-name", "c1"]
DELETE = ["aks", "azurelinux", "nodepool", "delete", "-g", "{rg}", "--cluster-name", "c1", "--yes"]
MIGRATE = ["aks", "azurelinux", "nodepool", "migrate", "-g", "{rg}", "--cluster-name", "c1", "--yes"]
CLUSTER_MIGRATE = ["aks", "azurelinux", "migrate", "-g", "{rg}", "-n", "c1", "--yes"]
CHECK = ["aks", "azurelinux", "check"]

BAD_INPUTS = [
    # pool names
    ("pool name upper case", ADD + ["-n", "GpuPool"], "--name 'GpuPool' is not a valid Linux node pool name"),
    ("pool name too long", ADD + ["-n", "abcdefghijklm"], "is not a valid Linux node pool name"),
    ("pool name leading digit", ADD + ["-n", "1pool"], "is not a valid Linux node pool name"),
    ("pool name with a dash", ADD + ["-n", "gpu-pool"], "is not a valid Linux node pool name"),
    ("pool name empty", ADD + ["-n", ""], "is not a valid Linux node pool name"),
    ("pool name with a space", ADD + ["-n", "gpu pool"], "is not a valid Linux node pool name"),
    ("pool name unicode", ADD + ["-n", "pöol"], "is not a valid Linux node pool name"),
    ("show: bad pool name", SHOW + ["-n", "Bad_Name"], "is not a valid Linux node pool name"),
    ("delete: bad pool name", DELETE + ["-n", "UPPER"], "is not a valid Linux node pool name"),
    ("migrate: bad pool name", MIGRATE + ["-n", "x" * 13], "is not a valid Linux node pool name"),
    # cluster and group names
    ("cluster name leading dash", CREATE + ["--name=-cluster"], "--name '-cluster' is not a valid cluster name"),
    ("cluster name as an option", CREATE + ["-n", "-cluster"], "argument --name/-n: expected one argument"),
    ("cluster name too long", CREATE + ["-n", "c" * 64], "is not a valid cluster name"),
    ("cluster name with a dot", CREATE + ["-n", "my.cluster"], "is not a valid cluster name"),
    ("add: bad cluster name", ["aks", "azurelinux", "nodepool", "add", "-g", "{rg}", "--cluster-name", "bad!",
                               "-n", "np"], "--cluster-name 'bad!' is not a valid cluster name"),
    ("group name ending in a dot", ["aks", "azurelinux", "nodepool", "add", "-g", "group.", "--cluster-name", "c1",
                                    "-n", "np"], "--resource-group 'group.' is not a valid resource group name"),
    # counts and autoscaler bounds
    ("negative count", ADD + ["-n", "np", "--node-count", "-1"], "--node-count -1 is out of range"),
    ("count too large", ADD + ["-n", "np", "--node-count", "1001"], "--node-count 1001 is out of range"),
    ("zero count on a System pool", ADD + ["-n", "np", "--mode", "System", "--node-count", "0"],
     "a System pool needs at least one node"),
    ("zero count on a cluster", CREATE + ["-n", "c2", "--node-count", "0"], "--node-count 0 is out of range"),
    ("count not a number", ADD + ["-n", "np", "--node-count", "three"], "invalid int value: 'three'"),
    ("min above max", ADD + ["-n", "np", "--enable-cluster-autoscaler", "--min-count", "5", "--max-count", "2"],
     "--min-count 5 is above --max-count 2"),
    ("autoscaler without bounds", ADD + ["-n", "np", "--enable-cluster-autoscaler"],
     "--enable-cluster-autoscaler needs both --min-count and --max-count"),
    ("bounds without autoscaler", ADD + ["-n", "np", "--min-count", "1", "--max-count", "3"],
     "--min-count and --max-count need --enable-cluster-autoscaler"),
    ("count outside the bounds", ADD + ["-n", "np", "--enable-cluster-autoscaler", "--min-count", "1",
                                        "--max-count", "3", "--node-count", "5"], "outside the autoscaler bounds"),
    ("System min count zero", ADD + ["-n", "np", "--mode", "System", "--enable-cluster-autoscaler", "--min-count",
                                     "0", "--max-count", "3"], "--min-count 0 is out of range for a System pool"),
    ("max count too large", ADD + ["-n", "np", "--enable-cluster-autoscaler", "--min-count", "1", "--max-count",
                                   "1001"], "--max-count 1001 is out of range"),
    # max pods and disks
    ("max pods too few", ADD + ["-n", "np", "--max-pods", "9"], "--max-pods 9 is out of range"),
    ("max pods too many", ADD + ["-n", "np", "--max-pods", "251"], "--max-pods 251 is out of range"),
    ("cluster max pods", CREATE + ["-n", "c2", "--max-pods", "5"], "--max-pods 5 is out of range"),
    ("disk too large", ADD + ["-n", "np", "--node-osdisk-size", "4096"], "--node-osdisk-size 4096 is out of range"),
    ("disk negative", ADD + ["-n", "np", "--node-osdisk-size", "-1"], "--node-osdisk-size -1 is out of range"),
    # OS SKUs that are not Azure Linux
    ("Ubuntu", ADD + ["-n", "np", "--os-sku", "Ubuntu"], "--os-sku Ubuntu is not an Azure Linux OS SKU"),
    ("Windows", ADD + ["-n", "np", "--os-sku", "Windows2022"], "--os-sku Windows2022 is not an Azure Linux OS SKU"),
    ("unknown SKU", CREATE + ["-n", "c2", "--os-sku", "Debian12"], "--os-sku Debian12 is not an Azure Linux OS SKU"),
    ("CBLMariner", ADD + ["-n", "np", "--os-sku", "CBLMariner"], "--os-sku CBLMariner is not an Azure Linux OS SKU"),
    ("migrate to Ubuntu", MIGRATE + ["-n", "ubuntu", "--os-sku", "Ubuntu"], "--os-sku Ubuntu is not an Azure Linux"),
    ("cluster migrate to Windows", CLUSTER_MIGRATE + ["--os-sku", "Windows2025"], "is not an Azure Linux OS SKU"),
    ("AzureLinux3 too new", ADD + ["-n", "np", "--os-sku", "AzureLinux3", "--kubernetes-version", "1.37"],
     "outside the Kubernetes versions AzureLinux3 runs on"),
    ("AzureLinux3 too old", CREATE + ["-n", "c2", "--os-sku", "AzureLinux3", "--kubernetes-version", "1.27.3"],
     "outside the Kubernetes versions AzureLinux3 runs on"),
    ("version not a version", ADD + ["-n", "np", "--kubernetes-version", "latest"],
     "--kubernetes-version latest is not a Kubernetes version"),
    # refused GPU sizes in every case variant
    ("A100 as written", ADD + ["-n", "np", "--node-vm-size", "Standard_NC24ads_A100_v4"], "(NC A100 v4 series)"),
    ("A100 lower case", ADD + ["-n", "np", "--node-vm-size", "standard_nc48ads_a100_v4"], "(NC A100 v4 series)"),
    ("A100 upper case", ADD + ["-n", "np", "--node-vm-size", "STANDARD_NC96ADS_A100_V4"], "(NC A100 v4 series)"),
    ("A100 mixed case", CREATE + ["-n", "c2", "--node-vm-size", "sTaNdArD_nC24AdS_a100_V4"], "(NC A100 v4 series)"),
    ("H100", ADD + ["-n", "np", "--node-vm-size", "Standard_NC40ads_H100_v5"], "outside the supported list"),
    ("ND family", ADD + ["-n", "np", "--node-vm-size", "standard_nd96asr_v4"], "outside the supported list"),
    ("NV family", ADD + ["-n", "np", "--node-vm-size", "Standard_NV36ads_A10_v5"], "outside the supported list"),
    ("NG family", ADD + ["-n", "np", "--node-vm-size", "Standard_NG8ads_V620_v1"], "outside the supported list"),
    ("empty size", ADD + ["-n", "np", "--node-vm-size", ""], "is not a VM size name"),
    # security modules
    ("AppArmor", ADD + ["-n", "np", "--security-module", "apparmor"], "--security-module apparmor is not supported"),
    ("AppArmor upper case", CREATE + ["-n", "c2", "--security-module", "AppArmor"], "is not supported on Azure Linux"),
    ("unknown module", ADD + ["-n", "np", "--security-module", "smack"], "is not a security module this extension"),
    # labels and taints
    ("label without value", ADD + ["-n", "np", "--labels", "team"], "--labels 'team' is not a label"),
    ("label reserved prefix", ADD + ["-n", "np", "--labels", "kubernetes.azure.com/role=x"], "prefix reserved"),
    ("label value too long", ADD + ["-n", "np", "--labels", "team=" + "x" * 64], "has an invalid value"),
    ("label key bad characters", ADD + ["-n", "np", "--labels", "te am=x"], "is not a valid label key"),
    ("taint without effect", ADD + ["-n", "np", "--node-taints", "sku=gpu"], "is not a taint"),
    ("taint unknown effect", ADD + ["-n", "np", "--node-taints", "sku=gpu:Never"], "is not a taint"),
    ("taint bad key", ADD + ["-n", "np", "--node-taints", "=gpu:NoSchedule"], "is not a valid label key"),
    # zones, drivers, strategies, parallelism
    ("zone 4", ADD + ["-n", "np", "--zones", "4"], "--zones 4 is not an availability zone"),
    ("GPU driver on a CPU size", ADD + ["-n", "np", "--gpu-driver", "Install"], "--gpu-driver applies to GPU sizes"),
    ("GPU driver unknown", ADD + ["-n", "np", "--node-vm-size", "Standard_NC6s_v3", "--gpu-driver", "Maybe"],
     "'Maybe' is not a valid value for '--gpu-driver'"),
    ("unknown strategy", MIGRATE + ["-n", "ubuntu", "--strategy", "blue-green"],
     "'blue-green' is not a valid value for '--strategy'"),
    ("new name without new-pool", MIGRATE + ["-n", "ubuntu", "--new-name", "fresh"],
     "--new-name goes with --strategy new-pool"),
    ("new name equal to old", MIGRATE + ["-n", "ubuntu", "--strategy", "new-pool", "--new-name", "ubuntu"],
     "is the name of the pool being replaced"),
    ("new name invalid", MIGRATE + ["-n", "ubuntu", "--strategy", "new-pool", "--new-name", "New"],
     "--new-name 'New' is not a valid Linux node pool name"),
    ("new name taken", MIGRATE + ["-n", "ubuntu", "--strategy", "new-pool", "--new-name", "system"],
     "already has a pool of that name"),
    ("max parallel zero", CLUSTER_MIGRATE + ["--max-parallel", "0"], "--max-parallel 0 is too small"),
    ("max parallel negative", CLUSTER_MIGRATE + ["--max-parallel", "-2"], "--max-parallel -2 is too small"),
    ("unknown mode", ADD + ["-n", "np", "--mode", "Gateway"], "'Gateway' is not a valid value for '--mode'"),
    # conflicting flags
    ("workspace without Defender", CREATE + ["-n", "c2", "--defender-workspace", "/subscriptions/x"],
     "--defender-workspace needs --enable-defender"),
    ("Defender without workspace", CREATE + ["-n", "c2", "--enable-defender"],
     "--enable-defender needs --defender-workspace"),
    ("check with nothing", CHECK, "Nothing to check"),
    # resources that do not exist, and sources that cannot move
    ("missing pool: show", SHOW + ["-n", "nothere"], "cluster c1 has no node pool of that name"),
    ("missing cluster: show", ["aks", "azurelinux", "nodepool", "show", "-g", "{rg}", "--cluster-name", "nocl", "-n",
                               "np"], "--cluster-name nocl does not exist"),
    ("missing group: list", ["aks", "azurelinux", "nodepool", "list", "-g", "nogroup", "--cluster-name", "c1"],
     "--resource-group nogroup does not exist"),
    ("missing pool: migrate", MIGRATE + ["-n", "nothere"], "has no node pool of that name"),
    ("missing cluster: cluster migrate", ["aks", "azurelinux", "migrate", "-g", "{rg}", "-n", "nocl", "--yes"],
     "does not exist"),
    ("Windows pool: migrate", MIGRATE + ["-n", "win"], "only Linux pools can move to Azure Linux"),
    ("private key", CREATE + ["-n", "c2", "--ssh-key-value", "-----BEGIN RSA PRIVATE KEY-----abc"], "a private key"),
    ("not a key", CREATE + ["-n", "c2", "--ssh-key-value", "hello"], "neither an OpenSSH public key"),
    ("unknown option", ADD + ["-n", "np", "--node-colour", "blue"], "unrecognized arguments: --node-colour blue"),
]


@pytest.fixture(scope="module")
def bad_input_cluster(emulator):
    """One cluster for every row: the rows change nothing, which is what they check."""
    from uuid import uuid4
    rg = f"rg-bad-{uuid4().hex[:6]}"
    emulator.seed({"clusters": [{"resourceGroup": rg, "name": "c1", "location": "eastus", "agentPools": [
        pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("ubuntu"),
        pool_spec("win", os_sku="Windows2022")]}]})
    return rg


def test_there_are_at_least_fifty_bad_inputs():
    assert len(BAD_INPUTS) >= 50
    assert len({name for name, _, _ in BAD_INPUTS}) == len(BAD_INPUTS)


@pytest.mark.parametrize("name,args,fragment", BAD_INPUTS, ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_is_one_clear_error_and_changes_nothing(az, emulator, bad_input_cluster, name, args, fragment):
    result = az(*[a.replace("{rg}", bad_input_cluster) for a in args])
    assert result.code != 0, result
    assert fragment in result.err, result
    assert "Traceback" not in result.err and result.out.strip() == ""
    errors = [line for line in result.err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 or "usage:" in result.err, result  # argparse errors carry a usage line too
    assert arm_requests(emulator, mutating_only=True) == [], name
