# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The service's own validation of managed clusters and agent pools.

These are the rules AKS itself enforces (see shared/azure-linux-facts.md), so that the
emulator answers a bad request the way the service does: with an ARM error body and the
real code. They are deliberately independent of the extension's support policy: the
service knows nothing of it.
"""
import re

from azure.mgmt.containerservice.models import OSSKU

LINUX_SKUS = {"Ubuntu", "AzureLinux", "AzureLinux3", "CBLMariner", "Ubuntu2204", "Ubuntu2404",
              "AzureContainerLinux", "AzureLinuxOSGuard"}
WINDOWS_SKUS = {"Windows2019", "Windows2022", "Windows2025"}
ALL_SKUS = {sku.value for sku in OSSKU}
AZURE_LINUX_SKUS = {"AzureLinux", "AzureLinux3", "CBLMariner"}

LINUX_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
WINDOWS_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,5}$")
CLUSTER_NAME = re.compile(r"^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$")
VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")

# Properties of an agent pool that the service refuses to change after creation.
IMMUTABLE_POOL_PROPERTIES = ("vmSize", "osType", "maxPods", "osDiskSizeGB", "osDiskType",
                             "vnetSubnetID", "podSubnetID", "availabilityZones", "kubeletDiskType")

# GPU sizes the service accepts for Azure Linux today (api 2026-06-01): every NVIDIA size used on AKS
# (the documentation since 2026-04; V100 and T4 only until 2025). AMD GPU sizes (NVv4, NG) are refused.
_GPU_PREFIXES = ("standard_nc", "standard_nd", "standard_nv", "standard_ng")
_AZURE_LINUX_GPU_REFUSED = re.compile(r"^standard_nv\d+as_v4$|^standard_ng", re.IGNORECASE)

DEFAULT_KUBERNETES_VERSION = "1.33.5"
DEFAULT_VM_SIZE = "Standard_D2ds_v5"


class ServiceError(Exception):
    """An error the service answers with: HTTP status, ARM error code and message."""

    def __init__(self, status, code, message, target=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target

    def body(self):
        error = {"code": self.code, "message": self.message, "details": []}
        if self.target:
            error["target"] = self.target
        return {"error": error}


def invalid(message, target=None):
    return ServiceError(400, "InvalidParameter", message, target)


def canonical_os_sku(value):
    """The enum's own spelling of an OS SKU (the service compares case-insensitively)."""
    for sku in ALL_SKUS:
        if sku.lower() == str(value).lower():
            return sku
    raise ServiceError(400, "InvalidOSSKU",
                       f"OSSKU '{value}' is invalid. The valid values are: {', '.join(sorted(ALL_SKUS))}.",
                       "osSKU")


def parse_version(text):
    match = VERSION.match(str(text or ""))
    if not match:
        raise invalid(f"The value of parameter kubernetesVersion '{text}' is invalid.", "kubernetesVersion")
    return int(match.group(1)), int(match.group(2))


def is_gpu_size(vm_size):
    return str(vm_size).lower().startswith(_GPU_PREFIXES)


def _int(props, key, prefix):
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"The value of parameter {prefix}.{key} is invalid. It must be an integer.", key)
    return value


