# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Node pools declared in an ARM template, as `Declaration`s (see the package's docstring).

Reads what `az deployment group create` would deploy, without deploying: `resources` as an
array (languageVersion 1.0) or an object keyed by symbolic name (2.0, what Bicep writes for
user-defined types); nested inline deployments (how Bicep compiles modules), with `inner` scope
taking the `parameters` the deployment passes and `outer` scope (ARM's default) reading the
parent's; resource-level and property-level `copy` loops and `condition`. Pools come from a
cluster's `properties.agentPoolProfiles` and from `managedClusters/agentPools` resources, at the
top level or nested in the cluster's own `resources`. A resource marked `existing` declares
nothing. A linked template (`templateLink`) is not read: it is not in the file.
"""
import json

from azext_azurelinux.templates import POOL, Declaration, Location, NotEvaluated, TemplateError
from azext_azurelinux.templates import parameters as params
from azext_azurelinux.templates import positions
from azext_azurelinux.templates.expressions import Blocked, Traced, Unknown, evaluate, expand_copy, member, plain

CLUSTER = "microsoft.containerservice/managedclusters"
AGENT_POOL = "microsoft.containerservice/managedclusters/agentpools"
DEPLOYMENT = "microsoft.resources/deployments"
# Declaration field -> (property path in a pool, value when the property is not written)
POOL_FIELDS = (("osType", ("osType",), "Linux"), ("vmSize", ("vmSize",), None), ("osSku", ("osSKU",), None),
               ("enableFIPS", ("enableFIPS",), False),
               ("enableSecureBoot", ("securityProfile", "enableSecureBoot"), False),
               ("enableVTPM", ("securityProfile", "enableVTPM"), False))


def read(path, parameters=None):
    """The pools an ARM template at `path` declares, with `parameters` as `--parameters` gives them."""
    doc = load_template(path)
    scope = Scope.of(doc, (), doc.value, params.supplied(doc, parameters),
                     "parameter {0} has no value: give one with --parameters")
    reader = _Reader()
    reader.walk(scope, doc.value, (), "")
    return reader.finish()


def load_template(path):
    """The template at `path` as a positions.Document; TemplateError when it is not one."""
    doc = positions.load_file(path, "--template-file", TemplateError)
    value = doc.value
    if isinstance(value, dict) and "planned_values" in value:
        raise TemplateError(f"--template-file {path} is a Terraform plan: give it with --terraform-plan.")
    if isinstance(value, dict) and "deploymentParameters" in str(value.get("$schema", "")):
        raise TemplateError(f"--template-file {path} is a parameters file: give it with --parameters.")
    if not isinstance(value, dict) or not isinstance(value.get("resources"), (list, dict)):
        raise TemplateError(f"--template-file {path} is not an ARM template: it has no 'resources' array or object.")
    return doc


class _Shared:  # pylint: disable=too-many-instance-attributes,too-few-public-methods
    """What the copies of one template's scope share: its parameters and variables, once evaluated."""

    def __init__(self, doc, base, template, supplied, missing):
        self.doc, self.base, self.template, self.supplied, self.missing = doc, base, template, supplied, missing
        self.parameters, self.variables = {}, {}
        self.declared = params.declarations(template)
        raw = template.get("variables") if isinstance(template.get("variables"), dict) else {}
        self.raw_variables = {name.lower(): name for name in raw if name.lower() != "copy"}
        self.variable_copies = {spec["name"].lower(): i for i, spec in enumerate(raw.get("copy") or [])
                                if isinstance(spec, dict) and "name" in spec}


class Scope:
    """Where a template's expressions are evaluated: its parameters, variables and copy indexes."""

    def __init__(self, shared, copies=None):
        self.shared, self.copies = shared, copies or {}

    @classmethod
    def of(cls, doc, base, template, supplied, missing):
        """The scope of the template at `base` in `doc`; `missing` says why a parameter without value is unknown."""
        return cls(_Shared(doc, base, template, supplied, missing))

    def where(self, path):
        doc = self.shared.doc
        return Location(doc.path, doc.line(path))

    def within(self, loop, index):
        """This scope inside copy loop `loop` (None: the resource's own loop) at `index`."""
        copies = dict(self.copies)
        copies["" if loop is None else loop.lower()] = index
        return Scope(self.shared, copies)

    def copy_index(self, loop):
        return self.copies.get("" if loop is None else loop.lower())

    def _template_scope(self):
        return Scope(self.shared) if self.copies else self

    def parameter(self, name):
        shared, key = self.shared, name.lower()
        if key not in shared.declared:
            return None
        if key not in shared.parameters:
            shared.parameters[key] = Unknown(f"[parameters('{name}')]", "the parameter's default refers to itself",
                                             self.where(shared.base + ("parameters",)))
            shared.parameters[key] = self._parameter(key)
        return shared.parameters[key]

    def _parameter(self, key):
        shared = self.shared
        decl_name, decl = shared.declared[key]
        given = shared.supplied.get(key)
        path = shared.base + ("parameters", decl_name)
        if given is not None and not (isinstance(given, Traced) and given.value is None and "defaultValue" in decl):
            return given
        if "defaultValue" in decl:
            return evaluate(decl["defaultValue"], path + ("defaultValue",), self._template_scope())
        if decl.get("nullable") or given is not None:
            return Traced(None, self.where(path))
        return Unknown(f"[parameters('{decl_name}')]", shared.missing.format(decl_name), self.where(path))

    def variable(self, name):
        shared, key = self.shared, name.lower()
        if key not in shared.raw_variables and key not in shared.variable_copies:
            return None
        if key not in shared.variables:
            shared.variables[key] = Unknown(f"[variables('{name}')]", "the variable refers to itself",
                                            self.where(shared.base + ("variables",)))
            shared.variables[key] = self._variable(key)
        return shared.variables[key]

    def _variable(self, key):
        shared = self.shared
        path = shared.base + ("variables",)
        scope = self._template_scope()
        if key in shared.raw_variables:
            name = shared.raw_variables[key]
            return evaluate(shared.template["variables"][name], path + (name,), scope)
        index = shared.variable_copies[key]
        return expand_copy(shared.template["variables"]["copy"][index], path + ("copy", index), scope)


class _Reader:
    """Walks templates and collects declarations; child pools find their cluster's version at the end."""

    def __init__(self):
        self.declarations, self.children = [], []
        self.clusters = {}  # lower-case name -> the cluster's kubernetesVersion (Traced, Unknown or None)

    def finish(self):
        for declaration, cluster_name in self.children:
            if cluster_name and cluster_name.lower() in self.clusters:
                _version(declaration, self.clusters[cluster_name.lower()], "properties.kubernetesVersion")
                continue
            why = f"its cluster {cluster_name} is not declared in this file" if cluster_name else \
                "its cluster's name is known only at deployment"
            declaration.notEvaluated.append(NotEvaluated(
                "kubernetesVersion", "properties.orchestratorVersion", "(not written)",
                f"the pool has no orchestratorVersion and {why}", declaration.location("pool")))
        return self.declarations

    def walk(self, scope, template, path, prefix, inherited=()):
        """Read the resources of the template at `path`; `inherited`: NotEvaluated of the deployments around it."""
        resources = template.get("resources")
        if isinstance(resources, dict):
            items = [(symbol, resource, path + ("resources", symbol)) for symbol, resource in resources.items()]
        elif isinstance(resources, list):
            items = [(None, resource, path + ("resources", i)) for i, resource in enumerate(resources)]
        else:
            items = []
        for symbol, resource, resource_path in items:
            if isinstance(resource, dict) and not resource.get("existing"):
                for instance, suffix, unknowns in _instances(scope, resource, resource_path):
                    if _deployed(instance, resource, resource_path):
                        label = _label(prefix, symbol, suffix, instance, resource, resource_path)
                        self._resource(instance, resource, resource_path, label, list(inherited) + unknowns)

    def _resource(self, scope, resource, path, label, unknowns):
        kind = str(resource.get("type", "")).lower()
        if kind == CLUSTER:
            self._cluster(scope, resource, path, label, unknowns)
        elif kind == AGENT_POOL:
            name, known = _name(scope, resource, path)
            cluster, _, pool = name.rpartition("/") if known else (None, None, name)
            self._child(scope, resource, path, label, cluster, pool, unknowns)
        elif kind == DEPLOYMENT:
            self._deployment(scope, resource, path, label, unknowns)

    def _cluster(self, scope, resource, path, label, unknowns):
        name, _ = _name(scope, resource, path)
        properties = evaluate(resource.get("properties") or {}, path + ("properties",), scope)
        version = member(properties, "kubernetesVersion")
        self.clusters[name.lower()] = version
        profiles = member(properties, "agentPoolProfiles")
        written = "properties.agentPoolProfiles"
        if isinstance(profiles, Unknown):
            declaration = Declaration(profiles.where.file, profiles.where.line, label, cluster=name)
            declaration.notEvaluated.append(NotEvaluated(POOL, written, profiles.expression, profiles.reason,
                                                         profiles.where))
            self.declarations.append(declaration)
        elif profiles is not None and isinstance(profiles.value, list):
            for i, pool in enumerate(profiles.value):
                declaration = _declare(pool, label, name, f"{written}[{i}]", unknowns)
                if not declaration.unknown("kubernetesVersion") and "kubernetesVersion" not in declaration.locations:
                    _version(declaration, version, "properties.kubernetesVersion")
                self.declarations.append(declaration)
        children = resource.get("resources") or []
        for key, child in (children.items() if isinstance(children, dict) else enumerate(children)):
            if isinstance(child, dict) and str(child.get("type", "")).lower().endswith("agentpools"):
                child_path = path + ("resources", key)
                pool = _name(scope, child, child_path)[0].rpartition("/")[2]
                self._child(scope, child, child_path, f"{label}/{pool}", name, pool, unknowns)

    def _child(self, scope, resource, path, label, cluster, pool, unknowns):
        properties = evaluate(resource.get("properties") or {}, path + ("properties",), scope)
        declaration = _declare(properties, label, cluster or None, "properties", unknowns, scope.where(path))
        declaration.pool = pool
        if not declaration.unknown("kubernetesVersion") and "kubernetesVersion" not in declaration.locations:
            self.children.append((declaration, cluster))
        self.declarations.append(declaration)

    def _deployment(self, scope, resource, path, label, unknowns):
        properties = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
        template = properties.get("template")
        if not isinstance(template, dict):
            return
        options = properties.get("expressionEvaluationOptions") or {}
        template_path = path + ("properties", "template")
        if str(options.get("scope", "outer")).lower() == "inner":
            given = _passed(scope, properties.get("parameters"), path + ("properties", "parameters"))
            scope = Scope.of(scope.shared.doc, template_path, template, given,
                             "the deployment passes no value for parameter {0} and it has no default")
        self.walk(scope, template, template_path, label, unknowns)


def _passed(scope, given, path):
    """The parameters a nested inner-scope deployment passes, evaluated in the parent's scope."""
    result = {}
    for name, entry in (given.items() if isinstance(given, dict) else []):
        if isinstance(entry, dict) and "value" in entry:
            result[name.lower()] = evaluate(entry["value"], path + (name, "value"), scope)
        else:
            result[name.lower()] = Unknown(json.dumps(entry, separators=(",", ":"))[:80],
                                           "a Key Vault reference is read at deployment", scope.where(path + (name,)))
    return result


def _instances(scope, resource, path):
    """(scope, label suffix, extra NotEvaluated) for each copy of a resource (itself when it has no loop)."""
    spec = resource.get("copy")
    if not isinstance(spec, dict):
        return [(scope, "", [])]
    count = evaluate(spec.get("count"), path + ("copy", "count"), scope)
    try:
        number = int(plain(count))
    except (Blocked, TypeError, ValueError):
        unknown = count if isinstance(count, Unknown) else \
            Unknown(str(spec.get("count")), "the copy count is not a number", scope.where(path + ("copy", "count")))
        return [(scope, "[?]", [NotEvaluated(POOL, "copy.count", unknown.expression, unknown.reason, unknown.where)])]
    loop = spec.get("name")
    return [(scope.within(None, i).within(loop, i) if loop else scope.within(None, i), f"[{i}]", [])
            for i in range(number)]


def _deployed(scope, resource, path):
    """False only when `condition` is known to be false (unknown: judged as if deployed)."""
    if "condition" not in resource:
        return True
    condition = evaluate(resource["condition"], path + ("condition",), scope)
    if isinstance(condition, Unknown):
        return True
    value = condition.value
    return value.lower() != "false" if isinstance(value, str) else bool(value)


def _name(scope, resource, path):
    """(the resource's name, True) as evaluated, or (its text as written, False) when it is not known."""
    node = evaluate(resource.get("name", ""), path + ("name",), scope)
    if isinstance(node, Traced) and isinstance(node.value, str):
        return node.value, True
    return str(resource.get("name", "")), False


def _label(prefix, symbol, suffix, scope, resource, path):
    """The symbolic name and its copy index ("pools[2]"), else the evaluated name; after its deployments'."""
    if symbol is not None:
        own = symbol + suffix
    else:
        name, known = _name(scope, resource, path)
        own = name if known and suffix != "[?]" else name + suffix
    return f"{prefix}::{own}" if prefix else own


def _declare(pool, label, cluster, written, unknowns, place=None):
    """A Declaration of the pool object `pool` (Traced or Unknown), its fields read as POOL_FIELDS says."""
    where = place or pool.where
    declaration = Declaration(where.file, where.line, label, cluster=cluster, notEvaluated=list(unknowns))
    if not isinstance(pool, Unknown) and not isinstance(pool.value, dict):
        pool = Unknown(str(pool.value)[:80], "the pool is not an object", where)
    if isinstance(pool, Unknown):
        declaration.notEvaluated.append(NotEvaluated(POOL, written, pool.expression, pool.reason, pool.where))
        return declaration
    name = member(pool, "name")
    declaration.pool = name.value if isinstance(name, Traced) else None
    for field, keys, default in POOL_FIELDS:
        _field(declaration, pool, field, keys, default, written)
    own = member(pool, "orchestratorVersion")
    if own is not None:
        _version(declaration, own, f"{written}.orchestratorVersion")
    return declaration


def _field(declaration, pool, field, keys, default, written):
    node = pool
    for key in keys:
        node = member(node, key)
        if node is None or isinstance(node, Unknown):
            break
    name = ".".join((written,) + keys)
    if node is None:
        setattr(declaration, field, default)
    elif isinstance(node, Unknown):
        setattr(declaration, field, None)
        declaration.notEvaluated.append(NotEvaluated(field, name, node.expression, node.reason, node.where))
    else:
        try:
            setattr(declaration, field, plain(node))
            declaration.locations[field] = node.where
        except Blocked as blocked:
            declaration.notEvaluated.append(NotEvaluated(field, name, blocked.unknown.expression,
                                                         blocked.unknown.reason, blocked.unknown.where))


def _version(declaration, node, written):
    """Set the pool's Kubernetes version from `node` (its own or its cluster's; None: AKS's default)."""
    if node is None:
        return
    if isinstance(node, Unknown):
        declaration.notEvaluated.append(NotEvaluated("kubernetesVersion", written, node.expression, node.reason,
                                                     node.where))
        return
    if node.value in (None, ""):
        return
    declaration.kubernetesVersion = str(node.value)
    declaration.locations["kubernetesVersion"] = node.where
