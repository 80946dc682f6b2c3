# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Node pools declared as code, read from files and judged by the support policy (`check-template`).

Two readers turn a file into the same list of `Declaration`s, one per node pool:

- `arm.read(path, parameters)`: an ARM template (languageVersion 1.0 or 2.0, what `az bicep build`
  writes), its nested inline deployments (Bicep modules), with `--parameters` as
  `az deployment group create` takes them;
- `terraform.read(path)`: the JSON of `terraform show -json PLAN`.

A `Declaration` is what one pool asks for, whatever the file's kind:

    file, line         where the pool is written (1-based line; the parameters file when the pool
                       object itself came from there)
    resource           the template's resource name, or its symbolic name (languageVersion 2.0), with
                       the nested deployments it sits in before it ("aksModule::aks"); or the Terraform
                       address ("module.gpu.azurerm_kubernetes_cluster_node_pool.a100")
    cluster, pool      the names, as evaluated (the expression text when a name could not be)
    osType             "Linux" or "Windows" (Linux when not written, as AKS defaults)
    vmSize, osSku      None when not written (a Linux pool without an OS SKU is Ubuntu)
    kubernetesVersion  the pool's orchestratorVersion, else its cluster's kubernetesVersion; None when
                       neither is written (AKS picks its default)
    enableFIPS, enableSecureBoot, enableVTPM     booleans (False when not written)
    locations          field name -> Location(file, line) where that value was written: the literal in
                       the template, the parameter's default, the variable's element, the line of the
                       parameters file that set it, or the parameter's declaration for KEY=VALUE
    notEvaluated       [NotEvaluated]: fields whose value is not known before deployment (reference(),
                       resourceGroup(), a function outside the subset, a Terraform value known after
                       apply); such a field's value is None and is never guessed

`gate.judge` turns declarations into rows with a verdict, and `reports` writes SARIF, JUnit and the
GitHub step summary. Everything here is pure but for reading the named files: the policy's check
and the question of which OS SKUs are Azure Linux are passed in.
"""
from dataclasses import dataclass, field

# The fields of a pool that the policy judges, by their names in a Declaration.
FIELDS = ("osType", "vmSize", "osSku", "kubernetesVersion", "enableFIPS", "enableSecureBoot", "enableVTPM")
# A NotEvaluated whose field is POOL means the pool itself (its list, its loop) is not known.
POOL = "pool"


class TemplateError(ValueError):
    """A file cannot be read, is not JSON, or is not a template or plan of the kind named.

    The message names the file and what is wrong, in one sentence; the command exits 2 on it."""


@dataclass(frozen=True)
class Location:
    file: str
    line: int


@dataclass(frozen=True)
class NotEvaluated:
    """A field that stays unknown: `name` as written in the file, and the expression or attribute."""

    field: str
    name: str
    expression: str
    reason: str
    location: Location

    def text(self):
        return f"{self.name} = {self.expression}: {self.reason}"


@dataclass
class Declaration:  # pylint: disable=too-many-instance-attributes
    """One node pool as a template or plan declares it (see the module's docstring)."""

    file: str
    line: int
    resource: str
    cluster: str = None
    pool: str = None
    osType: str = "Linux"
    vmSize: str = None
    osSku: str = None
    kubernetesVersion: str = None
    enableFIPS: bool = False
    enableSecureBoot: bool = False
    enableVTPM: bool = False
    locations: dict = field(default_factory=dict)
    notEvaluated: list = field(default_factory=list)

    def location(self, name):
        """Where field `name` was written; the pool's own place when the field was not written."""
        return self.locations.get(name) or Location(self.file, self.line)

    def unknown(self, name):
        """The NotEvaluated entries of field `name` (POOL entries count for every field)."""
        return [entry for entry in self.notEvaluated if entry.field in (name, POOL)]
