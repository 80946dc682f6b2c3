# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The production options of `az aks create`, as core Azure CLI 2.91 takes them: their checks and their REST fields.

Pure, and standard library only: `validate` refuses what core's validators and AKS refuse for these options (one
sentence each: the option, the value, why, and what to do); `rest_fields` gives the managedClusters body fragment
that core sends for the same options, value for value (REST names of API 2026-06-01); `role_assignments` describes
the subnet's Network Contributor assignment that goes with --vnet-subnet-id. Options are a dict keyed by core's
parameter names (`network_plugin`, `vnet_subnet_id`, `enable_aad`, ...); `subnet_prefix` is the subnet's
addressPrefix when the caller could read it. The only I/O is `read_or_generate_ssh_key`, which runs what
`ssh_key_plan` decided. See tests/data/core_create_options.md for the sources of each rule.
"""
import base64
import binascii
import ipaddress
import os
import re
import struct

from azext_azurelinux import aks_rules

NETWORK_PLUGINS = ("azure", "kubenet", "none")
NETWORK_PLUGIN_MODES = ("overlay",)
NETWORK_DATAPLANES = ("azure", "cilium")
NETWORK_POLICIES = ("azure", "calico", "cilium", "none")
LOAD_BALANCER_SKUS = ("basic", "standard")
OUTBOUND_TYPES = ("loadBalancer", "userDefinedRouting", "managedNATGateway", "userAssignedNATGateway", "none")
TIERS = ("free", "standard", "premium")
SUPPORT_PLANS = ("KubernetesOfficial", "AKSLongTermSupport")
AUTO_UPGRADE_CHANNELS = ("rapid", "stable", "patch", "node-image", "none")
NODE_OS_UPGRADE_CHANNELS = ("NodeImage", "None", "Unmanaged", "SecurityPatch")
OS_DISK_TYPES = ("Managed", "Ephemeral")
DEFAULT_SERVICE_CIDR = "10.0.0.0/16"    # AKS's default service range (and 10.0.0.10 for DNS) when none is given
DEFAULT_POD_CIDR = "10.244.0.0/16"      # AKS's default pod range for overlay and kubenet
RESERVED_RANGES = ("169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24")
# The issue asks that the Cilium dataplane come with overlay or a custom subnet; AKS's documentation of 2026-06 also
# allows it on the node subnet of a managed network (Azure CLI 2.69+). False drops that refusal.
CILIUM_NEEDS_OVERLAY_OR_SUBNET = True

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SUBNET_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network/"
                        r"virtualNetworks/(?P<vnet>[^/]+)/subnets/(?P<subnet>[^/]+)$", re.IGNORECASE)
_IDENTITY_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ManagedIdentity/"
                          r"userAssignedIdentities/[^/]+$", re.IGNORECASE)
_DNS_ZONE_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateDnsZones/"
                          r"(?P<zone>[^/]+)$", re.IGNORECASE)
_ZONE_NAME = re.compile(r"^([a-z0-9-]+\.)?privatelink\.[a-z0-9]+\.azmk8s\.io$", re.IGNORECASE)
_ADMIN_USERNAME = re.compile(r"^[A-Za-z][-A-Za-z0-9_]*$")


class OptionError(ValueError):
    """A refused option: `option` (as typed, such as --pod-cidr), `message` (one sentence), and `kind`: invalid
    (InvalidArgumentValueError), missing (RequiredArgumentMissingError) or exclusive
    (MutuallyExclusiveArgumentError)."""

    def __init__(self, option, message, kind="invalid"):
        super().__init__(message)
        self.option = option
        self.message = message
        self.kind = kind


# ---- small pure helpers ------------------------------------------------------------------
def _given(options, key):
    value = options.get(key)
    return None if value is None or value == "" else value


def _canonical(value, allowed):
    for choice in allowed:
        if str(value).lower() == choice.lower():
            return choice
    return None


def _split(value):
    """A comma-separated string or a list, stripped, empty items dropped."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [str(item).strip() for item in items if str(item).strip()]


