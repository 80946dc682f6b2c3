# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The rows of `gate.judge` as CI systems read them: SARIF, JUnit XML, a GitHub step summary.

- SARIF 2.1.0 as GitHub code scanning takes it: `tool.driver.name` and `rules` (id, short and full
  description, help), and per result `ruleId`, `level` (error for a refusal, warning otherwise: a
  warning finding, or a field not evaluated), a message and one location whose `artifactLocation.uri`
  is relative to the repository (the git work tree the file is in, else GITHUB_WORKSPACE, else the
  current folder; never absolute, never `file:`) with `region.startLine` >= 1.
- JUnit XML: one testsuite, one testcase per pool, a `failure` per refused pool with its messages,
  `skipped` with the reason for pools not evaluated or not on Azure Linux (Azure Pipelines' and
  GitLab's test reports read it).
- Markdown for `$GITHUB_STEP_SUMMARY`: a short table of the refused pools, under GitHub's 1 MiB.
"""
import os
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

from azext_azurelinux.templates.gate import NOT_EVALUATED, REFUSED, SKIPPED, summary

TOOL = "az aks azurelinux check-template"
NOT_EVALUATED_RULE = "not-evaluated"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SUMMARY_LIMIT = 1024 * 1024 - 4096
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# ---- where a file is, as a repository-relative URI -------------------------------------------
def repository_root(path, environ=None, cwd=None):
    """The folder a file's URI is relative to: its git work tree, else GITHUB_WORKSPACE, else `cwd`."""
    environ = os.environ if environ is None else environ
    cwd = cwd or os.getcwd()
    folder = os.path.dirname(os.path.abspath(os.path.join(cwd, path)))
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return environ.get("GITHUB_WORKSPACE") or cwd


def artifact_uri(path, environ=None, cwd=None):
    """A relative URI (forward slashes, percent-encoded) for `path`, from its repository_root."""
    cwd = cwd or os.getcwd()
    absolute = os.path.abspath(os.path.join(cwd, path))
    relative = os.path.relpath(absolute, repository_root(path, environ, cwd))
    return quote(relative.replace(os.sep, "/"), safe="/-._~")


# ---- SARIF ------------------------------------------------------------------------------------
def default_rule(rule_id, finding):
    """A rule's descriptions when the caller has none: its id, and the first finding's source."""
    if rule_id == NOT_EVALUATED_RULE:
        return {"short": "A node pool field is not known before deployment",
                "full": "The value of a node pool field depends on the deployment (reference(), resourceGroup(), "
                        "a Terraform value known after apply, a parameter without a value), so the Azure Linux "
                        "rules that need it were not run. It is not a pass.",
                "help": "Give the value in the template, its parameters file or the Terraform configuration, or "
                        "accept the pool by review. `--strict` counts such pools as refused."}
    source = (finding or {}).get("source")
    return {"short": f"Azure Linux support policy: {rule_id}",
            "full": f"The Azure Linux support policy rule {rule_id}" + (f", from {source}." if source else "."),
            "help": "Change the node pool as the message says, or choose another policy edition with --policy. "
                    + (f"Source: {source}" if source else "")}


def sarif(rows, version=None, describe=default_rule, environ=None, cwd=None):
    """A SARIF 2.1.0 log (a dict, ready for json.dump) of the refusals, warnings and fields not evaluated."""
    rules, results = {}, []
    uris = {}

    def uri(path):
        if path not in uris:
            uris[path] = artifact_uri(path, environ, cwd)
        return uris[path]
    for row in rows:
        for finding in row.get("findings") or []:
            if finding.get("severity") in ("error", "warning"):
                level = "error" if finding["severity"] == "error" else "warning"
                results.append(_result(rules, describe, finding["rule"], finding, level,
                                       f"{_subject(row)}: {finding['message']}", finding, uri))
        for entry in row.get("notEvaluated") or []:
            message = f"{_subject(row)}: {entry['name']} = {entry['expression']} is not evaluated ({entry['reason']})" \
                      ", so the rules that need it were not run."
            results.append(_result(rules, describe, NOT_EVALUATED_RULE, None, "warning", message, entry, uri))
    driver = {"name": TOOL, "rules": [rule for rule, _ in rules.values()]}
    if version:
        driver["version"] = str(version)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": results}]}


def _subject(row):
    where = f"cluster {row['cluster']}, " if row.get("cluster") else ""
    return f"{row['resource']} ({where}pool {row.get('pool') or '?'})"


def _result(rules, describe, rule_id, finding, level, message, place, uri):
    if rule_id not in rules:
        text = describe(rule_id, finding)
        rule = {"id": rule_id, "name": _rule_name(rule_id),
                "shortDescription": {"text": text["short"]}, "fullDescription": {"text": text["full"]},
                "help": {"text": text["help"], "markdown": text["help"]},
                "defaultConfiguration": {"level": level}}
        rules[rule_id] = (rule, len(rules))
    location = {"physicalLocation": {
        "artifactLocation": {"uri": uri(place["file"]), "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": max(1, int(place.get("line") or 1))}}}
    return {"ruleId": rule_id, "ruleIndex": rules[rule_id][1], "level": level, "message": {"text": message},
            "locations": [location]}


def _rule_name(rule_id):
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", str(rule_id)) if part) or "Rule"


# ---- JUnit ------------------------------------------------------------------------------------
def junit(rows, name=TOOL):
    """A JUnit XML document (text): one testcase per pool."""
    failures = sum(1 for row in rows if row["verdict"] == REFUSED)
    skipped = sum(1 for row in rows if row["verdict"] in (SKIPPED, NOT_EVALUATED))
    suite = ET.Element("testsuite", {"name": name, "tests": str(len(rows)), "failures": str(failures),
                                     "errors": "0", "skipped": str(skipped), "time": "0"})
    for row in rows:
        case = ET.SubElement(suite, "testcase", {"classname": _clean(row["file"]), "name": _clean(_case_name(row)),
                                                 "time": "0"})
        if row["verdict"] == REFUSED:
            errors = [finding for finding in row["findings"] if finding["severity"] == "error"]
            failure = ET.SubElement(case, "failure", {"type": "refused", "message": _clean(errors[0]["message"])})
            failure.text = _clean("\n".join(f"{finding['file']}:{finding['line']}: {finding['rule']}: "
                                            f"{finding['message']}" for finding in errors))
        elif row["verdict"] in (SKIPPED, NOT_EVALUATED):
            ET.SubElement(case, "skipped", {"message": _clean(f"{row['verdict']}: {row.get('reason') or ''}")})
        warnings = [finding for finding in row["findings"] if finding["severity"] == "warning"]
        if warnings:
            output = ET.SubElement(case, "system-out")
            output.text = _clean("\n".join(f"warning: {finding['rule']}: {finding['message']}" for finding in warnings))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _case_name(row):
    """The resource, then cluster/pool unless the resource's name already says it, then the line."""
    pool = f"{row['cluster']}/{row.get('pool') or '?'}" if row.get("cluster") else str(row.get("pool") or "?")
    name = str(row["resource"]) if str(row["resource"]).endswith(pool) else f"{row['resource']} {pool}"
    return f"{name} (line {row['line']})"


def _clean(text):
    """Text XML 1.0 can carry (control characters dropped)."""
    return _XML_INVALID.sub("", str(text))


# ---- GitHub step summary ------------------------------------------------------------------------
def step_summary(rows, strict=False, limit=SUMMARY_LIMIT):
    """Markdown for $GITHUB_STEP_SUMMARY: the summary line and a table of refused pools, under `limit` bytes."""
    refused = [row for row in rows if row["verdict"] == REFUSED]
    lines = ["### Azure Linux node pools: `check-template`", "", summary(rows, strict), ""]
    if refused:
        lines += ["| File | Line | Resource | Pool | VM size | OS SKU | Kubernetes | Why |",
                  "|---|---|---|---|---|---|---|---|"]
    size = len("\n".join(lines).encode("utf-8"))
    for shown, row in enumerate(refused):
        line = _table_line(row)
        more = f"\n\n... and {len(refused) - shown} more refused pools: see the SARIF or JUnit report."
        if size + len(line.encode("utf-8")) + 1 + len(more.encode("utf-8")) > limit:
            lines.append(more.strip())
            break
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(lines) + "\n"


def _table_line(row):
    why = " ".join(finding["message"] for finding in row["findings"] if finding["severity"] == "error")
    cells = [row["file"], row["line"], row["resource"], row.get("pool"), row.get("vmSize"), row.get("osSku"),
             row.get("kubernetesVersion"), why[:300] + ("..." if len(why) > 300 else "")]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(value):
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
