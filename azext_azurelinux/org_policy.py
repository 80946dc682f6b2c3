# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""An organisation's own policy: a JSON file that can only narrow the policy edition in force.

    az config set azurelinux.policy_file=PATH        (or AZURE_AZURELINUX_POLICY_FILE=PATH)

The file is checked against org_policy.schema.json (shipped beside this module) before anything
else happens: a missing file, bad JSON, an unknown key or a wrong type is one clear error naming
the file, the field and the problem. The CLI bundles no JSON Schema library, so `validate` checks
the keywords that schema uses (type, properties, additionalProperties, items, minLength, pattern,
minimum, maximum); the tests hold it to the `jsonschema` library on the same samples.

`Rules` answers the policy's questions with findings whose messages say the organisation refused
and quote the rule. Pure once loaded: no CLI, no SDK.
"""
import fnmatch
import json
import os
import re
from functools import lru_cache

from azext_azurelinux import versions
from azext_azurelinux.findings import ERROR, Finding

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "org_policy.schema.json")
_TYPES = {"object": dict, "array": list, "string": str, "integer": int}


class OrgPolicyError(ValueError):
    """The organisation's policy file cannot be used; the message names the file, the field and the problem."""


@lru_cache(maxsize=1)
def schema():
    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def validate(document, node=None, where=""):  # pylint: disable=too-many-return-statements
    """The first way `document` breaks the schema, as (field, problem), or None."""
    node = schema() if node is None else node
    expected = node.get("type")
    if expected:
        kind = _TYPES[expected]
        if not isinstance(document, kind) or (kind is int and isinstance(document, bool)):
            return where or "(the file)", f"must be {'an' if expected[0] in 'aeiou' else 'a'} {expected}, not " \
                                          f"{_json_type(document)}"
    if isinstance(document, dict):
        properties = node.get("properties", {})
        for key, value in document.items():
            field = f"{where}.{key}" if where else key
            if key not in properties:
                if node.get("additionalProperties", True) is False:
                    return field, f"is not a known key (known: {', '.join(k for k in properties if k[0] != '$')})"
                continue
            problem = validate(value, properties[key], field)
            if problem:
                return problem
    if isinstance(document, list) and "items" in node:
        for index, item in enumerate(document):
            problem = validate(item, node["items"], f"{where}[{index}]")
            if problem:
                return problem
    if isinstance(document, str):
        if len(document) < node.get("minLength", 0):
            return where, "must not be empty"
        if "pattern" in node and not re.search(node["pattern"], document):
            return where, f"{document!r} does not match {node['pattern']}"
    if isinstance(document, int) and not isinstance(document, bool):
        if "minimum" in node and document < node["minimum"]:
            return where, f"must be at least {node['minimum']}"
        if "maximum" in node and document > node["maximum"]:
            return where, f"must be at most {node['maximum']}"
    return None


def _json_type(value):
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def load(path, chosen_by=None):
    """The rules of the file at `path`, or OrgPolicyError. `chosen_by` says where the path was set."""
    shown = os.path.expanduser(path)
    try:
        with open(shown, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise OrgPolicyError(f"the organisation's policy file {path} cannot be read ({error.strerror}); fix "
                             "azurelinux.policy_file (az config set azurelinux.policy_file=PATH) or unset it") \
            from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise OrgPolicyError(f"the organisation's policy file {path} is not valid JSON: {error}") from None
    problem = validate(document)
    if problem:
        field, what = problem
        raise OrgPolicyError(f"the organisation's policy file {path}: {field} {what} (schema: "
                             "org_policy.schema.json in the extension)")
    return Rules(path, document, chosen_by)


class Rules:
    """The organisation's rules; each method returns findings (a refusal when a rule is broken)."""

    def __init__(self, path, document, chosen_by=None):
        self.path, self.document, self.chosen_by = path, document, chosen_by

    def summary(self):
        return {"file": self.path, "rules": {k: v for k, v in self.document.items() if not k.startswith("$")}}

    def _refusal(self, rule, subject, value, message):
        """The one finding that says the organisation's rule `rule` refuses `value`."""
        return [Finding(f"org-policy-{rule}", ERROR, f"{message} (refused by your organisation's policy, {self.path})",
                        source=self.path, subject=subject, value=value)]

    def vm_size(self, size):
        sizes = self.document.get("vmSizes") or {}
        name = str(size).lower()
        for pattern in sizes.get("deny", []):
            if fnmatch.fnmatchcase(name, pattern.lower()):
                return self._refusal("vm-sizes", "vm_size", size, f"{size} is refused: vmSizes.deny has {pattern!r}, "
                                     "which matches it.")
        allowed = sizes.get("allow")
        if allowed is not None and not any(fnmatch.fnmatchcase(name, p.lower()) for p in allowed):
            return self._refusal("vm-sizes", "vm_size", size, f"{size} is refused: vmSizes.allow is "
                                 f"{json.dumps(allowed)}, and it matches none of them.")
        return []

    def os_sku(self, sku, kubernetes_version=None):
        allowed = (self.document.get("osSkus") or {}).get("allow")
        if allowed is not None and str(sku).lower() not in [a.lower() for a in allowed]:
            return self._refusal("os-skus", "os_sku", sku, f"{sku} is refused: osSkus.allow is {json.dumps(allowed)}.")
        bounds = self.document.get("kubernetesVersions") or {}
        version = versions.parse(kubernetes_version) if kubernetes_version else None
        if version is not None:
            if bounds.get("min") and version < versions.parse(bounds["min"]):
                return self._refusal("kubernetes-versions", "kubernetes_version", kubernetes_version,
                                     f"Kubernetes {kubernetes_version} is refused: kubernetesVersions.min is "
                                     f"{bounds['min']}.")
            if bounds.get("max") and version > versions.parse(bounds["max"]):
                return self._refusal("kubernetes-versions", "kubernetes_version", kubernetes_version,
                                     f"Kubernetes {kubernetes_version} is refused: kubernetesVersions.max is "
                                     f"{bounds['max']}.")
        return []

    def security_module(self, name):
        allowed = (self.document.get("securityModules") or {}).get("allow")
        if allowed is not None and str(name).lower() not in [a.lower() for a in allowed]:
            return self._refusal("security-modules", "security_module", name,
                                 f"{name} is refused: securityModules.allow is {json.dumps(allowed)}.")
        return []

    def node_count(self, count, option="--node-count"):
        ceiling = self.document.get("maxNodeCount")
        if ceiling is not None and count is not None and count > ceiling:
            return self._refusal("max-node-count", "node_count", count,
                                 f"{option} {count} is refused: maxNodeCount is {ceiling}.")
        return []