def _net(text):
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def cidr_overlap(first, second):
    """True when two CIDR ranges share an address (False when either is not a CIDR)."""
    a, b = _net(first), _net(second)
    return bool(a and b and a.version == b.version and a.overlaps(b))


def subnet_overlap(service_cidr, subnet_prefix):
    """True when the service range overlaps the subnet's addressPrefix, which AKS refuses."""
    return cidr_overlap(service_cidr, subnet_prefix)


def dns_ip_in_range(dns_service_ip, service_cidr):
    """True when the DNS service IP is a usable address of the service range: inside it, and neither its network
    address nor its first address (kubernetes.default takes that one)."""
    net = _net(service_cidr)
    try:
        address = ipaddress.ip_address(str(dns_service_ip))
    except ValueError:
        return False
    return bool(net and address in net and address not in (net.network_address, net.network_address + 1))


def parse_subnet_id(subnet_id):
    """(subscription, resource group, virtual network, subnet) of a subnet id, or None when it is not one."""
    match = _SUBNET_ID.match(str(subnet_id or ""))
    return match.group("sub", "rg", "vnet", "subnet") if match else None


def is_valid_ssh_public_key(text):
    """Core's check (azure.cli.core.keys): an OpenSSH public key whose blob starts with its own key type."""
    parts = str(text or "").split()
    if len(parts) < 2:
        return False
    try:
        data = base64.b64decode(parts[1], validate=True)
        length = struct.unpack(">I", data[:4])[0]
    except (binascii.Error, struct.error, ValueError):
        return False
    return data[4:4 + length] == parts[0].encode()


# ---- validation --------------------------------------------------------------------------
def _choice(options, key, option, allowed, case_sensitive=False):
    value = _given(options, key)
    if value is None:
        return None
    ok = value in allowed if case_sensitive else _canonical(value, allowed)
    if not ok:
        return OptionError(option, f"{option} {value} is not one of its values, so neither core az aks create nor AKS "
                                   f"accepts it: use one of {', '.join(allowed)}.")
    return None


def _value_sets(o):
    yield _choice(o, "network_plugin", "--network-plugin", NETWORK_PLUGINS)
    yield _choice(o, "network_plugin_mode", "--network-plugin-mode", NETWORK_PLUGIN_MODES)
    yield _choice(o, "network_dataplane", "--network-dataplane", NETWORK_DATAPLANES)
    yield _choice(o, "network_policy", "--network-policy", NETWORK_POLICIES, case_sensitive=True)
    yield _choice(o, "load_balancer_sku", "--load-balancer-sku", LOAD_BALANCER_SKUS)
    yield _choice(o, "outbound_type", "--outbound-type", OUTBOUND_TYPES)
    yield _choice(o, "tier", "--tier", TIERS)
    yield _choice(o, "k8s_support_plan", "--k8s-support-plan", SUPPORT_PLANS)
    yield _choice(o, "auto_upgrade_channel", "--auto-upgrade-channel", AUTO_UPGRADE_CHANNELS)
    yield _choice(o, "node_os_upgrade_channel", "--node-os-upgrade-channel", NODE_OS_UPGRADE_CHANNELS)
    yield _choice(o, "node_osdisk_type", "--node-osdisk-type", OS_DISK_TYPES)


def _lower(options, key, default=None):
    value = _given(options, key)
    return str(value).lower() if value is not None else default


def _effective_ranges(o):
    """(service range, pod range or None) as AKS will use them: given, or AKS's defaults."""
    plugin, mode = _lower(o, "network_plugin"), _lower(o, "network_plugin_mode")
    overlay_default = plugin is None and mode is None and not _given(o, "vnet_subnet_id")
    uses_pods = plugin == "kubenet" or mode == "overlay" or overlay_default
    return (_given(o, "service_cidr") or DEFAULT_SERVICE_CIDR,
            (_given(o, "pod_cidr") or DEFAULT_POD_CIDR) if uses_pods else None)


