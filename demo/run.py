# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""`make demo`: the story a new user wants to see, told by the real `az` against the local emulator.

Starts the emulator, signs a private `az` configuration in to it, installs the extension
from its wheel, runs the story, and stops the emulator. Exits non-zero if any step does
not end the way the story says it should.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.conftest import build_wheel  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator.client import EmulatorProcess, az_executable, sign_in  # noqa: E402  pylint: disable=wrong-import-position

RG, CLUSTER = "demo-rg", "demo-cluster"


class Story:
    def __init__(self, env, emulator):
        self.env, self.emulator, self.az = env, emulator, az_executable()
        self.failures = []

    def say(self, text):
        print(f"\n## {text}", flush=True)

    def run(self, *args, expect=0):
        """Run `az ARGS` as a user would type it, show what it printed and how many ARM writes it sent."""
        print(f"$ az {' '.join(args)}", flush=True)
        before = len(self.emulator.requests())
        result = subprocess.run([self.az, *args], env=self.env, capture_output=True, text=True, check=False)
        for stream in (result.stdout, result.stderr):
            if stream.strip():
                print(stream.rstrip(), flush=True)
        writes = [e for e in self.emulator.requests()[before:]
                  if e["method"] in ("PUT", "DELETE") and e["path"].startswith("/subscriptions")]
        print(f"   [exit {result.returncode}; ARM writes sent: {len(writes)}]", flush=True)
        if result.returncode != expect:
            self.failures.append(f"az {' '.join(args)} exited {result.returncode}, expected {expect}")
        return result


def main():
    work = os.path.join(ROOT, ".demo")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    print("Building the extension's wheel and starting the local Azure emulator...", flush=True)
    wheel = build_wheel(tempfile.mkdtemp(prefix="azurelinux-demo-wheel-"))
    emulator = EmulatorProcess(os.path.join(work, "emulator"), operation_seconds=1, retry_after="1")
    try:
        env = sign_in(emulator, os.path.join(work, "azure-config"), extension_dir=os.path.join(work, "extensions"))
        print(f"Emulator at {emulator.url}; az signed in to it as a service principal.", flush=True)
        story = Story(env, emulator)
        tell(story, wheel)
    finally:
        emulator.stop()
    if story.failures:
        print("\nThe demo did not go as told:\n  " + "\n  ".join(story.failures))
        return 1
    print("\nThe demo ran as told.")
    return 0


