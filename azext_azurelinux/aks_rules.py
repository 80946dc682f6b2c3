# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The rules AKS itself enforces on clusters and agent pools, checked on the client.

Pure functions: each returns None when the value is fine, or one sentence that starts
with the value and says what to use instead. Unlike `policy`, these are not a choice
of ours: they are the service's own limits, so a bad value is refused before it is sent.
"""
import math
import re

POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
CLUSTER_NAME = re.compile(r"^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$")
RESOURCE_GROUP = re.compile(r"^[-\w._()]{0,89}[-\w_()]$", re.UNICODE)
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
ZONES = ("1", "2", "3")
MAX_NODES = 1000
MAX_PODS = (10, 250)
OS_DISK_GB = (0, 2048)
RESERVED_LABEL_PREFIXES = ("kubernetes.azure.com/", "kubernetes.io/", "k8s.io/")


def pool_name(name):
    if not isinstance(name, str) or not POOL_NAME.match(name):
        return (f"{name!r} is not a valid Linux node pool name: use 1 to 12 lowercase letters and digits, "
                "starting with a letter (such as gpupool1).")
    return None


def cluster_name(name):
    if not isinstance(name, str) or not CLUSTER_NAME.match(name):
        return (f"{name!r} is not a valid cluster name: use 1 to 63 letters, digits, '-' or '_', starting and "
                "ending with a letter or digit.")
    return None


def resource_group_name(name):
    if not isinstance(name, str) or not RESOURCE_GROUP.match(name):
        return (f"{name!r} is not a valid resource group name: use 1 to 90 letters, digits, '-', '_', '.', "
                "'(' or ')', not ending with '.'.")
    return None


def node_count(count, mode="User"):
    low = 1 if str(mode).lower() == "system" else 0
    if count is None:
        return None
    if not low <= count <= MAX_NODES:
        return (f"{count} is out of range for a {mode} pool: use {low} to {MAX_NODES}"
                + (" (a System pool needs at least one node)." if low else "."))
    return None


def autoscaler(enabled, count, min_count, max_count, mode="User"):  # pylint: disable=too-many-return-statements
    """The autoscaler bounds as AKS checks them; count may be None (it then starts at min_count)."""
    low = 1 if str(mode).lower() == "system" else 0
    if not enabled:
        if min_count is not None or max_count is not None:
            return "--min-count and --max-count need --enable-cluster-autoscaler: add it, or drop them."
        return None
    if min_count is None or max_count is None:
        return "--enable-cluster-autoscaler needs both --min-count and --max-count."
    if not low <= min_count <= MAX_NODES:
        return f"--min-count {min_count} is out of range for a {mode} pool: use {low} to {MAX_NODES}."
    if not low <= max_count <= MAX_NODES:
        return f"--max-count {max_count} is out of range: use {low} to {MAX_NODES}."
    if min_count > max_count:
        return f"--min-count {min_count} is above --max-count {max_count}: make --min-count the smaller."
    if count is not None and not min_count <= count <= max_count:
        return (f"--node-count {count} is outside the autoscaler bounds {min_count} to {max_count}: "
                "choose a count between them.")
    return None


def max_pods(value):
    if value is not None and not MAX_PODS[0] <= value <= MAX_PODS[1]:
        return f"{value} is out of range: use {MAX_PODS[0]} to {MAX_PODS[1]} pods per node."
    return None


def os_disk_size(value):
    if value is not None and not OS_DISK_GB[0] <= value <= OS_DISK_GB[1]:
        return f"{value} is out of range: use {OS_DISK_GB[0]} (the VM size's default) to {OS_DISK_GB[1]} GB."
    return None


def zones(values):
    for zone in values or []:
        if str(zone) not in ZONES:
            return f"{zone} is not an availability zone: use 1, 2 or 3."
    return None


def parse_labels(items):
    """['k=v', ...] or 'k=v k2=v2' into a dict; (labels, error)."""
    if isinstance(items, str):
        items = items.split()
    labels = {}
    for item in items or []:
        key, sep, value = str(item).partition("=")
        if not sep:
            return None, f"{item!r} is not a label: write key=value (such as team=data)."
        error = _label_key(key) or (None if _LABEL_VALUE.match(value) and len(value) <= 63 else
                                    f"{item!r} has an invalid value: use at most 63 letters, digits, '-', '_' "
                                    "or '.', starting and ending with a letter or digit.")
        if error:
            return None, error
        labels[key] = value
    return labels, None


def _label_key(key):
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"{key!r} has an invalid prefix: use a DNS subdomain such as example.com/name."
    if not _LABEL_NAME.match(name or ""):
        return (f"{key!r} is not a valid label key: use at most 63 letters, digits, '-', '_' or '.', starting "
                "and ending with a letter or digit.")
    if key.startswith(RESERVED_LABEL_PREFIXES):
        return f"{key!r} uses a prefix reserved by Kubernetes and AKS: choose your own prefix."
    return None


def parse_taints(text):
    """'k=v:NoSchedule,k2:NoExecute' into a list; (taints, error)."""
    if text is None:
        return None, None
    taints = []
    for item in [part.strip() for part in str(text).split(",") if part.strip()]:
        head, colon, effect = item.rpartition(":")
        key, _, value = head.partition("=")
        if not colon or effect not in TAINT_EFFECTS:
            return None, (f"{item!r} is not a taint: write key=value:Effect with Effect one of "
                          f"{', '.join(TAINT_EFFECTS)} (such as sku=gpu:NoSchedule).")
        error = _label_key(key)
        if error is None and value and not (_LABEL_VALUE.match(value) and len(value) <= 63):
            error = f"{item!r} has an invalid value: use at most 63 letters, digits, '-', '_' or '.'."
        if error:
            return None, error
        taints.append(item)
    return taints, None


# ---- upgrade (roll) settings: AgentPoolUpgradeSettings, API 2026-06-01 -----------------------
_NODES_OR_PERCENT = re.compile(r"^(\d{1,4})(%?)$")
DRAIN_TIMEOUT_MINUTES = (1, 1440)
NODE_SOAK_MINUTES = (0, 30)
UNDRAINABLE_NODE_BEHAVIORS = ("Cordon", "Schedule")
DEFAULT_MAX_SURGE = "10%"  # the API's default; some AKS articles say 1 node, which 10% rounded up is up to 10 nodes


def _nodes_or_percent(value, low_percent):
    match = _NODES_OR_PERCENT.match(str(value).strip())
    if not match:
        return (f"{value!r} is neither a node count nor a percentage: use a whole number such as 3, or a percentage "
                "such as 33%.")
    number, percent = int(match.group(1)), match.group(2)
    if percent and not low_percent <= number <= 100:
        return f"{value} is out of range: use a percentage from {low_percent}% to 100%."
    if not percent and number > MAX_NODES:
        return f"{value} is out of range: use 0 to {MAX_NODES} nodes."
    return None


def max_surge(value):
    return None if value is None else _nodes_or_percent(value, 0)


def max_unavailable(value):
    return None if value is None else _nodes_or_percent(value, 0)


def surge_and_unavailable(surge, unavailable):
    """Both at zero leave AKS no node to roll with."""
    def zero(value):
        return value is not None and str(value).strip().rstrip("%") in ("0", "00", "000", "0000")
    if zero(surge) and (unavailable is None or zero(unavailable)):
        return ("--max-surge 0 needs --max-unavailable above 0 (nodes are then upgraded in place, without new ones): "
                "give one of them a value above 0.")
    return None


def drain_timeout(value):
    low, high = DRAIN_TIMEOUT_MINUTES
    if value is not None and not low <= value <= high:
        return f"{value} is out of range: use {low} to {high} minutes."
    return None


def node_soak_duration(value):
    low, high = NODE_SOAK_MINUTES
    if value is not None and not low <= value <= high:
        return f"{value} is out of range: use {low} to {high} minutes."
    return None


def surge_nodes(setting, count):
    """The extra nodes an upgrade adds at once: maxSurge of the pool's node count (a percentage rounds up), at
    least 1; the API's default when the pool sets none."""
    text = str(setting or DEFAULT_MAX_SURGE).strip()
    if text.endswith("%"):
        return max(1, math.ceil((count or 0) * int(text[:-1]) / 100))
    return max(1, int(text))


def pool_with_surge(count, setting):
    """A pool and its surge must stay within 1,000 nodes."""
    if count is not None and count + surge_nodes(setting, count) > MAX_NODES:
        return (f"{count} nodes plus a surge of {surge_nodes(setting, count)} exceed the {MAX_NODES} nodes a pool may "
                "reach during an upgrade: use a lower --max-surge.")
    return None