def _addresses(o):
    for key, option in (("pod_cidr", "--pod-cidr"), ("service_cidr", "--service-cidr")):
        value = _given(o, key)
        if value is None:
            continue
        net = _net(value)
        if net is None or net.version != 4 or "/" not in str(value):
            yield OptionError(option, f"{option} {value} is not an IPv4 range in CIDR notation: write it as "
                                      "address/prefix, such as 10.0.0.0/16.")
            continue
        if str(net.network_address) != str(value).split("/", 1)[0]:
            yield OptionError(option, f"{option} {value} has host bits set, and AKS takes only a network address: "
                                      f"use {net}.")
        for reserved in RESERVED_RANGES:
            if net.overlaps(ipaddress.ip_network(reserved)):
                yield OptionError(option, f"{option} {value} overlaps {reserved}, which AKS reserves for itself: "
                                          "choose a range outside 169.254.0.0/16, 172.30.0.0/15 and 192.0.2.0/24.")
    dns = _given(o, "dns_service_ip")
    if dns is not None:
        try:
            valid = ipaddress.ip_address(str(dns)).version == 4
        except ValueError:
            valid = False
        if not valid:
            yield OptionError("--dns-service-ip", f"--dns-service-ip {dns} is not an IPv4 address: give one address "
                                                  "inside --service-cidr, such as 10.0.0.10.")


def _network(o):  # pylint: disable=too-many-branches
    plugin, mode = _lower(o, "network_plugin"), _lower(o, "network_plugin_mode")
    policy, dataplane = _given(o, "network_policy"), _lower(o, "network_dataplane")
    subnet = _given(o, "vnet_subnet_id")
    if mode == "overlay" and plugin not in (None, "azure"):
        yield OptionError("--network-plugin-mode", f"--network-plugin-mode overlay does not work with --network-plugin "
                                                   f"{plugin}, as AKS refuses overlay on any plugin but Azure CNI: use "
                                                   "--network-plugin azure, or drop --network-plugin-mode.")
    if plugin == "azure" and _given(o, "pod_cidr") and mode != "overlay":
        yield OptionError("--pod-cidr", f"--pod-cidr {_given(o, 'pod_cidr')} needs --network-plugin-mode overlay with "
                                        "--network-plugin azure, since Azure CNI without overlay gives pods subnet "
                                        "addresses: add --network-plugin-mode overlay, or drop --pod-cidr.")
    if policy and not plugin:
        yield OptionError("--network-policy", f"--network-policy {policy} needs an explicit --network-plugin, as core "
                                              "az aks create requires: add --network-plugin azure.", "missing")
    if dataplane == "cilium":
        if plugin not in (None, "azure"):
            yield OptionError("--network-dataplane", f"--network-dataplane cilium does not work with --network-plugin "
                                                     f"{plugin}, as Cilium runs on Azure CNI only: use "
                                                     "--network-plugin azure.")
        if CILIUM_NEEDS_OVERLAY_OR_SUBNET and mode != "overlay" and not subnet:
            yield OptionError("--network-dataplane", "--network-dataplane cilium needs pod addresses from an overlay "
                                                     "or a subnet: add --network-plugin-mode overlay, or "
                                                     "--vnet-subnet-id.", "missing")
        if policy not in (None, "cilium", "none"):
            yield OptionError("--network-policy", f"--network-policy {policy} does not work with --network-dataplane "
                                                  "cilium, which enforces policies itself: use --network-policy "
                                                  "cilium or none.")
    elif policy == "cilium":
        yield OptionError("--network-policy", "--network-policy cilium needs --network-dataplane cilium, as AKS "
                                              "enforces Cilium policies only on the Cilium dataplane: add "
                                              "--network-dataplane cilium.", "missing")
    if policy == "azure" and plugin == "kubenet":
        yield OptionError("--network-policy", "--network-policy azure does not work with --network-plugin kubenet, "
                                              "as Azure Network Policy Manager needs Azure CNI: use --network-policy "
                                              "calico, or --network-plugin azure.")
    if subnet is not None and parse_subnet_id(subnet) is None:
        yield OptionError("--vnet-subnet-id", f"--vnet-subnet-id {subnet} is not a subnet resource id: give "
                                              "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/"
                                              "virtualNetworks/<vnet>/subnets/<subnet>, as az network vnet subnet "
                                              "show --query id prints it.")


