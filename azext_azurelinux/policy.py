# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The support policy: a `Policy` value over `support_matrix.json`.

A `Policy` is one edition of the support matrix plus, optionally, an organisation's rules that
narrow it (org_policy.Rules). A command builds one from its configuration (_policy_config.py) and
passes it to every check, the planner, the preflight, the inventory and the fleet: nothing here
keeps module state that a thread could change under another. Each check answers one question (is
this VM size, this OS SKU at this Kubernetes version, this security module allowed on Azure Linux,
and why not) with `Finding`s that carry the rule, its severity, a message that starts with the value
in question, its source and its date. Nothing here imports the CLI, knack or the SDK.
"""
import json
import os
from functools import lru_cache

from azext_azurelinux import versions
from azext_azurelinux.findings import ERROR, INFO, WARNING, Finding, refusals, shown

__all__ = ["ERROR", "INFO", "WARNING", "Finding", "Policy", "UnknownEdition", "default_edition", "edition_names",
           "edition_summaries", "parse_kubernetes_version", "refusals", "shown"]

parse_kubernetes_version = versions.parse


class UnknownEdition(ValueError):
    """A policy edition the support matrix does not hold."""


@lru_cache(maxsize=1)
def _raw():
    """The support matrix file, read once from the package."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "support_matrix.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def default_edition():
    return _raw()["defaultEdition"]


def edition_names():
    return list(_raw()["editions"])


@lru_cache(maxsize=None)
def _edition_matrix(name):
    raw = _raw()
    merged = {key: value for key, value in raw.items() if key not in ("editions",)}
    merged.update(raw["editions"][name].get("overrides", {}))
    merged["edition"] = name
    return merged


@lru_cache(maxsize=None)
def _sizes_of(edition):
    return {size.lower(): series for series in _edition_matrix(edition)["gpu"]["series"] for size in series["sizes"]}


def _finding(rule_data, severity, message, subject, value):
    return Finding(rule_data["rule"], severity, message, rule_data.get("source"), rule_data.get("date"),
                   subject, value)


class _NoOrg:  # pylint: disable=too-few-public-methods
    """No organisation policy: nothing more is refused."""

    def vm_size(self, *_):
        return []

    os_sku = security_module = node_count = vm_size


_NO_ORG = _NoOrg()


def edition_summaries():
    """Every edition with its date, what it says, and what differs from the default edition."""
    rows = []
    base = _edition_matrix(default_edition())
    for name, edition in _raw()["editions"].items():
        differs = [] if name == default_edition() else _differences(base, _edition_matrix(name))
        rows.append({"name": name, "title": edition["title"], "date": edition["date"], "default":
                     name == default_edition(), "about": edition["about"], "source": edition["source"],
                     "differsFromDefault": differs})
    return rows


def _differences(base, other):
    differs = []
    before = {s for series in base["gpu"]["series"] if series["supported"] for s in series["sizes"]}
    after = {s for series in other["gpu"]["series"] if series["supported"] for s in series["sizes"]}
    if after - before:
        differs.append(f"GPU sizes allowed too: {', '.join(sorted(after - before))}")
    if other["gpu"]["otherFamilies"]["supported"] != base["gpu"]["otherFamilies"]["supported"]:
        differs.append("other GPU families: " + ("allowed" if other["gpu"]["otherFamilies"]["supported"]
                                                 else "refused"))
    for module in other["securityModules"]:
        old = next((b for b in base["securityModules"] if b["name"] == module["name"]), None)
        if old and old["supported"] != module["supported"]:
            differs.append(f"{module['name']}: {'allowed' if module['supported'] else 'refused'}"
                           + (f" (Azure Linux {module['minAzureLinuxVersion']}+)"
                              if module.get("minAzureLinuxVersion") else ""))
    new_skus = [e["name"] for e in other["osSkus"] if e["name"] not in {b["name"] for b in base["osSkus"]}]
    if new_skus:
        differs.append(f"OS SKUs known too: {', '.join(new_skus)}")
    return differs