def validate_pool(name, props, kubernetes_version, existing=None, prefix="agentPoolProfile"):
    """Validate an agent pool's properties as the service does; fill in its defaults.

    `existing` is the stored pool on an update. Returns the normalised properties.
    """
    props = {k: v for k, v in props.items() if v != ""}  # the service reads "" as "not given"
    os_type = props.get("osType") or (existing or {}).get("osType") or "Linux"
    if os_type not in ("Linux", "Windows"):
        raise invalid(f"The value of parameter {prefix}.osType '{os_type}' is invalid.", "osType")
    props["osType"] = os_type
    pattern = LINUX_POOL_NAME if os_type == "Linux" else WINDOWS_POOL_NAME
    if not pattern.match(name or ""):
        limit = 12 if os_type == "Linux" else 6
        raise invalid(
            f"The value of parameter {prefix}.name is invalid. Error details: {os_type} agent pool name "
            f"must start with a lowercase letter, have max length of {limit}, and only have characters a-z0-9.",
            "name")
    pool_type = props.get("type") or (existing or {}).get("type") or "VirtualMachineScaleSets"
    if not props.get("vmSize") and existing is None and pool_type != "VirtualMachines":
        props["vmSize"] = DEFAULT_VM_SIZE  # the service picks a size when none is given

    mode = props.get("mode") or "User"
    if mode not in ("System", "User"):
        raise invalid(f"The value of parameter {prefix}.mode '{mode}' is invalid. Use System or User.", "mode")
    props["mode"] = mode
    if mode == "System" and os_type != "Linux":
        raise invalid(f"Agent pool '{name}' has mode System, which requires osType Linux.", "mode")

    sku = props.get("osSKU")
    sku = canonical_os_sku(sku) if sku else ("Ubuntu" if os_type == "Linux" else "Windows2022")
    if (os_type == "Linux") != (sku in LINUX_SKUS):
        raise ServiceError(400, "InvalidOSSKU",
                           f"OSSKU '{sku}' is not valid for osType '{os_type}'.", "osSKU")
    for vm_size in vm_sizes(props, existing):
        if sku in AZURE_LINUX_SKUS and is_gpu_size(vm_size) and _AZURE_LINUX_GPU_REFUSED.match(vm_size):
            raise ServiceError(400, "InvalidOSSKU",
                               "AzureLinux does not currently support GPU enabled VMs other than NVIDIA.", "osSKU")
    if sku == "AzureLinux3" and kubernetes_version:
        major_minor = parse_version(kubernetes_version)
        if not (1, 28) <= major_minor <= (1, 36):
            raise ServiceError(400, "InvalidOSSKU",
                               f"OSSKU 'AzureLinux3' is not supported on Kubernetes {kubernetes_version}; "
                               "it requires 1.28 to 1.36.", "osSKU")
    if sku == "AzureContainerLinux":
        if kubernetes_version and parse_version(kubernetes_version) < (1, 34):
            raise ServiceError(400, "InvalidOSSKU", f"OSSKU 'AzureContainerLinux' requires Kubernetes 1.34 or later, "
                                                    f"not {kubernetes_version}.", "osSKU")
        security = dict((existing or {}).get("securityProfile") or {}, **(props.get("securityProfile") or {}))
        if not (security.get("enableSecureBoot") and security.get("enableVTPM")):
            raise invalid("OSSKU 'AzureContainerLinux' requires Trusted Launch: securityProfile.enableSecureBoot and "
                          "enableVTPM must be true.", "securityProfile")
    props["osSKU"] = sku

    count = _int(props, "count", prefix)
    if count is None:
        count = (existing or {}).get("count", None if pool_type == "VirtualMachines" else 1)
    low = 1 if mode == "System" else 0
    if count is not None and not low <= count <= 1000:
        raise invalid(f"The value of parameter {prefix}.count is invalid. The count must be in the range of "
                      f"{low} to 1000 for a {mode} agent pool.", "count")
    if count is not None:  # a VirtualMachines pool counts its nodes in virtualMachinesProfile instead
        props["count"] = count
    if props.get("enableAutoScaling"):
        min_count, max_count = _int(props, "minCount", prefix), _int(props, "maxCount", prefix)
        if min_count is None or max_count is None:
            raise invalid(f"{prefix}.minCount and maxCount are required when enableAutoScaling is true.",
                          "minCount")
        if min_count < low or max_count > 1000 or min_count > max_count:
            raise invalid(f"The value of parameter {prefix}.minCount/maxCount is invalid: they must satisfy "
                          f"{low} <= minCount <= maxCount <= 1000.", "minCount")
        if not min_count <= count <= max_count:
            raise invalid(f"The value of parameter {prefix}.count is invalid: it must be between minCount "
                          "and maxCount when enableAutoScaling is true.", "count")
    max_pods = _int(props, "maxPods", prefix)
    if max_pods is not None and not 10 <= max_pods <= 250:
        raise invalid(f"The value of parameter {prefix}.maxPods is invalid. It must be between 10 and 250.",
                      "maxPods")
    disk = _int(props, "osDiskSizeGB", prefix)
    if disk is not None and not 0 <= disk <= 2048:
        raise invalid(f"The value of parameter {prefix}.osDiskSizeGB is invalid. It must be between 0 and 2048.",
                      "osDiskSizeGB")

    if existing is not None:
        for key in IMMUTABLE_POOL_PROPERTIES:
            if key in props and props[key] is not None and existing.get(key) is not None \
                    and props[key] != existing[key]:
                raise ServiceError(400, "PropertyChangeNotAllowed",
                                   f"Changing property '{key}' is not allowed.", key)
        merged = dict(existing)
        merged.update({k: v for k, v in props.items() if v is not None})
        props = merged
    else:
        props.setdefault("maxPods", 110)
        props.setdefault("osDiskSizeGB", 128)
        props.setdefault("osDiskType", "Managed")
        props.setdefault("kubeletDiskType", "OS")
        props.setdefault("type", "VirtualMachineScaleSets")
        props.setdefault("enableFIPS", False)
        props.setdefault("enableNodePublicIP", False)
        props.setdefault("upgradeSettings", {"maxSurge": "10%"})
    props.setdefault("orchestratorVersion", kubernetes_version)
    props["currentOrchestratorVersion"] = props.get("orchestratorVersion") or kubernetes_version
    props["nodeImageVersion"] = node_image_version(props["osSKU"], props["currentOrchestratorVersion"])
    props["powerState"] = {"code": "Running"}
    return props


def vm_sizes(props, existing=None):
    """Every VM size of a pool: vmSize, or the sizes of a VirtualMachines pool's scale profile."""
    merged = dict(existing or {}, **{k: v for k, v in props.items() if v is not None})
    if merged.get("vmSize"):
        return [merged["vmSize"]]
    scale = (merged.get("virtualMachinesProfile") or {}).get("scale") or {}
    return [entry.get("size") for kind in ("manual", "autoscale") for entry in (scale.get(kind) or [])
            if isinstance(entry, dict) and entry.get("size")]


def node_image_version(sku, kubernetes_version):
    if sku in ("AzureLinux", "CBLMariner"):
        major_minor = parse_version(kubernetes_version) if kubernetes_version else (1, 33)
        return "AKSAzureLinux-V2gen2-202603.01.0" if major_minor <= (1, 31) else "AKSAzureLinux-V3gen2-202611.01.0"
    if sku == "AzureLinux3":
        return "AKSAzureLinux-V3gen2-202611.01.0"
    if sku in WINDOWS_SKUS:
        return f"AKS{sku}-202611.01.0"
    return "AKSUbuntu-2204gen2containerd-202611.01.0"


def validate_cluster_name(name):
    if not CLUSTER_NAME.match(name or ""):
        raise invalid(f"The value of parameter name '{name}' is invalid. A managed cluster name must be 1 to 63 "
                      "letters, digits, '-' or '_', starting and ending with a letter or digit.", "name")
