# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Compute and version facts the live preflight reads: vCPU usages and limits, the resource SKU catalogue,
and the Kubernetes versions offered per location. Plain data; `server.py` serves it.

The catalogue is realistic in shape and size: thousands of VM sizes per location, each with the
capabilities, zones and restrictions the real `Microsoft.Compute/skus` list carries (several MB of JSON).
Usage is what the admin API sets as a base plus the vCPUs of every node pool the emulator holds, so a
pool PUT that needs more than is free (a new pool, or the surge nodes of an OS SKU change) is refused
with the service's error, as on Azure.
"""
import math
import re

from .rules import ServiceError

SERIES = ["D", "E", "F", "B", "L", "M", "DC", "EC"]
VARIANTS = ["", "s", "d", "ds", "a", "as", "ads", "ps", "pds", "ls", "lds", "als"]
VERSIONS = ["v3", "v4", "v5", "v6"]
CORES = [2, 4, 8, 16, 32, 48, 64, 96]
# Sizes the tests and real payloads name, with the family the real catalogue gives them.
NAMED = {
    "Standard_DS1_v2": "standardDSv2Family", "Standard_DS2_v2": "standardDSv2Family",
    "Standard_DS3_v2": "standardDSv2Family", "Standard_DS4_v2": "standardDSv2Family",
    "Standard_NC6s_v3": "standardNCSv3Family", "Standard_NC12s_v3": "standardNCSv3Family",
    "Standard_NC24s_v3": "standardNCSv3Family", "Standard_NC24rs_v3": "standardNCSv3Family",
    "Standard_NC4as_T4_v3": "Standard NCASv3_T4 Family", "Standard_NC8as_T4_v3": "Standard NCASv3_T4 Family",
    "Standard_NC16as_T4_v3": "Standard NCASv3_T4 Family", "Standard_NC64as_T4_v3": "Standard NCASv3_T4 Family",
    "Standard_NC24ads_A100_v4": "StandardNCADSA100v4Family", "Standard_NC48ads_A100_v4": "StandardNCADSA100v4Family",
    "Standard_NC96ads_A100_v4": "StandardNCADSA100v4Family", "Standard_ND96asr_v4": "standardNDASv4_A100Family",
    "Standard_NC40ads_H100_v5": "standardNCadsH100v5Family", "Standard_ND96isr_H100_v5": "standardNDSH100v5Family",
}
DEFAULT_VERSIONS = {"1.31": ["1.31.9", "1.31.10"], "1.32": ["1.32.6", "1.32.7"], "1.33": ["1.33.4", "1.33.5"],
                    "1.34": ["1.34.1", "1.34.2"], "1.35": ["1.35.0"]}
# Generous unless a test sets its own: pools seeded by earlier tests stay in the emulator and count as usage.
DEFAULT_FAMILY_LIMIT = 1000000
DEFAULT_REGIONAL_LIMIT = 10000000


def vcpus_of(size):
    match = re.search(r"(\d+)", str(size).split("_", 1)[-1])
    return int(match.group(1)) if match else 2


def family_of(size):
    for name, family in NAMED.items():
        if name.lower() == str(size).lower():
            return family
    match = re.match(r"^standard_([a-z]+?)(\d+)([a-z]*)_(v\d+)$", str(size).lower())
    if not match:
        return "standardDSv2Family"
    series, _, variant, version = match.groups()
    return f"standard{series.upper()}{variant.upper()}{version}Family"


def _sizes():
    sizes = list(NAMED)
    for series in SERIES:
        for variant in VARIANTS:
            for version in VERSIONS:
                sizes += [f"Standard_{series}{cores}{variant}_{version}" for cores in CORES]
    return sizes


_SIZES = _sizes()
_FAMILIES = {family_of(size) for size in _SIZES}


def _entry(size, location):
    cores = vcpus_of(size)
    capabilities = {
        "MaxResourceVolumeMB": str(cores * 38400), "OSVhdSizeMB": "1047552", "vCPUs": str(cores),
        "MemoryPreservingMaintenanceSupported": "True", "HyperVGenerations": "V1,V2", "MemoryGB": str(cores * 4),
        "MaxDataDiskCount": str(min(64, cores * 4)), "CpuArchitectureType": "x64", "LowPriorityCapable": "True",
        "PremiumIO": "True", "VMDeploymentTypes": "IaaS", "vCPUsAvailable": str(cores), "ACUs": "195",
        "vCPUsPerCore": "2", "CombinedTempDiskAndCachedIOPS": str(cores * 9500),
        "CombinedTempDiskAndCachedReadBytesPerSecond": str(cores * 145000000),
        "CombinedTempDiskAndCachedWriteBytesPerSecond": str(cores * 72000000), "UncachedDiskIOPS": str(cores * 3200),
        "UncachedDiskBytesPerSecond": str(cores * 48000000), "EphemeralOSDiskSupported": "True",
        "EncryptionAtHostSupported": "True", "CapacityReservationSupported": "True", "AcceleratedNetworkingEnabled":
        "True", "RdmaEnabled": "False", "MaxNetworkInterfaces": str(min(8, cores)), "TrustedLaunchDisabled": "False",
    }
    return {"resourceType": "virtualMachines", "name": size, "tier": "Standard", "size": size.split("_", 1)[1],
            "family": family_of(size), "locations": [location],
            "locationInfo": [{"location": location, "zones": ["1", "2", "3"], "zoneDetails": []}],
            "capabilities": [{"name": k, "value": v} for k, v in capabilities.items()], "restrictions": []}


class Compute:
    """Usage limits, restrictions and versions per location; the catalogue is made once, per location."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.limits = {}        # location -> {family or "cores": limit}
        self.base_usage = {}    # location -> {family or "cores": vCPUs in use outside the emulator's pools}
        self.restrictions = {}  # location -> [{"size", "type": "Location"|"Zone", "zones", "reasonCode"}]
        self.versions = {}      # location -> {minor: [patches]}
        self._catalogues = {}
        self._encoded = {}

    def configure(self, spec):
        location = spec.get("location", "eastus").lower()
        if "limits" in spec:
            self.limits[location] = dict(spec["limits"])
        if "usage" in spec:
            self.base_usage[location] = dict(spec["usage"])
        if "restrictions" in spec:
            self.restrictions[location] = list(spec["restrictions"])
        if "kubernetesVersions" in spec:
            self.versions[location] = dict(spec["kubernetesVersions"])

    def catalogue_json(self, location):
        """The catalogue as the service sends it, (plain, gzipped), encoded once per location and restrictions."""
        import gzip
        import json
        key = (location.lower(), json.dumps(self.restrictions.get(location.lower(), []), sort_keys=True))
        if key not in self._encoded:
            plain = json.dumps({"value": self.catalogue(location)}).encode()
            self._encoded = {key: (plain, gzip.compress(plain, compresslevel=6))}
        return self._encoded[key]

    def catalogue(self, location):
        location = location.lower()
        if location not in self._catalogues:
            self._catalogues[location] = [_entry(size, location) for size in _SIZES]
        entries = [dict(e) for e in self._catalogues[location]]
        by_name = {e["name"].lower(): e for e in entries}
        for rule in self.restrictions.get(location, []):
            entry = by_name.get(rule["size"].lower())
            if entry is None:
                continue
            restriction = {"type": rule.get("type", "Location"), "values": [location],
                           "reasonCode": rule.get("reasonCode", "NotAvailableForSubscription")}
            if restriction["type"] == "Zone":
                restriction["restrictionInfo"] = {"locations": [location], "zones": list(rule.get("zones", []))}
            else:
                restriction["restrictionInfo"] = {"locations": [location]}
            entry["restrictions"] = entry["restrictions"] + [restriction]
        return entries

    def kubernetes_versions(self, location):
        offered = self.versions.get(location.lower(), DEFAULT_VERSIONS)
        return {"values": [{"version": minor, "isDefault": minor == "1.33", "isPreview": False,
                            "capabilities": {"supportPlan": ["KubernetesOfficial"]},
                            "patchVersions": {patch: {"upgrades": []} for patch in patches}}
                           for minor, patches in offered.items()]}

    # ---- usage and quota ---------------------------------------------------------------
    def usage(self, location, pools):
        """{family: vCPUs in use, "cores": total}: the base plus every pool's nodes (and surges in flight)."""
        used = dict(self.base_usage.get(location.lower(), {}))
        for props, surge in pools:
            for size, nodes in pool_nodes(props):
                vcpus = vcpus_of(size) * (nodes + surge)
                used[family_of(size)] = used.get(family_of(size), 0) + vcpus
                used["cores"] = used.get("cores", 0) + vcpus
        return used

    def limit(self, location, name):
        default = DEFAULT_REGIONAL_LIMIT if name == "cores" else DEFAULT_FAMILY_LIMIT
        return self.limits.get(location.lower(), {}).get(name, default)

    def usages_document(self, location, pools):
        used = self.usage(location, pools)
        families = sorted(_FAMILIES | set(self.limits.get(location.lower(), {})) - {"cores"})
        names = ["cores"] + families
        return {"value": [{"name": {"value": name, "localizedValue": "Total Regional vCPUs" if name == "cores" else
                                    f"{name} vCPUs"}, "currentValue": used.get(name, 0),
                           "limit": self.limit(location, name), "unit": "Count"} for name in names]}

    def check_quota(self, location, pools, size_nodes):
        """Refuse, as AKS does, a request whose extra nodes need more vCPUs than are free."""
        used = self.usage(location, pools)
        need = {}
        for size, nodes in size_nodes:
            need[family_of(size)] = need.get(family_of(size), 0) + vcpus_of(size) * nodes
        total = sum(need.values())
        for family, vcpus in need.items():
            left = self.limit(location, family) - used.get(family, 0)
            if vcpus > left:
                raise ServiceError(400, "InsufficientVCPUQuota",
                                   f"Insufficient vcpu quota requested {vcpus}, remaining {max(left, 0)} for family "
                                   f"{family} for region {location}.")
        left = self.limit(location, "cores") - used.get("cores", 0)
        if total > left:
            raise ServiceError(400, "InsufficientVCPUQuota",
                               f"Insufficient regional vcpu quota left for location {location}. left regional vcpu "
                               f"quota {max(left, 0)}, requested quota {total} (Total Regional Cores).")


def pool_nodes(props):
    """[(size, nodes)] of a pool: count of vmSize, or a VirtualMachines pool's scale entries."""
    if props.get("vmSize"):
        return [(props["vmSize"], int(props.get("count") or 0))]
    scale = (props.get("virtualMachinesProfile") or {}).get("scale") or {}
    return [(e.get("size"), int(e.get("count") or 0)) for kind in ("manual", "autoscale")
            for e in (scale.get(kind) or []) if isinstance(e, dict) and e.get("size")]


def surge_nodes(props):
    """The surge of an upgrade: maxSurge of the pool's node count (a count, or a percentage rounded up), at least
    1; the service's default is 10%."""
    setting = str(((props.get("upgradeSettings") or {}).get("maxSurge")) or "10%")
    count = sum(nodes for _, nodes in pool_nodes(props))
    if setting.endswith("%"):
        return max(1, math.ceil(count * int(setting[:-1]) / 100))
    return max(1, int(setting)) if int(setting) or not (props.get("upgradeSettings") or {}).get("maxUnavailable") \
        else 0