def editions_allowing(policy, check, *args):
    """The other editions under which `check(Policy(edition), *args)` refuses nothing: a pure function of two
    Policy values at a time (the organisation's rules are not part of an edition, so they are left out)."""
    return [name for name in edition_names()
            if name != policy.edition and not refusals(check(Policy(name), *args))]


class Policy:  # pylint: disable=too-many-public-methods
    """One run's support policy: an edition of the matrix, the organisation's rules (or None), and where each was
    chosen. Immutable once built; every method is a function of the value and its arguments."""

    __slots__ = ("edition", "chosen_by", "org", "matrix", "_sizes")

    def __init__(self, edition=None, org=None, chosen_by="default"):
        name = edition or default_edition()
        if name not in edition_names():
            raise UnknownEdition(f"{shown(name)} is not a policy edition: use one of {', '.join(edition_names())} "
                                 "(az aks azurelinux policy list).")
        self.edition, self.org = name, org
        self.chosen_by = chosen_by if edition else "default"
        self.matrix = _edition_matrix(name)
        self._sizes = _sizes_of(name)

    def __repr__(self):
        return f"Policy({self.edition!r}, org={getattr(self.org, 'path', None)!r})"

    def _org(self):
        return self.org or _NO_ORG

    def _labelled(self, check, *args):
        """`check` under this edition, each refusal labelled with it; when another edition would allow the same
        choice, say which and how to choose it."""
        findings = check(self, *args)
        refused = refusals(findings)
        if refused:
            allowing = editions_allowing(self, check, *args)
            hint = (f" The {allowing[0]} edition allows it: az config set azurelinux.policy={allowing[0]} (or "
                    f"--policy {allowing[0]} with check)." if allowing else "")
            for finding in refused:
                finding.message = f"{finding.message} (policy edition {self.edition}){hint}"
                finding.edition = self.edition
        return findings

    # ---- VM sizes -----------------------------------------------------------------------
    def supported_gpu_sizes(self):
        """The GPU sizes the policy allows, in the matrix's order."""
        return [size for series in self.matrix["gpu"]["series"] if series["supported"] for size in series["sizes"]]

    def canonical_vm_size(self, vm_size):
        """The matrix's spelling of a listed size; other names are returned as given."""
        series = self._sizes.get(str(vm_size).lower())
        if series is None:
            return vm_size
        return next(size for size in series["sizes"] if size.lower() == str(vm_size).lower())

    def is_gpu_size(self, vm_size):
        name = str(vm_size).lower()
        return name in self._sizes or any(name.startswith(p.lower()) for p in self.matrix["gpu"]["familyPrefixes"])

    def classify_vm_size(self, vm_size):
        """The matrix entry that decides a size: a listed series, other GPU families, or non-GPU."""
        series = self._sizes.get(str(vm_size).lower())
        if series is not None:
            return series
        gpu = self.matrix["gpu"]
        return gpu["otherFamilies"] if self.is_gpu_size(vm_size) else gpu["nonGpu"]

    def check_vm_size(self, vm_size):
        """Is `vm_size` allowed on Azure Linux pools by the edition, and by the organisation's policy?"""
        findings = self._labelled(Policy._edition_vm_size, vm_size)
        return findings if refusals(findings) else findings + self._org().vm_size(vm_size)

    def _edition_vm_size(self, vm_size):
        if not isinstance(vm_size, str) or not vm_size.strip():
            return [Finding("vm-size-name", ERROR, f"{vm_size!r} is not a VM size name (such as Standard_D4ds_v5).",
                            subject="vm_size", value=vm_size)]
        entry = self.classify_vm_size(vm_size)
        if entry["supported"]:
            return []
        label = f" ({entry['series']} series)" if "series" in entry else ""
        message = (f"{shown(vm_size)} is not supported on Azure Linux node pools{label}. {entry['reason']} "
                   f"Use one of: {', '.join(self.supported_gpu_sizes())}.")
        return [_finding(entry, ERROR, message, "vm_size", vm_size)]

    def gpu_matrix_rows(self):
        """Every listed GPU size with its series, GPU, verdict, reason, source and date."""
        rows = []
        for series in self.matrix["gpu"]["series"]:
            for size in series["sizes"]:
                rows.append({"size": size, "series": series["series"], "gpu": series["gpu"],
                             "supported": series["supported"], "reason": series["reason"],
                             "source": series["source"], "date": series["date"],
                             "laterFacts": series.get("laterFacts"), "unconfirmed": series.get("unconfirmed")})
        other = self.matrix["gpu"]["otherFamilies"]
        rows.append({"size": " | ".join(f"{p}*" for p in self.matrix["gpu"]["familyPrefixes"]) + " (other)",
                     "series": "other GPU families", "gpu": "various", "supported": other["supported"],
                     "reason": other["reason"], "source": other["source"], "date": other["date"],
                     "laterFacts": other.get("laterFacts"), "unconfirmed": other.get("unconfirmed")})
        return rows

    # ---- OS SKU and Kubernetes version --------------------------------------------------
    def os_sku_names(self):
        return [entry["name"] for entry in self.matrix["osSkus"]]

    def target_os_skus(self):
        """The OS SKUs a pool may be created with or moved to under this edition."""
        return [entry["name"] for entry in self.matrix["osSkus"] if entry.get("allowed", True)]

    def os_sku_requirements(self, os_sku):
        """What a target OS SKU needs of the pool ({} when nothing): trustedLaunch, hyperVGeneration."""
        return dict((self.os_sku_entry(os_sku) or {}).get("requires") or {})

    def check_os_sku_requirements(self, os_sku, trusted_launch=None, hyperv_generations=None):
        """What a target OS SKU needs of the pool: Trusted Launch (`trusted_launch` False refuses; None: not asked)
        and a VM generation (`hyperv_generations` from the size's capabilities, such as 'V1,V2'; None: unknown)."""
        entry = self.os_sku_entry(os_sku) or {}
        needs = entry.get("requires") or {}
        findings = []
        if needs.get("trustedLaunch") and trusted_launch is False:
            findings.append(_finding(entry, ERROR, f"{entry['name']} needs Trusted Launch: add --enable-secure-boot "
                                                   f"and --enable-vtpm. {entry['reason']}", "os_sku", entry["name"]))
        generation = needs.get("hyperVGeneration")
        if generation and hyperv_generations is None:
            findings.append(_finding(entry, WARNING, f"{entry['name']} needs a {generation} (Gen2) VM size; that "
                                                     "could not be checked without the VM size list, so make sure "
                                                     "the size is Gen2.", "vm_size", None))
        elif generation and generation not in str(hyperv_generations).split(","):
            findings.append(_finding(entry, ERROR, f"{entry['name']} needs a {generation} (Gen2) VM size, and this "
                                                   f"one offers {hyperv_generations}.", "vm_size", None))
        return findings

    def changes_in_place(self, os_sku):
        """Does AKS document an in-place change to this OS SKU? If not, a migration goes through a new pool."""
        return (self.os_sku_entry(os_sku) or {}).get("inPlace", True)

    def retiring(self, os_sku):
        """{date, replacement, advice} for an OS SKU being retired, or None."""
        return (self.os_sku_entry(os_sku) or {}).get("retiring")

    def canonical_os_sku(self, os_sku):
        """The matrix's spelling of an Azure Linux OS SKU, or None when it is not one."""
        for name in self.os_sku_names():
            if name.lower() == str(os_sku).lower():
                return name
        return None

    def _legacy_os_sku(self, os_sku):
        for entry in self.matrix.get("legacyOsSkus", []):
            if entry["name"].lower() == str(os_sku).lower():
                return entry
        return None

    def os_sku_entry(self, os_sku):
        """The matrix entry of an OS SKU of this edition (legacy names resolved), or None."""
        legacy = self._legacy_os_sku(os_sku)
        name = self.canonical_os_sku(legacy["sameAs"] if legacy else os_sku)
        return next((e for e in self.matrix["osSkus"] if e["name"] == name), None) if name else None

    def is_azure_linux(self, os_sku):
        """Is this OS SKU built on Azure Linux (any SKU this edition knows, legacy names included)?"""
        return self.os_sku_entry(os_sku) is not None

    def check_os_sku(self, os_sku, kubernetes_version=None):
        """Is `os_sku` an Azure Linux SKU of this edition, and does it run on `kubernetes_version` (when known)?
        The organisation's policy, if any, narrows both."""
        findings = self._labelled(Policy._edition_os_sku, os_sku, kubernetes_version)
        return findings if refusals(findings) else findings + self._org().os_sku(os_sku, kubernetes_version)

    def _edition_os_sku(self, os_sku, kubernetes_version=None):
        name = self.canonical_os_sku(os_sku)
        if name is None:
            return [Finding("os-sku-azure-linux-only", ERROR,
                            f"{shown(os_sku)} is not an Azure Linux OS SKU. Use one of: "
                            f"{', '.join(self.target_os_skus())}.", subject="os_sku", value=os_sku)]
        entry = next(e for e in self.matrix["osSkus"] if e["name"] == name)
        if not entry.get("allowed", True):
            retirement = entry.get("retiring") or {}
            return [_finding(entry, ERROR, f"{name} is not a target for new or migrated pools. {entry['reason']} "
                                           f"{retirement.get('advice', '')}".rstrip(), "os_sku", os_sku)]
        if kubernetes_version is None or kubernetes_version == "":
            return []
        version = versions.parse(kubernetes_version)
        if version is None:
            return [Finding("kubernetes-version-format", ERROR,
                            f"{shown(kubernetes_version)} is not a Kubernetes version. Use MAJOR.MINOR or "
                            "MAJOR.MINOR.PATCH, such as 1.33.5.", subject="kubernetes_version",
                            value=kubernetes_version)]
        findings = []
        low, high = entry["kubernetes"]["min"], entry["kubernetes"]["max"]
        if (low and version < versions.parse(low)) or (high and version > versions.parse(high)):
            span = f"{low} to {high}" if high else f"{low} or later"
            findings.append(_finding(entry, ERROR,
                                     f"{shown(kubernetes_version)} is outside the Kubernetes versions {name} runs on "
                                     f"({span}). {entry['reason']} Use a version from {span}.",
                                     "kubernetes_version", kubernetes_version))
        retired = entry.get("retired")
        if retired and version < versions.parse(retired["belowKubernetes"]):
            findings.append(_finding(retired, retired["severity"],
                                     f"{name} on Kubernetes {shown(kubernetes_version)} lands on Azure Linux 2.0. "
                                     f"{retired['reason']} {retired['advice']}", "kubernetes_version",
                                     kubernetes_version))
        return findings

    def azure_linux_version(self, os_sku, kubernetes_version):
        """The Azure Linux version ('2.0', '3.0') an OS SKU runs at a Kubernetes version; None when the SKU is not
        Azure Linux or the version is needed and unknown."""
        entry = self.os_sku_entry(os_sku)
        if entry is None:
            return None
        version = versions.parse(kubernetes_version) if kubernetes_version else None
        for candidate in entry.get("azureLinuxVersions", []):
            below = candidate.get("belowKubernetes")
            if below is None:
                return candidate["version"]
            if version is None:
                return None
            if version < versions.parse(below):
                return candidate["version"]
        return None

    def check_rollback_target(self, os_sku, kubernetes_version):
        """Does AKS still accept `os_sku` as the OS SKU a pool goes back to? Refusals say why not."""
        legacy = self._legacy_os_sku(os_sku)
        if legacy:
            return [_finding(legacy, ERROR, f"{shown(os_sku)} is no longer accepted by AKS. {legacy['reason']}",
                             "os_sku", os_sku)]
        if self.azure_linux_version(os_sku, kubernetes_version) == "2.0":
            name = self.canonical_os_sku(os_sku)
            retired = next(e for e in self.matrix["osSkus"] if e["name"] == name)["retired"]
            return [_finding(retired, ERROR, f"{name} on Kubernetes {shown(kubernetes_version)} is Azure Linux 2.0, "
                                             f"which AKS no longer accepts. {retired['reason']}", "os_sku", os_sku)]
        return []

    def staying_warnings(self, os_sku, kubernetes_version):
        """Warnings for a pool that stays on its Azure Linux SKU: Azure Linux 2.0 retired, a SKU being retired."""
        entry = self.os_sku_entry(os_sku)
        if entry is None:
            return []
        findings = [f for f in self._edition_os_sku(entry["name"], kubernetes_version) if f.severity == WARNING] \
            if entry.get("allowed", True) else []
        if entry.get("retiring"):
            retire = entry["retiring"]
            findings.append(_finding(entry, WARNING, f"{entry['name']} retires on {retire['date']}. "
                                                     f"{entry['reason']} {retire['advice']}", "os_sku",
                                     entry["name"]))
        return findings

    # ---- security modules ---------------------------------------------------------------
    def security_module_names(self):
        return [entry["name"] for entry in self.matrix["securityModules"]]

    def security_module(self, name):
        """The matrix entry of a security module (case-insensitive), or None."""
        return next((e for e in self.matrix["securityModules"] if e["name"] == str(name).lower()), None)

    def check_security_module(self, name, os_sku=None, kubernetes_version=None):
        """Is a security module supported by this edition, on this OS SKU and version (when known), and allowed by
        the organisation's policy?"""
        findings = self._labelled(Policy._edition_security_module, name, os_sku, kubernetes_version)
        return findings if refusals(findings) else findings + self._org().security_module(name)

    def _edition_security_module(self, name, os_sku=None, kubernetes_version=None):
        entry = self.security_module(name)
        if entry is None:
            return [Finding("security-module-known", ERROR,
                            f"{shown(name)} is not a security module this extension knows. "
                            f"Use one of: {', '.join(self.security_module_names())}.",
                            subject="security_module", value=name)]
        if not entry["supported"]:
            return [_finding(entry, ERROR, f"{name} is not supported on Azure Linux node pools. {entry['reason']} "
                                           f"{entry.get('advice', '')}".rstrip(), "security_module", name)]
        needed = entry.get("minAzureLinuxVersion")
        if needed and os_sku is not None:
            version = self.azure_linux_version(os_sku, kubernetes_version)
            if version is not None and version < needed:
                return [_finding(entry, ERROR, f"{name} needs Azure Linux {needed}, and {os_sku} on Kubernetes "
                                               f"{shown(kubernetes_version)} is Azure Linux {version}. "
                                               f"{entry['reason']} Use --os-sku AzureLinux3.", "security_module",
                                 name)]
            if version is None:
                return [_finding(entry, WARNING, f"{name} needs Azure Linux {needed}; {os_sku} is Azure Linux 2.0 "
                                                 "on Kubernetes 1.31 or older, where it is missing. Give "
                                                 "--kubernetes-version, or use --os-sku AzureLinux3.",
                                 "security_module", name)]
        if entry.get("manual"):
            return [_finding(entry, INFO, f"{name} is supported through manual configuration. {entry['reason']}",
                             "security_module", name)]
        return []

    def security_module_label(self, name):
        """The node label (key, value) that marks pools using a manually configured module, or None."""
        label = (self.security_module(name) or {}).get("nodeLabel")
        return (label["key"], label["value"]) if label else None

    def security_module_notice(self, name):
        entry = self.security_module(name)
        if not entry or "notice" not in entry:
            return None
        key, value = self.security_module_label(name)
        return entry["notice"].format(label=f"{key}={value}")

    # ---- a whole choice -----------------------------------------------------------------
    def check_choice(self, vm_size=None, os_sku=None, kubernetes_version=None, security_module_name=None):
        """All findings for one choice of size, SKU, version and security module (the offline `check`)."""
        findings = []
        if vm_size is not None:
            findings += self.check_vm_size(vm_size)
        if os_sku is not None or kubernetes_version is not None:
            findings += self.check_os_sku(os_sku or "AzureLinux", kubernetes_version)
        if security_module_name is not None:
            findings += self.check_security_module(security_module_name, os_sku or "AzureLinux", kubernetes_version)
        return findings

    def check_node_count(self, count, option="--node-count"):
        """The organisation's ceiling on pool sizes (the service's own limits are in aks_rules)."""
        return self._org().node_count(count, option)

    # ---- migration sources --------------------------------------------------------------
    def check_migration_source(self, os_type, os_sku, vm_size, target_sku, kubernetes_version=None,
                               named_target=True):
        """Can a pool with these settings move to `target_sku`? Findings say why not.

        `vm_size` is one size or a list of them (a VirtualMachines pool holds several); each is checked.
        Azure Linux SKUs are one family: a pool on one of them moves only when the user named the target
        (`named_target`) and the move changes the Azure Linux version (2.0 to 3.0); otherwise there is
        nothing to do, with the retirement warning where it applies.
        Returns (action, findings): action is 'migrate', 'nothing-to-do' or 'refused'.
        """
        if str(os_type or "Linux").lower() != "linux":
            return "refused", [Finding("migration-linux-only", ERROR,
                                       f"{os_sku or os_type} is a Windows pool; only Linux pools can move to Azure "
                                       "Linux. Keep it, or replace it with a new Linux pool.",
                                       subject="os_type", value=os_type)]
        source, target = self.os_sku_entry(os_sku), self.os_sku_entry(target_sku)
        if source is not None:
            same_family = target is not None and target.get("family") == source.get("family")
            current = self.azure_linux_version(os_sku, kubernetes_version)
            wanted = self.azure_linux_version(target_sku, kubernetes_version) if named_target else None
            moves = named_target and (not same_family or (current == "2.0" and wanted == "3.0"))
            if not moves:
                return "nothing-to-do", self.staying_warnings(os_sku, kubernetes_version)
        findings = self.check_os_sku(target_sku, kubernetes_version)
        if refusals(findings):
            return "refused", findings
        sizes = vm_size if isinstance(vm_size, (list, tuple)) else [vm_size]
        for size in reversed([s for s in sizes if s is not None]):  # a size nobody named is not a refusal
            findings = self.check_vm_size(size) + findings
        return ("refused" if refusals(findings) else "migrate"), findings

    def summary(self):
        """What `policy show` prints: the edition, where it was chosen, what it allows, the organisation's file."""
        edition = next(e for e in edition_summaries() if e["name"] == self.edition)
        org = self.org
        return {"edition": self.edition, "chosenBy": self.chosen_by, "title": edition["title"],
                "date": edition["date"], "about": edition["about"], "gpuSizesAllowed": self.supported_gpu_sizes(),
                "otherGpuFamiliesAllowed": self.matrix["gpu"]["otherFamilies"]["supported"],
                "securityModules": {m["name"]: ("manual" if m.get("manual") else "allowed" if m["supported"] else
                                                "refused") for m in self.matrix["securityModules"]},
                "osSkus": self.target_os_skus(),
                "organisationPolicy": dict(org.summary(), chosenBy=org.chosen_by) if org else None}