def _named(o, key, value):
    """How a message names a range: the option and its value, or the option not given and AKS's default."""
    option = "--" + key.replace("_", "-")
    return f"{option} {value}" if _given(o, key) else f"{option} (not given, so AKS's default {value})"


def _ranges(o):
    service, pods = _effective_ranges(o)
    dns = _given(o, "dns_service_ip")
    if dns is not None and _net(service) and not dns_ip_in_range(dns, service):
        yield OptionError("--dns-service-ip", f"--dns-service-ip {dns} is not a usable address of "
                                              f"{_named(o, 'service_cidr', service)}, and AKS gives kube-dns an "
                                              "address inside the service range (not its first two): use one such as "
                                              f"{_net(service).network_address + 10}, or a --service-cidr that holds "
                                              "it.")
    if pods and (_given(o, "pod_cidr") or _given(o, "service_cidr")) and cidr_overlap(service, pods):
        option = "--service-cidr" if _given(o, "service_cidr") else "--pod-cidr"
        first, second = (("service_cidr", service), ("pod_cidr", pods))[::1 if option == "--service-cidr" else -1]
        yield OptionError(option, f"{_named(o, *first)} overlaps {_named(o, *second)}, and AKS needs separate "
                                  "ranges for services and pods: choose ranges that do not overlap.")
    prefix = _given(o, "subnet_prefix")
    if prefix and subnet_overlap(service, prefix):
        yield OptionError("--service-cidr", f"{_named(o, 'service_cidr', service)} overlaps the address prefix "
                                            f"{prefix} of --vnet-subnet-id, which AKS refuses (ServiceCidrOverlap"
                                            "ExistingSubnetsCidr): give a --service-cidr outside the virtual network.")
    if prefix and pods and cidr_overlap(pods, prefix):
        yield OptionError("--pod-cidr", f"{_named(o, 'pod_cidr', pods)} overlaps the address prefix {prefix} of "
                                        "--vnet-subnet-id, and AKS routes pods apart from nodes: give a --pod-cidr "
                                        "outside the virtual network.")


def _outbound(o):
    outbound = _canonical(_given(o, "outbound_type") or "", OUTBOUND_TYPES)
    basic = _lower(o, "load_balancer_sku") == "basic"
    subnet = _given(o, "vnet_subnet_id")
    if basic and _given(o, "outbound_type"):
        yield OptionError("--outbound-type", f"--outbound-type {outbound} does not work with --load-balancer-sku "
                                             "basic, as core az aks create refuses: use --load-balancer-sku standard.")
    if outbound in ("userDefinedRouting", "userAssignedNATGateway") and not subnet:
        yield OptionError("--outbound-type", f"--outbound-type {outbound} needs --vnet-subnet-id, a subnet already set "
                                             "up with " + ("a route table with egress rules"
                                                           if outbound == "userDefinedRouting" else
                                                           "a NAT gateway with outbound IPs") +
                          ": add --vnet-subnet-id.", "missing")
    if outbound == "managedNATGateway" and subnet:
        yield OptionError("--vnet-subnet-id", "--vnet-subnet-id does not work with --outbound-type managedNATGateway, "
                                              "for which AKS makes its own network: use userAssignedNATGateway with "
                                              "your subnet, or drop --vnet-subnet-id.", "exclusive")


