# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Node pools in a Terraform plan (the JSON of `terraform show -json PLAN`), as `Declaration`s.

Reads `planned_values.root_module` and its `child_modules` at every depth: azurerm's
`azurerm_kubernetes_cluster` (its `default_node_pool`) and `azurerm_kubernetes_cluster_node_pool`,
and `azapi_resource` of type `Microsoft.ContainerService/managedClusters@...` or `.../agentPools@...`
(`body` as an object, or as the JSON string older azapi writes). A value that Terraform knows only
after apply (`resource_changes[].change.after_unknown`) is not evaluated, never guessed. An
Optional+Computed attribute (`os_sku`, `orchestrator_version`, `kubernetes_version`) is unknown in a
plan when it is not set; the plan's `configuration` tells the two apart: not set there means the
provider's default (Ubuntu for `os_sku` on Linux, the cluster's version, AKS's default version).
A node pool finds its cluster by `kubernetes_cluster_id` (azapi: `parent_id`) when it is known,
else by the reference the configuration makes to a cluster of the same module.
"""
import json
import re

from azext_azurelinux.templates import POOL, Declaration, Location, NotEvaluated, TemplateError
from azext_azurelinux.templates import positions
from azext_azurelinux.templates.arm import POOL_FIELDS as ARM_POOL_FIELDS

CLUSTER = "azurerm_kubernetes_cluster"
NODE_POOL = "azurerm_kubernetes_cluster_node_pool"
AZAPI = "azapi_resource"
AZAPI_CLUSTER = "microsoft.containerservice/managedclusters"
AZAPI_POOL = "microsoft.containerservice/managedclusters/agentpools"
AZURERM_FIELDS = (("osType", ("os_type",), "Linux"), ("vmSize", ("vm_size",), None), ("osSku", ("os_sku",), None),
                  ("enableFIPS", ("fips_enabled",), False))
AFTER_APPLY = "(known after apply)"
_MODULE = re.compile(r"module\.([^.\[]+)(?:\[[^\]]*\])?")
_INDEX = re.compile(r"\[[^\]]*\]")


def read(path):
    """The pools a Terraform plan's JSON at `path` declares."""
    doc = load_plan(path)
    plan = doc.value
    changes = {change.get("address"): (change.get("change") or {}).get("after_unknown")
               for change in plan.get("resource_changes") or [] if isinstance(change, dict)}
    views = [_view(doc, resource, resource_path, changes, plan.get("configuration"))
             for resource, resource_path in _resources(plan["planned_values"].get("root_module") or {},
                                                       ("planned_values", "root_module"))]
    clusters = _Clusters([view for view in views if _kind(view) in ("cluster", "azapi-cluster")],
                         plan.get("configuration"))
    declarations = []
    for view in views:
        declarations.extend(_READERS.get(_kind(view), lambda *_: [])(view, clusters))
    return declarations


def load_plan(path):
    """The plan at `path` as a positions.Document; TemplateError when it is not a plan this reads."""
    doc = positions.load_file(path, "--terraform-plan", TemplateError)
    plan = doc.value
    if isinstance(plan, dict) and "resources" in plan and "format_version" not in plan:
        raise TemplateError(f"--terraform-plan {path} is an ARM template: give it with --template-file.")
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise TemplateError(f"--terraform-plan {path} is not the JSON of `terraform show -json PLAN`: "
                            "it has no format_version.")
    version = str(plan["format_version"])
    if version.split(".", maxsplit=1)[0] != "1":
        raise TemplateError(f"--terraform-plan {path} has format_version {version}; this reads format 1.x only.")
    if not isinstance(plan.get("planned_values"), dict):
        raise TemplateError(f"--terraform-plan {path} has no planned_values: it is Terraform state or a plan "
                            "without changes; give the JSON of `terraform show -json PLAN` of a saved plan.")
    return doc