def tell(story, wheel):
    story.say("Install the extension from its wheel, as users do")
    story.run("extension", "add", "--source", wheel, "--yes")
    story.run("extension", "list", "--query", "[].{name:name, version:version}", "-o", "table")

    story.say("Create a cluster whose nodes run Azure Linux")
    story.run("group", "create", "-n", RG, "-l", "eastus", "-o", "none")
    story.run("aks", "azurelinux", "create", "-g", RG, "-n", CLUSTER, "--node-count", "2",
              "--query", "{name:name, state:provisioningState, osSku:agentPoolProfiles[0].osSku}")

    story.say("Add a T4 GPU pool")
    story.run("aks", "azurelinux", "nodepool", "add", "-g", RG, "--cluster-name", CLUSTER, "-n", "gput4",
              "--node-vm-size", "Standard_NC4as_T4_v3", "--node-count", "1",
              "--query", "{name:name, size:vmSize, osSku:osSku, state:provisioningState}")

    story.say("An A100 pool and AppArmor are refused, with reasons, before anything is sent")
    story.run("aks", "azurelinux", "nodepool", "add", "-g", RG, "--cluster-name", CLUSTER, "-n", "gpua100",
              "--node-vm-size", "Standard_NC24ads_A100_v4", expect=1)
    story.run("aks", "azurelinux", "nodepool", "add", "-g", RG, "--cluster-name", CLUSTER, "-n", "armor",
              "--security-module", "apparmor", expect=1)

    story.say("Add an SELinux pool: it is labelled, and the notice says what to configure")
    story.run("aks", "azurelinux", "nodepool", "add", "-g", RG, "--cluster-name", CLUSTER, "-n", "selinux",
              "--security-module", "selinux", "--node-count", "1", "--query", "nodeLabels")

    story.say("Check a choice offline, as a CI step would (exit 1 when refused)")
    story.run("aks", "azurelinux", "check", "--node-vm-size", "Standard_NC24ads_A100_v4", "--os-sku", "AzureLinux",
              "--kubernetes-version", "1.30", "-o", "table", expect=1)
    story.run("aks", "azurelinux", "check", "--node-vm-size", "Standard_NC6s_v3", "--os-sku", "AzureLinux3",
              "--kubernetes-version", "1.33", "--query", "allowed")

    story.say("The GPU support matrix, with sources")
    story.run("aks", "azurelinux", "vm-size", "list", "--query",
              "[].{size:size, series:series, supported:supported, date:date}", "-o", "table")

    story.say("An Ubuntu pool, added with core az aks, and the cluster's readiness")
    story.run("aks", "nodepool", "add", "-g", RG, "--cluster-name", CLUSTER, "-n", "ubuntu", "--os-sku", "Ubuntu",
              "--node-count", "2", "--labels", "team=web", "--node-taints", "web=true:NoSchedule", "-o", "none")
    story.run("aks", "azurelinux", "nodepool", "list", "-g", RG, "--cluster-name", CLUSTER, "-o", "table")

    story.say("Plan the migration of the whole cluster, sending nothing")
    story.run("aks", "azurelinux", "migrate", "-g", RG, "-n", CLUSTER, "--dry-run", "-o", "table")

    story.say("Migrate the Ubuntu pool through a new pool: it keeps every setting, the old pool goes last")
    story.run("aks", "azurelinux", "nodepool", "migrate", "-g", RG, "--cluster-name", CLUSTER, "-n", "ubuntu",
              "--strategy", "new-pool", "--new-name", "web", "--yes", "-o", "table")
    story.run("aks", "azurelinux", "nodepool", "list", "-g", RG, "--cluster-name", CLUSTER,
              "--query", "[].{name:name, osSku:osSku, labels:nodeLabels, taints:nodeTaints}", "-o", "json")

    story.say("Another Ubuntu pool, migrated in place, then rolled back to the OS SKU recorded on it")
    story.run("aks", "nodepool", "add", "-g", RG, "--cluster-name", CLUSTER, "-n", "batch", "--os-sku", "Ubuntu",
              "--node-count", "1", "-o", "none")
    story.run("aks", "azurelinux", "nodepool", "migrate", "-g", RG, "--cluster-name", CLUSTER, "-n", "batch",
              "--max-surge", "1", "--yes", "--query", "{pool:pool, outcome:outcome, upgradeSettings:upgradeSettings}")
    story.run("aks", "azurelinux", "nodepool", "show", "-g", RG, "--cluster-name", CLUSTER, "-n", "batch",
              "--query", "{osSku:osSku, tags:tags}")
    story.run("aks", "azurelinux", "nodepool", "rollback", "-g", RG, "--cluster-name", CLUSTER, "-n", "batch",
              "--yes", "-o", "table")

    story.say("Today's documented support is one setting away: the policy editions")
    story.run("aks", "azurelinux", "policy", "list", "--query", "[].{name:name, date:date, inForce:inForce}",
              "-o", "table")
    story.run("aks", "azurelinux", "check", "--node-vm-size", "Standard_NC24ads_A100_v4", "--policy", "aks-2026",
              "--query", "{edition:edition, allowed:allowed}")

    story.say("Every pool of the account, and where it stands, through Azure Resource Graph")
    story.run("aks", "azurelinux", "inventory", "-o", "table")

    story.say("Inside the cluster: a budget that can never allow an eviction, and a workload pinned to Ubuntu")
    story.run("aks", "nodepool", "add", "-g", RG, "--cluster-name", CLUSTER, "-n", "legacy", "--os-sku", "Ubuntu",
              "--node-count", "2", "-o", "none")
    seed_workloads(story.emulator)
    story.run("aks", "azurelinux", "migrate", "-g", RG, "-n", CLUSTER, "--dry-run", "-o", "table", expect=1)
    story.run("aks", "azurelinux", "migrate", "-g", RG, "-n", CLUSTER, "--dry-run", "--skip-workload-check",
              "--query", "pools[].{pool:pool, action:action}", "-o", "table")

    story.say("The same policy as a CI gate on a template, offline: the line of each refused value, SARIF for GitHub")
    template = os.path.join(ROOT, "tests", "data", "templates", "arm", "aks-gpu-pools.json")
    story.run("aks", "azurelinux", "check-template", "--template-file", template, "--sarif",
              os.path.join(ROOT, ".demo", "azurelinux.sarif"), "-o", "table", expect=1)

    story.say("A production cluster, with the options core az aks create takes: the exact body, nothing sent")
    story.run("aks", "azurelinux", "create", "-g", RG, "-n", "prod", "--network-plugin", "azure",
              "--network-plugin-mode", "overlay", "--network-dataplane", "cilium", "--network-policy", "cilium",
              "--pod-cidr", "192.168.0.0/16", "--enable-aad", "--enable-azure-rbac", "--enable-oidc-issuer",
              "--enable-workload-identity", "--tier", "standard", "--enable-cluster-autoscaler", "--min-count", "3",
              "--max-count", "10", "--no-ssh-key", "--dry-run",
              "--query", "body.properties.{network:networkProfile, aad:aadProfile, pool:agentPoolProfiles[0]}")
    story.run("aks", "azurelinux", "create", "-g", RG, "-n", "prod", "--network-plugin", "kubenet",
              "--network-plugin-mode", "overlay", "--dry-run", expect=1)


def seed_workloads(emulator):
    """The demo cluster's Kubernetes API: a one-replica Deployment with a budget of minAvailable 1 (AKS refuses any
    drain of the cluster: UnsatisfiablePDB), and an agent pinned to Ubuntu nodes of the legacy pool."""
    from tests.emulator import kube_objects as k8s
    legacy = k8s.pool_nodes("legacy", 2)
    pinned = k8s.pod_spec(node_selector={"kubernetes.azure.com/os-sku": "Ubuntu"})
    seed = k8s.merge({"nodes": legacy}, k8s.deployment("shop", "cart", legacy, replicas=1),
                     k8s.daemonset("ops", "log-agent", legacy, spec=pinned),
                     {"poddisruptionbudgets": [k8s.budget("shop", "cart", {"app": "cart"}, expected=1,
                                                          min_available=1)]})
    emulator.admin("POST", "kube", dict(seed, resourceGroup=RG, name=CLUSTER))


if __name__ == "__main__":
    sys.exit(main())
