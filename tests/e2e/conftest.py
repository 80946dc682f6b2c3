# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""End-to-end fixtures: an emulator per worker, and the real `az` signed in to it with the wheel installed."""
import json
import os
import subprocess
import uuid

import pytest

from tests.conftest import WHEEL_ENV, build_wheel
from tests.emulator.client import CLIENT_SECRET, EmulatorProcess, az_executable, sign_in
from tests.emulator.store import SUBSCRIPTION_ID

MUTATING = ("PUT", "DELETE", "POST", "PATCH")


class AzResult:
    def __init__(self, args, completed):
        self.args = args
        self.code = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"az {' '.join(self.args)} -> {self.code}\nstdout: {self.out[-3000:]}\nstderr: {self.err[-3000:]}"


class Az:
    """The real `az`, with a private configuration signed in to the emulator."""

    def __init__(self, env):
        self.env = env
        self.executable = az_executable()

    def __call__(self, *args, stdin=None, timeout=300, cwd=None):
        completed = subprocess.run([self.executable, *args], env=self.env, capture_output=True, text=True,
                                   input=stdin, timeout=timeout, check=False, cwd=cwd)
        return AzResult(args, completed)

    def ok(self, *args, **kwargs):
        result = self(*args, **kwargs)
        assert result.code == 0, result
        return result

    def with_env(self, **extra):
        """The same az and configuration, with more environment variables (such as AZURE_AZURELINUX_POLICY)."""
        other = Az(dict(self.env, **extra))
        other.extension_dir = getattr(self, "extension_dir", None)
        return other


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    return os.environ.get(WHEEL_ENV) or build_wheel(str(tmp_path_factory.mktemp("wheel")))


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    process = EmulatorProcess(str(tmp_path_factory.mktemp("emulator")))
    yield process
    process.stop()


@pytest.fixture(scope="session")
def az_session(emulator, wheel, tmp_path_factory):
    base = tmp_path_factory.mktemp("az")
    extension_dir = str(base / "extensions")
    env = sign_in(emulator, str(base / "config"), extension_dir=extension_dir)
    runner = Az(env)
    runner.ok("extension", "add", "--source", wheel, "--yes")
    runner.extension_dir = extension_dir
    return runner


@pytest.fixture
def az(az_session, emulator):
    """`az` with a clean slate on the emulator: no request log, no faults, instant operations."""
    emulator.clear_faults()
    emulator.configure(operationSeconds=0, retryAfter="1", statusReadsPerSecond=2, statusBurst=200)
    emulator.clear_requests()
    return az_session


@pytest.fixture
def rg(emulator):
    name = f"rg-{uuid.uuid4().hex[:8]}"
    emulator.seed({"resourceGroups": [{"name": name, "location": "eastus"}]})
    return name


def pool_spec(name, mode="User", os_sku="Ubuntu", vm_size="Standard_D4ds_v5", count=2, **extra):
    spec = {"name": name, "mode": mode, "osType": "Windows" if os_sku.startswith("Windows") else "Linux",
            "osSKU": os_sku, "vmSize": vm_size, "count": count}
    spec.update(extra)
    return spec


@pytest.fixture
def seed_cluster(emulator, rg):
    """Seed a cluster (already Succeeded) in the test's resource group; returns its name."""
    def seed(pools=None, name="c1", kubernetes_version="1.33.5", location="eastus"):
        pools = pools or [pool_spec("system", mode="System")]
        emulator.seed({"clusters": [{"resourceGroup": rg, "name": name, "location": location,
                                     "kubernetesVersion": kubernetes_version, "agentPools": pools}]})
        emulator.clear_requests()
        return name
    return seed


def resource_path(rg, cluster, pool=None):
    """The ARM path of a managed cluster, or of one of its agent pools."""
    base = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
            f"managedClusters/{cluster}")
    return f"{base}/agentPools/{pool}" if pool else base


def pool_props(emulator, rg, cluster, pool):
    """A pool's properties as the emulator holds them (read straight from it), or None when it does not exist."""
    response = emulator.arm("GET", resource_path(rg, cluster, pool))
    return response.json()["properties"] if response.status_code == 200 else None


def arm_requests(emulator, mutating_only=False):
    """The ARM requests the emulator received (sign-in excluded). A POST of listClusterUserCredential reads the
    cluster's kubeconfig and changes nothing: it is not counted as mutating."""
    log = [e for e in emulator.requests() if e["path"].lower().startswith("/subscriptions")]
    return [e for e in log if e["method"] in MUTATING and not e["path"].lower().endswith(
        "/listclusterusercredential")] if mutating_only else log


def secret_free(result):
    """Nothing a command printed may hold the client secret."""
    return CLIENT_SECRET not in result.out and CLIENT_SECRET not in result.err