def _resources(module, path):
    """(resource, its path in the document) of a module and of its child modules, depth first."""
    for i, resource in enumerate(module.get("resources") or []):
        if isinstance(resource, dict) and resource.get("mode", "managed") == "managed":
            yield resource, path + ("resources", i)
    for i, child in enumerate(module.get("child_modules") or []):
        if isinstance(child, dict):
            yield from _resources(child, path + ("child_modules", i))


class _View:
    """One resource's attributes: planned values, what is unknown until apply, and what is configured."""

    def __init__(self, doc, resource, path, unknown, configured):
        self.doc, self.resource, self.path = doc, resource, path
        self.values = resource.get("values") if isinstance(resource.get("values"), dict) else {}
        self.unknown, self.configured = unknown, configured
        self.body_line = None

    @property
    def address(self):
        return str(self.resource.get("address", ""))

    def place(self, keys=()):
        """Where the attribute at `keys` is written; the resource's address line for the resource itself."""
        if self.body_line:
            return Location(self.doc.path, self.body_line)
        path = self.path + (("values",) + tuple(keys) if keys else ("address",))
        return Location(self.doc.path, self.doc.line(path))

    def get(self, keys):
        """("known", value, keys as written) | ("unset", None, keys) | ("unknown", None, keys)."""
        value, written = _walk(self.values, keys)
        if value is not None:
            return "known", value, written
        if not _unknown(self.unknown, keys):
            return "unset", None, written
        return ("unset" if _configured_absent(self.configured, keys) else "unknown"), None, written


def _walk(root, keys):
    node, written = root, []
    for key in keys:
        if isinstance(node, dict) and isinstance(key, str):
            actual = key if key in node else next((name for name in node if name.lower() == key.lower()), key)
            node = node.get(actual)
            written.append(actual)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            written.append(key)
        else:
            return None, written + list(keys[len(written):])
    return node, written


def _unknown(after_unknown, keys):
    node = after_unknown
    for key in keys:
        if node is True:
            return True
        if isinstance(node, dict):
            node = next((value for name, value in node.items() if name.lower() == str(key).lower()), None)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return False
    return node is True


def _configured_absent(expressions, keys):
    """True when the configuration is known and does not set the attribute at `keys` (so: its default).

    Only nested blocks are followed (a block is a list of bodies); an attribute's expression is opaque."""
    node = expressions
    for key in keys[:-1]:
        if isinstance(node, dict) and isinstance(key, str) and isinstance(node.get(key), list):
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return False
    return isinstance(node, dict) and keys[-1] not in node


def _view(doc, resource, path, changes, configuration):
    address = str(resource.get("address", ""))
    return _View(doc, resource, path, changes.get(address), _expressions(configuration, resource))


def _module_config(configuration, prefix):
    """The configuration of the module at address prefix 'module.a.module.b.' (None when absent)."""
    module = configuration.get("root_module") if isinstance(configuration, dict) else None
    for name in _MODULE.findall(prefix):
        module = (((module or {}).get("module_calls") or {}).get(name) or {}).get("module")
    return module


def _expressions(configuration, resource):
    """The configuration's `expressions` of this resource (its module followed by name), or None."""
    address = str(resource.get("address", ""))
    prefix = address[:address.rfind(f"{resource.get('type')}.")] if resource.get("type") else ""
    module = _module_config(configuration, prefix)
    wanted = f"{resource.get('type')}.{resource.get('name')}"
    for entry in (module or {}).get("resources") or []:
        if isinstance(entry, dict) and entry.get("address") == wanted:
            return entry.get("expressions") if isinstance(entry.get("expressions"), dict) else {}
    return None


def _kind(view):
    kind = view.resource.get("type")
    if kind == AZAPI:
        arm_type = str(view.values.get("type", "")).split("@", maxsplit=1)[0].lower()
        return {AZAPI_CLUSTER: "azapi-cluster", AZAPI_POOL: "azapi-pool"}.get(arm_type)
    return {CLUSTER: "cluster", NODE_POOL: "node-pool"}.get(kind)