def _api_server(o):
    ranges = _split(_given(o, "api_server_authorized_ip_ranges"))
    private = bool(o.get("enable_private_cluster"))
    basic = _lower(o, "load_balancer_sku") == "basic"
    if ranges and private:
        yield OptionError("--api-server-authorized-ip-ranges", "--api-server-authorized-ip-ranges does not work with "
                                                               "--enable-private-cluster, whose API server has no "
                                                               "public address to restrict: drop one of them.",
                          "exclusive")
    if basic and (ranges or private):
        option = "--enable-private-cluster" if private else "--api-server-authorized-ip-ranges"
        yield OptionError(option, f"{option} needs the standard load balancer, not --load-balancer-sku basic: use "
                                  "--load-balancer-sku standard.")
    if "0.0.0.0/32" in ranges and len(ranges) > 1:
        yield OptionError("--api-server-authorized-ip-ranges", "--api-server-authorized-ip-ranges 0.0.0.0/32 (node "
                                                               "pools only) cannot be combined with other ranges: "
                                                               "give it alone, or drop it.")
    for item in ranges:
        net = _net(item)
        if item != "0.0.0.0/32" and (net is None or net.version != 4 or not net.is_global):
            yield OptionError("--api-server-authorized-ip-ranges", f"--api-server-authorized-ip-ranges {item} is not a "
                                                                   "public IPv4 address or range, which is all AKS "
                                                                   "can authorize: give public IPv4 CIDRs such as "
                                                                   "20.30.40.0/24.")
    zone = _given(o, "private_dns_zone")
    if zone is not None:
        if not private:
            yield OptionError("--private-dns-zone", f"--private-dns-zone {zone} needs --enable-private-cluster, as a "
                                                    "public cluster has no private zone: add --enable-private-cluster, "
                                                    "or drop --private-dns-zone.", "missing")
        elif str(zone).lower() not in ("system", "none"):
            match = _DNS_ZONE_ID.match(str(zone))
            if match is None or not _ZONE_NAME.match(match.group("zone")):
                yield OptionError("--private-dns-zone", f"--private-dns-zone {zone} is neither system, none nor the id "
                                                        "of a private DNS zone named privatelink.<region>.azmk8s.io "
                                                        "(or <subzone>.privatelink.<region>.azmk8s.io): give such an "
                                                        "id, or system.")
            elif not _given(o, "assign_identity"):
                yield OptionError("--private-dns-zone", f"--private-dns-zone {zone} needs --assign-identity, since AKS "
                                                        "manages a zone of yours only with a user-assigned identity "
                                                        "that may write it: add --assign-identity.", "missing")


def _identity(o):
    groups, tenant = _given(o, "aad_admin_group_object_ids"), _given(o, "aad_tenant_id")
    if o.get("enable_azure_rbac") and not o.get("enable_aad"):
        yield OptionError("--enable-azure-rbac", "--enable-azure-rbac needs --enable-aad, as Azure RBAC for Kubernetes "
                                                 "authorizes Microsoft Entra identities: add --enable-aad.", "missing")
    if o.get("disable_local_accounts") and not o.get("enable_aad"):
        yield OptionError("--disable-local-accounts", "--disable-local-accounts needs --enable-aad, or nobody could "
                                                      "sign in to the cluster: add --enable-aad.", "missing")
    for item in _split(groups):
        if not _GUID.match(item):
            yield OptionError("--aad-admin-group-object-ids", f"--aad-admin-group-object-ids {item} is not an object "
                                                              "id, which AKS needs for a group: give group object ids "
                                                              "(GUIDs), comma-separated.")
    if tenant and not _GUID.match(str(tenant)):
        yield OptionError("--aad-tenant-id", f"--aad-tenant-id {tenant} is not a tenant id: give the directory's id "
                                             "(a GUID), as az account show --query tenantId prints it.")
    if o.get("enable_workload_identity") and not o.get("enable_oidc_issuer"):
        yield OptionError("--enable-workload-identity", "--enable-workload-identity needs --enable-oidc-issuer, as "
                                                        "workload identity federates through the cluster's OIDC "
                                                        "issuer: add --enable-oidc-issuer.", "missing")
    for key, option in (("assign_identity", "--assign-identity"), ("assign_kubelet_identity",
                                                                   "--assign-kubelet-identity")):
        value = _given(o, key)
        if value is not None and not _IDENTITY_ID.match(str(value)):
            yield OptionError(option, f"{option} {value} is not the id of a user-assigned managed identity: give "
                                      "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/"
                                      "userAssignedIdentities/<name>, as az identity show --query id prints it.")
    if _given(o, "assign_kubelet_identity") and not _given(o, "assign_identity"):
        yield OptionError("--assign-kubelet-identity", "--assign-kubelet-identity needs --assign-identity, as the "
                                                       "control plane's own user-assigned identity must manage the "
                                                       "kubelet's: add --assign-identity.", "missing")


