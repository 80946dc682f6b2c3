# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Table transformers for `-o table`: one row per item, columns in the order a person reads them."""
import re
from collections import OrderedDict

SHORT = 160  # characters of a message a table cell shows; JSON and stderr keep the whole of it
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def short(message):
    """The first sentence of a message (a version such as 1.33.5 is not a sentence's end), cut to SHORT characters:
    a table row stays readable in a terminal and in Cloud Shell."""
    text = " ".join(str(message or "").split())
    first = _SENTENCE_END.split(text, 1)[0]
    return first if len(first) <= SHORT else first[:SHORT - 1].rstrip() + "\u2026"


def _readiness(item):
    readiness = item.get("azureLinuxReadiness") or {}
    status = readiness.get("status", "")
    reason = readiness.get("reason")
    return f"{status}: {reason}" if reason else status


def _nodepool_row(item):
    autoscale = f"{item.get('minCount')}-{item.get('maxCount')}" if item.get("enableAutoScaling") else ""
    return OrderedDict([
        ("Name", item.get("name")), ("Mode", item.get("mode")), ("VmSize", item.get("vmSize")),
        ("Count", item.get("count")), ("Autoscale", autoscale), ("OsSku", item.get("osSku")),
        ("State", item.get("provisioningState")), ("AzureLinux", _readiness(item))])


def nodepool_list_table(result):
    return [_nodepool_row(item) for item in result]


def nodepool_show_table(result):
    return _nodepool_row(result)


def vm_size_table(result):
    return [OrderedDict([
        ("Size", row["size"]), ("Series", row["series"]), ("Gpu", row["gpu"]),
        ("Supported", "yes" if row["supported"] else "no"), ("Reason", row["reason"]),
        ("Date", row["date"]), ("Source", row["source"])]) for row in result]


def check_table(result):
    if "pools" in result:  # the live check of a cluster's migration: one row per pool
        return migration_table(result)
    rows = [OrderedDict([("Severity", f["severity"]), ("Rule", f["rule"]), ("Message", short(f["message"]))])
            for f in result["findings"]]
    if not rows:
        rows.append(OrderedDict([("Severity", "ok"), ("Rule", ""),
                                 ("Message", "Allowed: no rule of the support policy objects.")]))
    return rows


def migration_table(result):
    pools = result.get("pools", [result]) if isinstance(result, dict) else result
    return [OrderedDict([
        ("Pool", p.get("pool")), ("Action", p.get("action")), ("Strategy", p.get("strategy") or ""),
        ("From", p.get("osSkuBefore") or ""), ("To", p.get("osSkuAfter") or ""),
        ("Outcome", p.get("outcome") or ""), ("Seconds", p.get("seconds") if p.get("seconds") is not None else ""),
        ("Reason", short(p.get("reason") or p.get("left") or ""))]) for p in pools]


def policy_show_table(result):
    org = result.get("organisationPolicy")
    return [OrderedDict([("Edition", result["edition"]), ("ChosenBy", result["chosenBy"]), ("Date", result["date"]),
                         ("OsSkus", ", ".join(result["osSkus"])),
                         ("OrganisationPolicy", org["file"] if org else "")])]


def policy_list_table(result):
    return [OrderedDict([("Name", e["name"]), ("InForce", "yes" if e["inForce"] else ""), ("Date", e["date"]),
                         ("Title", e["title"]), ("DiffersFromDefault", "; ".join(e["differsFromDefault"]))])
            for e in result]


def inventory_table(result):
    return [OrderedDict([("Subscription", r["subscription"]), ("ResourceGroup", r["resourceGroup"]),
                         ("Cluster", r["cluster"]), ("Location", r["location"]), ("Pool", r["pool"]),
                         ("Mode", r["mode"]), ("OsSku", r["osSku"]), ("VmSize", r["vmSize"]),
                         ("Nodes", r["nodeCount"]), ("Kubernetes", r["kubernetesVersion"]), ("Status", r["status"]),
                         ("Reason", r["reason"] or "")]) for r in result]


def _outcome_counts(pools):
    counts = {}
    for pool in pools:
        outcome = pool.get("outcome") or pool.get("action")
        counts[outcome] = counts.get(outcome, 0) + 1
    return ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))


def fleet_table(result):
    return [OrderedDict([("Wave", r.get("wave")), ("Cluster", str(r.get("cluster")).rsplit("/", 1)[-1]),
                         ("ResourceGroup", str(r.get("cluster")).split("/")[4] if r.get("cluster") else ""),
                         ("Outcome", r.get("outcome")),
                         ("Pools", _outcome_counts(r.get("pools") or [])),
                         ("Seconds", r.get("seconds", "")), ("Reason", r.get("error") or r.get("reason") or "")])
            for r in result["clusters"]]


def template_table(result):
    from azext_azurelinux import _template_gate
    return _template_gate.table(result)
