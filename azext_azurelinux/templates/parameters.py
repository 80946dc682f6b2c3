# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""`--parameters` as `az deployment group create` takes them, as traced values for the evaluator.

Each value is a deploymentParameters file (`@file.json`, or the bare path of a file that exists),
a JSON object of the same shape, or KEY=VALUE; the option takes several values and repeats, and
a later value wins. As az does, KEY=VALUE is typed by the template's declaration (a string stays
a string, an int is parsed, an array or object is JSON) and a name the template does not declare
is refused. A value from a file points at its line in that file; one given inline points at the
parameter's declaration in the template. A Key Vault reference is known only at deployment.
"""
import json
import os

from azext_azurelinux.templates import Location, TemplateError
from azext_azurelinux.templates.expressions import Unknown, literal, wrap
from azext_azurelinux.templates import positions


def flatten(values):
    """The strings of `--parameters`, in order, from a string, a list, or a list of lists (nargs + append)."""
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return [text for value in values for text in flatten(value)]


def supplied(template_doc, values):
    """{lower-case name: Traced or Unknown} for the template's parameters given by `values` (later wins)."""
    declared = declarations(template_doc.value)
    result = {}
    for text in flatten(values):
        result.update(_one(template_doc, declared, text))
    return result


def declarations(template):
    """{lower-case name: (name as declared, declaration)} of a template's parameters."""
    params = template.get("parameters") if isinstance(template, dict) else None
    if not isinstance(params, dict):
        return {}
    return {name.lower(): (name, decl if isinstance(decl, dict) else {}) for name, decl in params.items()}


def _one(template_doc, declared, text):
    if text.startswith("@"):
        return _from_file(declared, text[1:])
    if text.lstrip().startswith("{"):
        return _from_inline_json(template_doc, declared, text)
    if _is_file(text):
        return _from_file(declared, text)
    if "=" in text:
        return _from_pair(template_doc, declared, text)
    raise TemplateError(f"--parameters {text}: not a parameters file that exists, a JSON object or KEY=VALUE.")


def _is_file(text):
    try:
        return os.path.isfile(text)
    except ValueError:
        return False


def _declared(declared, name, origin):
    found = declared.get(name.lower())
    if found is None:
        allowed = ", ".join(sorted(decl_name for decl_name, _ in declared.values())) or "none"
        raise TemplateError(f"{origin} sets parameter {name!r}, which the template does not declare. "
                            f"Its parameters: {allowed}.")
    return found


def _declaration_place(template_doc, name):
    return Location(template_doc.path, template_doc.line(("parameters", name)))


def _from_file(declared, path):
    if path.lower().endswith(".bicepparam"):
        raise TemplateError(f"--parameters {path}: a .bicepparam file is not read here; build it into JSON with "
                            "`bicep build-params` and give that file.")
    doc = positions.load_file(path, "--parameters", TemplateError)
    entries, prefix = _entries(doc.value, path)
    result = {}
    for name, entry in entries.items():
        if name.startswith("$") or name == "contentVersion":
            continue
        decl_name, _ = _declared(declared, name, f"parameters file {path}")
        place = prefix + (name,)
        result[decl_name.lower()] = _entry_value(entry, doc, place, path)
    return result


def _entries(value, path):
    if not isinstance(value, dict):
        raise TemplateError(f"--parameters {path} is not a deploymentParameters file: it is not a JSON object.")
    if isinstance(value.get("parameters"), dict) and ("$schema" in value or "contentVersion" in value):
        return value["parameters"], ("parameters",)
    if "resources" in value:
        raise TemplateError(f"--parameters {path} is a template, not a parameters file.")
    return value, ()


def _entry_value(entry, doc, place, path):
    def location(line):
        return Location(path, line)
    if isinstance(entry, dict) and "value" in entry:
        return literal(entry["value"], doc, place + ("value",), location)
    if isinstance(entry, dict) and "reference" in entry:
        return Unknown(json.dumps(entry["reference"], separators=(",", ":")),
                       "a Key Vault reference is read at deployment", location(doc.line(place)))
    raise TemplateError(f"--parameters {path}: parameter {place[-1]!r} has neither 'value' nor 'reference'.")


def _from_inline_json(template_doc, declared, text):
    try:
        value = json.loads(text)
    except ValueError as err:
        raise TemplateError(f"--parameters {text[:60]}: not valid JSON ({err}).") from err
    if not isinstance(value, dict):
        raise TemplateError(f"--parameters {text[:60]}: not a JSON object of parameters.")
    entries = value["parameters"] if isinstance(value.get("parameters"), dict) else value
    result = {}
    for name, entry in entries.items():
        if name.startswith("$") or name == "contentVersion":
            continue
        decl_name, _ = _declared(declared, name, "--parameters")
        where = _declaration_place(template_doc, decl_name)
        if isinstance(entry, dict) and "value" in entry:
            result[decl_name.lower()] = wrap(entry["value"], where)
        else:
            result[decl_name.lower()] = Unknown(json.dumps(entry)[:80], "a Key Vault reference is read at deployment",
                                                where)
    return result


def _from_pair(template_doc, declared, text):
    name, raw = text.split("=", 1)
    decl_name, decl = _declared(declared, name.strip(), f"--parameters {text}")
    kind = declared_type(template_doc.value, decl)
    try:
        value = _typed(raw, kind)
    except ValueError as err:
        raise TemplateError(f"--parameters {text}: {decl_name} is of type {kind} and {raw!r} is not ({err}).") from err
    return {decl_name.lower(): wrap(value, _declaration_place(template_doc, decl_name))}


def declared_type(template, decl):
    """A parameter's type in lower case, following a languageVersion 2.0 `$ref` to `definitions`."""
    seen = 0
    while "type" not in decl and isinstance(decl.get("$ref"), str) and seen < 10:
        name = decl["$ref"].rsplit("/", 1)[-1]
        decl = ((template.get("definitions") or {}).get(name)) or {}
        seen += 1
    return str(decl.get("type", "string")).lower()


def _typed(raw, kind):
    if kind in ("object", "array", "secureobject"):
        return json.loads(raw)
    if kind == "int":
        return int(raw)
    if kind == "bool":
        return raw.lower() == "true"
    return raw