def _operations(o):
    plan, tier = _canonical(_given(o, "k8s_support_plan") or "", SUPPORT_PLANS), _lower(o, "tier", "free")
    if plan == "AKSLongTermSupport" and tier != "premium":
        yield OptionError("--k8s-support-plan", f"--k8s-support-plan AKSLongTermSupport needs --tier premium (the tier "
                                                f"is {tier}), as AKS offers long-term support only on the Premium "
                                                "tier: add --tier premium, or use KubernetesOfficial.")
    enabled, low, high = bool(o.get("enable_cluster_autoscaler")), _given(o, "min_count"), _given(o, "max_count")
    autoscale = aks_rules.autoscaler(enabled, _given(o, "node_count"), low, high, mode="System")
    if autoscale:
        if not enabled or low is None or high is None:
            option = "--enable-cluster-autoscaler" if enabled else "--min-count" if low is not None else "--max-count"
            yield OptionError(option, autoscale, "missing")
        else:
            bad_min = not 1 <= low <= aks_rules.MAX_NODES or low > high
            option = "--min-count" if bad_min else "--max-count" if not 1 <= high <= aks_rules.MAX_NODES else \
                "--node-count"
            yield OptionError(option, autoscale)
    name = _given(o, "nodepool_name")
    if name is not None and aks_rules.pool_name(name):
        yield OptionError("--nodepool-name", f"--nodepool-name {aks_rules.pool_name(name)}")
    for key, option, check in (("max_pods", "--max-pods", aks_rules.max_pods),
                               ("node_osdisk_size", "--node-osdisk-size", aks_rules.os_disk_size)):
        value = _given(o, key)
        problem = check(value) if value not in (None, 0) else None
        if problem:
            yield OptionError(option, f"{option} {problem}")
    labels = _given(o, "nodepool_labels")
    if labels is not None:
        _, error = aks_rules.parse_labels([f"{k}={v}" for k, v in labels.items()] if isinstance(labels, dict)
                                          else labels)
        if error:
            yield OptionError("--nodepool-labels", f"--nodepool-labels {error}")
    taints = _given(o, "nodepool_taints")
    if taints is not None:
        _, error = aks_rules.parse_taints(",".join(taints) if isinstance(taints, (list, tuple)) else taints)
        if error:
            yield OptionError("--nodepool-taints", f"--nodepool-taints {error}")
    user = _given(o, "admin_username")
    if user is not None and not _ADMIN_USERNAME.match(str(user)):
        yield OptionError("--admin-username", f"--admin-username {user} is not a Linux user name AKS accepts: start "
                                              "with a letter and use letters, digits, '-' and '_', such as azureuser.")
    key = _given(o, "ssh_key_value")
    if key is not None and not o.get("no_ssh_key") and not is_valid_ssh_public_key(key):
        yield OptionError("--ssh-key-value", f"--ssh-key-value {str(key)[:24]}... is not an OpenSSH public key: give a "
                                             "public key file or its contents, or --generate-ssh-keys.")


def problems(options):
    """Every refusal for these options, in a fixed order (value sets first), as OptionError values."""
    found = []
    for group in (_value_sets, _addresses, _network, _ranges, _outbound, _api_server, _identity, _operations):
        found += [problem for problem in group(options) if problem is not None]
    return found


def validate(options):
    """Raise the first OptionError for these options; return None when core and AKS would take them."""
    found = problems(options)
    if found:
        raise found[0]


def warnings(options, subnet_read_error=None):
    """What is accepted but deserves a word: options core ignores, and a subnet that could not be read."""
    notes = []
    if not options.get("enable_aad"):
        notes += [f"{option} is ignored without --enable-aad, as core az aks create ignores it: add --enable-aad to "
                  "use it." for key, option in (("aad_admin_group_object_ids", "--aad-admin-group-object-ids"),
                                                ("aad_tenant_id", "--aad-tenant-id")) if _given(options, key)]
    if options.get("skip_subnet_role_assignment") and not _given(options, "vnet_subnet_id"):
        notes.append("--skip-subnet-role-assignment has no effect without --vnet-subnet-id.")
    if subnet_read_error:
        notes.append(f"Could not read the address prefix of --vnet-subnet-id ({subnet_read_error}), so the service "
                     "and pod ranges were not checked against it; AKS will check them.")
    return notes