def _module_of(address):
    """'module.gpu.azurerm_x.y[0]' -> 'module.gpu.'"""
    match = re.match(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)", address)
    return match.group(1)


class _Clusters:
    """The plan's clusters, found by id, by name, or by a configuration reference (through module inputs)."""

    def __init__(self, views, configuration):
        self.views, self.configuration = views, configuration

    def version(self, view):
        keys = ("kubernetes_version",) if _kind(view) == "cluster" else ("body", "properties", "kubernetesVersion")
        return keys, _body_view(view) if _kind(view) == "azapi-cluster" else view

    def find(self, pool_view, id_keys):
        state, value, _ = pool_view.get(id_keys)
        if state == "known":
            for view in self.views:
                if str(view.values.get("id", "")).lower() == str(value).lower():
                    return view, None
            name = str(value).rstrip("/").rsplit("/", 1)[-1]
            found = [view for view in self.views if str(view.values.get("name", "")).lower() == name.lower()]
            return (found[0], None) if len(found) == 1 else (None, name)
        return self._referenced((pool_view.configured or {}).get(id_keys[0]), _module_of(pool_view.address), 0), None

    def _referenced(self, expression, module, depth):
        """The one cluster an expression of module `module` refers to; a `var.x` is followed to the caller."""
        for reference in (expression.get("references") or []) if isinstance(expression, dict) else []:
            if reference.startswith("var.") and module and depth < 20:
                parent = module[:module[:-1].rfind("module.")] if module.count("module.") > 1 else ""
                call = _MODULE.findall(module)[-1]
                calls = (_module_config(self.configuration, parent) or {}).get("module_calls") or {}
                given = ((calls.get(call) or {}).get("expressions") or {}).get(reference.split(".")[1])
                found = self._referenced(given, parent, depth + 1)
                if found is not None:
                    return found
                continue
            target = re.sub(r"\.id$", "", reference)
            found = [view for view in self.views if _module_of(view.address) == module
                     and target in (view.address[len(module):], _INDEX.sub("", view.address[len(module):]))]
            if len(found) == 1:
                return found[0]
        return None


def _body_view(view):
    """A view of an azapi resource's `body`: itself when an object, a parsed copy when a JSON string (None
    when that string is not JSON)."""
    body = view.values.get("body")
    if not isinstance(body, str):
        return view
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    copy = _View(view.doc, view.resource, view.path, view.unknown, None)
    copy.values = dict(view.values, body=parsed)
    copy.body_line = view.doc.line(view.path + ("values", "body"))
    return copy


def _cluster_pools(view, clusters):
    name = str(view.values.get("name") or view.address)
    declaration = _declare(view, ("default_node_pool", 0), AZURERM_FIELDS, "orchestrator_version", name)
    keys, cluster_view = clusters.version(view)
    _fallback_version(declaration, cluster_view, keys)
    return [declaration]


def _node_pool(view, clusters):
    cluster_view, named = clusters.find(view, ("kubernetes_cluster_id",))
    cluster = str(cluster_view.values.get("name")) if cluster_view else named
    declaration = _declare(view, (), AZURERM_FIELDS, "orchestrator_version", cluster)
    _link(declaration, view, cluster_view, clusters, "orchestrator_version")
    return [declaration]


def _azapi_cluster(view, clusters):
    body = _body_view(view)
    name = str(view.values.get("name") or view.address)
    if body is None:
        return [_whole_unknown(view, name, "invalid", ("body",))]
    state, profiles, written = body.get(("body", "properties", "agentPoolProfiles"))
    if state != "known" or not isinstance(profiles, list):
        return [_whole_unknown(view, name, state, written)] if state == "unknown" else []
    keys, cluster_view = clusters.version(view)
    declarations = []
    for i in range(len(profiles)):
        declaration = _declare(body, tuple(written) + (i,), ARM_POOL_FIELDS, "orchestratorVersion", name)
        _fallback_version(declaration, cluster_view, keys)
        declarations.append(declaration)
    return declarations


