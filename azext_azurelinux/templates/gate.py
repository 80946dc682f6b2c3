# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The verdict on each declared pool: the policy's own check, run as `check` and `nodepool add` run it.

`judge` takes the policy as two callables, so that the edition and the organisation's rules in
force decide, and this module stays a pure function of its inputs:

    check(vm_size, os_sku, kubernetes_version, enable_fips, trusted_launch) -> [finding]
        a finding is a dict (or an object with those attributes, or `to_dict()`): rule, severity
        ("error", "warning", "info"), message, subject ("vm_size", "os_sku", "kubernetes_version",
        ...). An argument that is None is not known: the rules that need it are not run.
    is_azure_linux(os_sku) -> bool

A row per pool: file, line, resource, cluster, pool, vmSize, osSku, kubernetesVersion, verdict,
reason, findings (rule, severity, message, subject, and the file and line of the value it is
about) and notEvaluated. Verdicts: `refused` (an error finding), `not-evaluated` (a field the
rules need is not known, and nothing known is refused: never a pass), `warning`, `ok`, and
`skipped` (Windows, or an OS SKU that is not Azure Linux: a reason and no findings).
"""
OK, WARNING, REFUSED, NOT_EVALUATED, SKIPPED = "ok", "warning", "refused", "not-evaluated", "skipped"
VERDICTS = (OK, WARNING, REFUSED, NOT_EVALUATED, SKIPPED)
# A finding's subject -> the Declaration field whose value (and place) it is about.
SUBJECT_FIELDS = {"vm_size": "vmSize", "os_sku": "osSku", "kubernetes_version": "kubernetesVersion",
                  "os_type": "osType", "enable_fips": "enableFIPS", "fips": "enableFIPS",
                  "trusted_launch": "enableSecureBoot", "enable_secure_boot": "enableSecureBoot",
                  "enable_vtpm": "enableVTPM"}


def judge(declarations, check, is_azure_linux):
    """One row per declaration, in order."""
    return [judge_one(declaration, check, is_azure_linux) for declaration in declarations]


def judge_one(declaration, check, is_azure_linux):
    row = _row(declaration)
    skipped = skip_reason(declaration, is_azure_linux)
    if skipped:
        row.update(verdict=SKIPPED, reason=skipped)
        return row
    if declaration.unknown("osSku") or declaration.unknown("osType"):
        row.update(verdict=NOT_EVALUATED, reason="whether the pool runs Azure Linux is not known: " + _texts(
            declaration.unknown("osSku") + declaration.unknown("osType")))
        return row
    findings = _run(declaration, check)
    row["findings"] = findings
    if any(finding["severity"] == "error" for finding in findings):
        row["verdict"] = REFUSED
    elif declaration.notEvaluated:
        row.update(verdict=NOT_EVALUATED, reason="not evaluated: " + _texts(declaration.notEvaluated))
    elif any(finding["severity"] == "warning" for finding in findings):
        row["verdict"] = WARNING
    else:
        row["verdict"] = OK
    return row


def skip_reason(declaration, is_azure_linux):
    """Why the Azure Linux rules do not apply to this pool, or None when they do (or it is not known)."""
    if not declaration.unknown("osType") and str(declaration.osType or "Linux").lower() == "windows":
        return "a Windows pool: the Azure Linux rules do not apply"
    if declaration.unknown("osSku"):
        return None
    if declaration.osSku in (None, ""):
        return "no OS SKU is set, so AKS gives this Linux pool Ubuntu: the Azure Linux rules do not apply"
    if not is_azure_linux(declaration.osSku):
        return f"OS SKU {declaration.osSku} is not Azure Linux: the Azure Linux rules do not apply"
    return None


def _known(declaration, field):
    return None if declaration.unknown(field) else getattr(declaration, field)


def _run(declaration, check):
    """The check's findings on the known fields; a finding about a field that is not known is dropped."""
    secure_boot, vtpm = _known(declaration, "enableSecureBoot"), _known(declaration, "enableVTPM")
    trusted = None if secure_boot is None or vtpm is None else bool(secure_boot and vtpm)
    findings = check(_known(declaration, "vmSize"), declaration.osSku, _known(declaration, "kubernetesVersion"),
                     _known(declaration, "enableFIPS"), trusted) or []
    rows = []
    for finding in findings:
        finding = _as_dict(finding)
        field = SUBJECT_FIELDS.get(finding.get("subject"))
        if field and declaration.unknown(field):
            continue
        place = declaration.location(field) if field else declaration.location("pool")
        row = {"rule": finding.get("rule"), "severity": finding.get("severity"), "message": finding.get("message"),
               "subject": finding.get("subject"), "file": place.file, "line": place.line}
        if finding.get("source"):
            row["source"] = finding["source"]
        rows.append(row)
    return rows


def _as_dict(finding):
    if isinstance(finding, dict):
        return finding
    if hasattr(finding, "to_dict"):
        return finding.to_dict()
    return {name: getattr(finding, name, None) for name in ("rule", "severity", "message", "subject", "source")}


def _row(declaration):
    return {"file": declaration.file, "line": declaration.line, "resource": declaration.resource,
            "cluster": declaration.cluster, "pool": declaration.pool, "vmSize": declaration.vmSize,
            "osSku": declaration.osSku, "kubernetesVersion": declaration.kubernetesVersion,
            "verdict": None, "reason": None, "findings": [],
            "notEvaluated": [{"field": entry.field, "name": entry.name, "expression": entry.expression,
                              "reason": entry.reason, "file": entry.location.file, "line": entry.location.line}
                             for entry in declaration.notEvaluated]}


def _texts(entries):
    return "; ".join(entry.text() for entry in entries)


def exit_code(rows, strict=False):
    """1 when a pool is refused (or, with `strict`, not evaluated); else 0."""
    failing = {REFUSED, NOT_EVALUATED} if strict else {REFUSED}
    return 1 if any(row["verdict"] in failing for row in rows) else 0


def counts(rows):
    """{verdict: number of rows} for every verdict, zeros included."""
    result = dict.fromkeys(VERDICTS, 0)
    for row in rows:
        result[row["verdict"]] += 1
    return result


def summary(rows, strict=False):
    """One line for stderr: how many pools, and how many of each verdict."""
    number = counts(rows)
    parts = [f"{number[REFUSED]} refused", f"{number[NOT_EVALUATED]} not evaluated"
             + (" (counted as refused: --strict)" if strict and number[NOT_EVALUATED] else ""),
             f"{number[WARNING]} with warnings", f"{number[OK]} ok", f"{number[SKIPPED]} skipped (not Azure Linux)"]
    pools = "pool" if len(rows) == 1 else "pools"
    return f"{len(rows)} node {pools} declared: " + ", ".join(parts) + "."