# ---- the REST body ----------------------------------------------------------------------
def _network_profile(o):
    """networkProfile as core builds it: the given fields, plus loadBalancerSku (default standard) and outboundType
    (default loadBalancer; none with a basic load balancer)."""
    sku = _lower(o, "load_balancer_sku", "standard")
    outbound = _canonical(_given(o, "outbound_type") or "", OUTBOUND_TYPES) or (
        "loadBalancer" if sku != "basic" else None)
    fields = {"networkPlugin": _lower(o, "network_plugin"), "networkPluginMode": _lower(o, "network_plugin_mode"),
              "podCidr": _given(o, "pod_cidr"), "serviceCidr": _given(o, "service_cidr"),
              "dnsServiceIP": _given(o, "dns_service_ip"), "networkPolicy": _given(o, "network_policy"),
              "networkDataplane": _lower(o, "network_dataplane")}
    if any(fields.values()):
        profile = dict(fields, loadBalancerSku=sku, outboundType=outbound)
    elif sku == "basic":
        profile = {"loadBalancerSku": sku}
    else:
        profile = {"loadBalancerSku": sku, "outboundType": outbound}
    return {k: v for k, v in profile.items() if v is not None}


def _system_pool(o):
    labels = _given(o, "nodepool_labels")
    if labels is not None and not isinstance(labels, dict):
        labels, _ = aks_rules.parse_labels(labels)
    taints = _given(o, "nodepool_taints")
    pool = {"name": _given(o, "nodepool_name"), "vnetSubnetID": _given(o, "vnet_subnet_id"),
            "count": _given(o, "node_count"), "nodeLabels": labels or None,
            "nodeTaints": _split(taints) if taints is not None else None,
            "osDiskSizeGB": _given(o, "node_osdisk_size"),
            "osDiskType": _canonical(_given(o, "node_osdisk_type") or "", OS_DISK_TYPES),
            "maxPods": _given(o, "max_pods") or None}
    if o.get("enable_cluster_autoscaler"):
        pool.update(enableAutoScaling=True, minCount=_given(o, "min_count"), maxCount=_given(o, "max_count"))
    return {k: v for k, v in pool.items() if v is not None}


def rest_fields(options, kubelet_identity=None):  # pylint: disable=too-many-branches
    """The managedClusters body fragment core `az aks create` sends for these options (REST names, API 2026-06-01):
    top-level `sku` and `identity`, `properties.*`, and the system pool's fields in `properties.agentPoolProfiles[0]`.
    `options["ssh_key_value"]` is the public key's content (see ssh_key_plan); `kubelet_identity` is the
    user-assigned identity of --assign-kubelet-identity as read from Azure ({"clientId", "principalId"}), whose ids
    core copies into identityProfile. Merge it into the builder's body with `merge`."""
    o = options
    tier = _lower(o, "tier", "free")
    props = {"disableLocalAccounts": bool(o.get("disable_local_accounts")), "networkProfile": _network_profile(o),
             "agentPoolProfiles": [_system_pool(o)]}
    if o.get("enable_aad"):
        groups = _given(o, "aad_admin_group_object_ids")
        props["aadProfile"] = {k: v for k, v in {
            "managed": True, "enableAzureRBAC": bool(o.get("enable_azure_rbac")),
            "adminGroupObjectIDs": _split(groups) if groups is not None else None,
            "tenantID": _given(o, "aad_tenant_id")}.items() if v is not None}
    ranges = _split(_given(o, "api_server_authorized_ip_ranges"))
    if ranges or o.get("enable_private_cluster"):
        props["apiServerAccessProfile"] = {k: v for k, v in {
            "authorizedIPRanges": ranges, "enablePrivateCluster": True if o.get("enable_private_cluster") else None,
            "privateDNSZone": _given(o, "private_dns_zone")}.items() if v is not None}
    if o.get("enable_oidc_issuer"):
        props["oidcIssuerProfile"] = {"enabled": True}
    if o.get("enable_workload_identity"):
        props["securityProfile"] = {"workloadIdentity": {"enabled": True}}
    kubelet = _given(o, "assign_kubelet_identity")
    if kubelet:
        ids = kubelet_identity or {}
        props["identityProfile"] = {"kubeletidentity": {k: v for k, v in {
            "resourceId": kubelet, "clientId": ids.get("clientId"), "objectId": ids.get("principalId")}.items()
            if v is not None}}
    channels = {"upgradeChannel": _canonical(_given(o, "auto_upgrade_channel") or "", AUTO_UPGRADE_CHANNELS),
                "nodeOSUpgradeChannel": _canonical(_given(o, "node_os_upgrade_channel") or "",
                                                   NODE_OS_UPGRADE_CHANNELS)}
    if any(channels.values()):
        props["autoUpgradeProfile"] = {k: v for k, v in channels.items() if v}
    plan = _canonical(_given(o, "k8s_support_plan") or "", SUPPORT_PLANS)
    if plan:
        props["supportPlan"] = plan
    key = _given(o, "ssh_key_value")
    if key and not o.get("no_ssh_key"):
        props["linuxProfile"] = {"adminUsername": _given(o, "admin_username") or "azureuser",
                                 "ssh": {"publicKeys": [{"keyData": str(key).strip()}]}}
    identity = _given(o, "assign_identity")
    return {"sku": {"name": "Base", "tier": tier.capitalize()},
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}} if identity else
            {"type": "SystemAssigned"},
            "properties": props}


