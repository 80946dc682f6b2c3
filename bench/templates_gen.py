# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""A template with many node pools, for the scale goal of `check-template` (issue 20).

    python bench/templates_gen.py [--pools 1000] [--rounds 10] [--out FILE]

`template_with_pools(n)` writes an ARM template (languageVersion 1.0) as a large platform team
would: clusters whose `agentPoolProfiles` are written out, child `agentPools` resources whose
sizes and names are expressions over parameters and variables, and one property-level `copy`
loop per cluster. Run as a script, it times reading and judging that template in this process
with a trivial check (the template's own cost, not the policy's), median of the rounds. The goal
itself, at most 2x the wall time of one offline `az aks azurelinux check`, is measured through
the real `az` by the bench that runs the command. Never part of `make test`.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZES = ["Standard_D4ds_v5", "Standard_D8ds_v5", "Standard_NC6s_v3", "Standard_NC4as_T4_v3",
         "Standard_NC24ads_A100_v4", "Standard_E8s_v5"]
SKUS = ["AzureLinux", "AzureLinux3", "Ubuntu"]


def _profile(cluster, index):
    return {"name": f"p{cluster}x{index}", "count": 3, "vmSize": SIZES[index % len(SIZES)],
            "osType": "Linux", "osSKU": SKUS[index % len(SKUS)], "mode": "System" if index == 0 else "User"}


def _child(cluster, index):
    return {"type": "Microsoft.ContainerService/managedClusters/agentPools", "apiVersion": "2024-09-01",
            "name": f"[format('{{0}}{cluster}/u{index}', parameters('clusterPrefix'))]",
            "dependsOn": [f"[resourceId('Microsoft.ContainerService/managedClusters', "
                          f"concat(parameters('clusterPrefix'), '{cluster}'))]"],
            "properties": {"count": 2, "vmSize": f"[variables('sizes')[{index % len(SIZES)}]]",
                           "osSKU": f"[parameters('skus')[{index % len(SKUS)}]]", "mode": "User",
                           "orchestratorVersion": "[parameters('kubernetesVersion')]"}}


def template_with_pools(pools=1000, clusters=10):
    """An ARM template (a dict) declaring `pools` node pools across `clusters` clusters."""
    per_cluster = pools // clusters
    written, looped = per_cluster // 5, per_cluster // 10
    children = per_cluster - written - looped
    resources = []
    for cluster in range(clusters):
        resources.append({
            "type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-09-01",
            "name": f"[concat(parameters('clusterPrefix'), '{cluster}')]", "location": "[resourceGroup().location]",
            "properties": {"kubernetesVersion": "[parameters('kubernetesVersion')]", "dnsPrefix": f"c{cluster}",
                           "agentPoolProfiles": [_profile(cluster, i) for i in range(written)]}})
        if looped:
            resources.append({
                "type": "Microsoft.ContainerService/managedClusters/agentPools", "apiVersion": "2024-09-01",
                "name": f"[format('{{0}}{cluster}/l{{1}}', parameters('clusterPrefix'), copyIndex())]",
                "copy": {"name": f"loop{cluster}", "count": looped},
                "properties": {"vmSize": "[variables('sizes')[mod(copyIndex(), length(variables('sizes')))]]",
                               "osSKU": "AzureLinux", "count": 1}})
        resources.extend(_child(cluster, i) for i in range(children))
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"clusterPrefix": {"type": "string", "defaultValue": "bench"},
                           "kubernetesVersion": {"type": "string", "defaultValue": "1.33.2"},
                           "skus": {"type": "array", "defaultValue": SKUS}},
            "variables": {"sizes": SIZES},
            "resources": resources}


def _trivial_check(vm_size, os_sku, kubernetes_version, enable_fips, trusted_launch):  # pylint: disable=unused-argument
    return [{"rule": "bench", "severity": "error", "message": "refused", "subject": "vm_size"}] \
        if vm_size and "A100" in vm_size else []


def _is_azure_linux(os_sku):
    return str(os_sku).lower().startswith("azurelinux")


def main(argv=None):
    from azext_azurelinux.templates import arm, gate
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", help="also keep the template in this file")
    args = parser.parse_args(argv)
    path = args.out or os.path.join(tempfile.mkdtemp(prefix="templates-bench-"), "main.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(template_with_pools(args.pools), handle, indent=2)
    timings, rows = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        rows = gate.judge(arm.read(path), _trivial_check, _is_azure_linux)
        timings.append(time.perf_counter() - start)
    size = os.path.getsize(path)
    print(f"{len(rows)} pools, {size / 1024:.0f} KiB: read + judge min {min(timings) * 1000:.0f} ms, "
          f"median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms "
          f"({args.rounds} rounds); {gate.summary(rows)}")


if __name__ == "__main__":
    main()