def _azapi_pool(view, clusters):
    body = _body_view(view)
    cluster_view, named = clusters.find(view, ("parent_id",))
    cluster = str(cluster_view.values.get("name")) if cluster_view else named
    name = str(view.values.get("name")) if view.values.get("name") is not None else None
    state, properties, written = body.get(("body", "properties")) if body else ("invalid", None, ["body"])
    if state in ("unknown", "invalid") or (state == "known" and not isinstance(properties, dict)):
        declaration = _whole_unknown(view, cluster, state, written)
    else:
        declaration = _declare(body, tuple(written), ARM_POOL_FIELDS, "orchestratorVersion", cluster)
        _link(declaration, body, cluster_view, clusters, "orchestratorVersion")
    declaration.pool = name
    return [declaration]


def _whole_unknown(view, cluster, state, written):
    declaration = Declaration(view.doc.path, view.place().line, view.address, cluster=cluster)
    reason = "Terraform knows this value only after apply" if state == "unknown" else "the body is not JSON"
    declaration.notEvaluated.append(NotEvaluated(POOL, _written(written), AFTER_APPLY, reason, view.place()))
    return declaration


def _link(declaration, view, cluster_view, clusters, version_name):
    """A separate pool's version falls back to its cluster's, when the plan has the cluster."""
    if "kubernetesVersion" in declaration.locations or declaration.unknown("kubernetesVersion"):
        return
    if cluster_view is not None:
        keys, version_view = clusters.version(cluster_view)
        _fallback_version(declaration, version_view, keys)
        return
    declaration.notEvaluated.append(NotEvaluated(
        "kubernetesVersion", version_name, "(not set)",
        f"the pool sets no {version_name} and its cluster is not found in this plan", view.place()))


def _fallback_version(declaration, view, keys):
    if "kubernetesVersion" in declaration.locations or declaration.unknown("kubernetesVersion"):
        return
    state, value, written = view.get(keys)
    if state == "known" and value != "":
        declaration.kubernetesVersion = str(value)
        declaration.locations["kubernetesVersion"] = view.place(written)
    elif state == "unknown":
        declaration.notEvaluated.append(NotEvaluated("kubernetesVersion", _written(written), AFTER_APPLY,
                                                     "Terraform knows this value only after apply", view.place()))


def _declare(view, base, fields, version_name, cluster):
    """A Declaration of the pool at `base` in the view, its fields named as `fields` says."""
    place = view.place(base)
    declaration = Declaration(place.file, place.line, view.address, cluster=cluster)
    state, name, _ = view.get(base + ("name",))
    declaration.pool = str(name) if state == "known" else None
    for field, keys, default in fields:
        _field(declaration, view, field, base + keys, default, place)
    state, value, written = view.get(base + (version_name,))
    if state == "known" and value != "":
        declaration.kubernetesVersion = str(value)
        declaration.locations["kubernetesVersion"] = view.place(written)
    elif state == "unknown":
        declaration.notEvaluated.append(NotEvaluated("kubernetesVersion", _written(written), AFTER_APPLY,
                                                     "Terraform knows this value only after apply", place))
    return declaration


def _field(declaration, view, field, keys, default, place):
    state, value, written = view.get(keys)
    if state == "known":
        setattr(declaration, field, value)
        declaration.locations[field] = view.place(written)
    elif state == "unset":
        setattr(declaration, field, default)
    else:
        setattr(declaration, field, None)
        declaration.notEvaluated.append(NotEvaluated(field, _written(written), AFTER_APPLY,
                                                     "Terraform knows this value only after apply", place))


def _written(keys):
    """Attribute keys as Terraform writes them: default_node_pool[0].vm_size."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


_READERS = {"cluster": _cluster_pools, "node-pool": _node_pool,
            "azapi-cluster": _azapi_cluster, "azapi-pool": _azapi_pool}