def merge(body, fragment):
    """`body` with `fragment` laid over it (dicts merged key by key, the first agent pool merged with the fragment's
    first); neither argument is changed."""
    if not isinstance(body, dict) or not isinstance(fragment, dict):
        return fragment
    merged = dict(body)
    for key, value in fragment.items():
        if key == "agentPoolProfiles" and isinstance(value, list) and body.get(key):
            merged[key] = [merge(body[key][0], value[0] if value else {})] + list(body[key][1:])
        elif isinstance(value, dict) and isinstance(body.get(key), dict):
            merged[key] = merge(body[key], value)
        else:
            merged[key] = value
    return merged


# ---- SSH keys ----------------------------------------------------------------------------
def ssh_key_plan(ssh_key_value, no_ssh_key=False, generate_ssh_keys=False, home="~", exists=os.path.exists):
    """What core's validate_ssh_key does with these options, as (action, argument):
    ("none", None): no linuxProfile (--no-ssh-key, or no key given and none at ~/.ssh/id_rsa.pub: AKS then makes
    its own); ("read", path): use that file's contents; ("key", text): the value is the key itself;
    ("generate", (private_path, public_path)): --generate-ssh-keys, reusing a key pair that is there;
    ("error", message). `exists` is the only look at the disk, and is injected."""
    if no_ssh_key:
        return "none", None
    default = os.path.join(os.path.expanduser(home), ".ssh", "id_rsa.pub")
    value = os.path.expanduser(ssh_key_value) if ssh_key_value else default
    if exists(value):
        return "read", value
    if is_valid_ssh_public_key(value):
        return "key", value
    if generate_ssh_keys:
        private = value[:-4] if value.lower().endswith(".pub") else value + ".private"
        return "generate", (private, value)
    if not str(value).strip() or value == default:
        return "none", None
    return "error", ("--ssh-key-value is neither an OpenSSH public key nor a file that holds one: give a public key "
                     "file or its contents, add --generate-ssh-keys to make a key pair, or use --no-ssh-key.")


def read_or_generate_ssh_key(plan):
    """Run an ssh_key_plan: the public key's text, or None. Generation is core's own (azure.cli.core.keys, RSA 2048
    with the cryptography package the CLI bundles): an existing public key file is reused, a lone private key gets
    its public half written beside it."""
    action, argument = plan
    if action == "read":
        with open(argument, "r", encoding="utf-8") as handle:
            return handle.read().strip()
    if action == "key":
        return argument.strip()
    if action == "generate":
        from azure.cli.core.keys import generate_ssh_keys
        return generate_ssh_keys(*argument).strip()
    return None
