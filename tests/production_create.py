# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The production option sets of `az aks create`, in one place: tests/data/capture_core_create.py runs them through
core (tests/data/core_create_bodies.json) and tests/e2e/test_create_production.py through core and ours side by
side. Each set is what a production cluster's script passes; only where the resources live and the SSH keys differ
between the two."""
from tests.emulator.store import TENANT_ID

ADMIN_GROUPS = "7f2c8a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b,1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
NAMES = ("overlay-cilium-entra", "subnet-lts", "private-identities", "kubenet-calico")


def option_sets(subnets, identities, ssh_keys, lts_extra=()):
    """{name: options}, in the order of NAMES. `subnets`: the id prefix of the virtual network's subnets (`nodes`,
    `private`, `kubenet`); `identities`: the id prefix of the user-assigned identities (`id-control-plane`,
    `id-kubelet`); `ssh_keys`: the --ssh-key-value of subnet-lts and of kubenet-calico (a key, or a key file);
    `lts_extra`: options that subnet-lts passes after `-k 1.30` (the capture names the OS SKU there)."""
    lts_key, kubenet_key = ssh_keys
    return {
        "overlay-cilium-entra": [
            "--network-plugin", "azure", "--network-plugin-mode", "overlay", "--network-dataplane", "cilium",
            "--network-policy", "cilium", "--pod-cidr", "192.168.0.0/16", "--service-cidr", "10.100.0.0/16",
            "--dns-service-ip", "10.100.0.10", "--enable-aad", "--aad-admin-group-object-ids", ADMIN_GROUPS,
            "--enable-azure-rbac", "--disable-local-accounts", "--enable-oidc-issuer", "--enable-workload-identity",
            "--tier", "standard", "--auto-upgrade-channel", "stable", "--node-os-upgrade-channel", "NodeImage",
            "--enable-cluster-autoscaler", "--min-count", "3", "--max-count", "10", "--node-count", "3",
            "--nodepool-name", "system", "--nodepool-labels", "env=prod", "team=platform",
            "--nodepool-taints", "CriticalAddonsOnly=true:NoSchedule", "--node-osdisk-type", "Ephemeral",
            "--node-osdisk-size", "64", "--max-pods", "110", "--node-vm-size", "Standard_D4ds_v5",
            "--generate-ssh-keys"],
        "subnet-lts": [
            "--network-plugin", "azure", "--vnet-subnet-id", f"{subnets}/nodes", "--network-policy", "azure",
            "--service-cidr", "10.0.0.0/16", "--dns-service-ip", "10.0.0.10", "--load-balancer-sku", "standard",
            "--outbound-type", "loadBalancer", "--api-server-authorized-ip-ranges", "20.30.40.0/24,52.1.2.3",
            "--tier", "premium", "--k8s-support-plan", "AKSLongTermSupport", "-k", "1.30", *lts_extra,
            "--auto-upgrade-channel", "patch", "--node-os-upgrade-channel", "SecurityPatch",
            "--ssh-key-value", lts_key, "--admin-username", "opsadmin", "--max-pods", "60"],
        "private-identities": [
            "--enable-private-cluster", "--private-dns-zone", "system", "--assign-identity",
            f"{identities}/id-control-plane", "--assign-kubelet-identity", f"{identities}/id-kubelet",
            "--vnet-subnet-id", f"{subnets}/private", "--network-plugin", "azure", "--network-plugin-mode",
            "overlay", "--pod-cidr", "172.16.0.0/16", "--service-cidr", "10.2.0.0/16", "--dns-service-ip",
            "10.2.0.10", "--outbound-type", "userDefinedRouting", "--enable-aad", "--aad-tenant-id", TENANT_ID,
            "--node-osdisk-type", "Managed", "--node-osdisk-size", "128", "--no-ssh-key", "--tier", "standard",
            "--auto-upgrade-channel", "node-image", "--node-os-upgrade-channel", "NodeImage"],
        "kubenet-calico": [
            "--network-plugin", "kubenet", "--network-policy", "calico", "--pod-cidr", "10.244.0.0/16",
            "--service-cidr", "10.96.0.0/16", "--dns-service-ip", "10.96.0.10", "--vnet-subnet-id",
            f"{subnets}/kubenet", "--skip-subnet-role-assignment", "--load-balancer-sku", "standard",
            "--tier", "free", "--k8s-support-plan", "KubernetesOfficial", "--enable-cluster-autoscaler",
            "--min-count", "1", "--max-count", "5", "--node-count", "2", "--max-pods", "50", "--nodepool-name",
            "sys1", "--ssh-key-value", kubenet_key, "--enable-oidc-issuer", "--admin-username", "azureuser"],
    }
