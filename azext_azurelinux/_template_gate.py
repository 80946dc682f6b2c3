# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""`check-template`: the adapter between the command and templates/, which does the thinking.

The validator reads the file(s) once (a .bicep file through a Bicep already installed, never downloaded)
and keeps the declarations on the invocation's own command object, as _policy_config keeps the Policy;
a file that cannot be used is a ValueError, which the CLI reports as an argument error (exit 2). The
command judges each declared pool with the checks of `check` and `nodepool add` under the Policy in
force, writes the CI reports, says a summary on stderr, and returns the rows for `-o`.
"""
import dataclasses
import os
import sys
from collections import OrderedDict

from azext_azurelinux.templates import Location, TemplateError

_ON_COMMAND = "azurelinux_template_declarations"  # the attribute of the invocation's command that keeps them
BICEP_TIMEOUT = 300
TABLE_WIDTH = 200  # characters of a `-o table` line, at most
_CAPS = OrderedDict([("File", 40), ("Resource", 40), ("Pool", 16), ("VmSize", 28), ("OsSku", 20),
                     ("Kubernetes", 12), ("Verdict", 13)])


# ---- the validator: which file, read once ------------------------------------------------------
def validate(namespace, policy):  # pylint: disable=unused-argument
    """Exactly one of --template-file and --terraform-plan, --parameters only with a template, report paths
    in folders that exist; then read the file(s). Every problem is a TemplateError (a ValueError): exit 2."""
    template, plan = namespace.template_file, namespace.terraform_plan
    if template is not None and plan is not None:
        raise TemplateError("--template-file and --terraform-plan were both given: check one file at a time, "
                            "an ARM/Bicep template or the JSON of a Terraform plan.")
    if template is None and plan is None:
        raise TemplateError("Nothing to check: give --template-file FILE (an ARM template or a .bicep file) or "
                            "--terraform-plan FILE (the JSON of `terraform show -json PLAN`).")
    if namespace.parameters and template is None:
        raise TemplateError("--parameters belongs to --template-file: a Terraform plan holds its values already; "
                            "drop --parameters.")
    for option, path in (("--sarif", namespace.sarif), ("--junit", namespace.junit)):
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder is not None and not os.path.isdir(folder):
            raise TemplateError(f"{option} {path} cannot be written: the folder {folder} does not exist.")
    cmd = getattr(namespace, "cmd", None) or getattr(namespace, "_cmd", None)
    config_dir = getattr(getattr(getattr(cmd, "cli_ctx", None), "config", None), "config_dir", None)
    declarations = read(template, unexpanded_parameters(namespace.parameters), plan, config_dir)
    if cmd is not None:
        setattr(cmd, _ON_COMMAND, declarations)


def read(template_file=None, parameters=None, terraform_plan=None, config_dir=None):
    """The Declarations of a template (with its parameters) or of a plan; TemplateError when a file cannot be used."""
    from azext_azurelinux.templates import arm, terraform
    if terraform_plan is not None:
        return terraform.read(terraform_plan)
    if template_file.lower().endswith(".bicep"):
        return _read_bicep(template_file, parameters, config_dir)
    return arm.read(template_file, parameters)


def unexpanded_parameters(parameters):
    """The --parameters values with `@FILE` put back: az reads every `@FILE` argument into its content before a
    command sees it, and a value's line in its parameters file needs the file. The original arguments are the
    process's own (sys.argv); where they are not (az invoked from Python), the content stays, read as JSON."""
    from azext_azurelinux.templates.parameters import flatten
    values = flatten(parameters)
    argv = sys.argv[1:]
    files = [arg[1:] for arg in argv if arg.startswith("@") and len(arg) > 1 and "=" not in arg]
    if not files:
        return values
    from azure.cli.core.util import read_file_content
    contents = {}
    for path in files:
        try:
            contents[path] = read_file_content(os.path.expanduser(path), allow_binary=True).rstrip(os.linesep)
        except Exception:  # pylint: disable=broad-except
            contents[path] = None  # az kept the argument as written: the reader says what is wrong with it
    return [value if value in argv else next((f"@{path}" for path in files if contents[path] == value), value)
            for value in values]


def _bicep_executable(config_dir):
    """`bicep` on PATH, else the one `az bicep install` put in the CLI's folder; None when neither exists."""
    import shutil
    found = shutil.which("bicep")
    if found:
        return found
    if config_dir is None:
        from azure.cli.core.api import get_config_dir
        config_dir = get_config_dir()
    own = os.path.join(config_dir, "bin", "bicep.exe" if os.name == "nt" else "bicep")
    return own if os.path.isfile(own) and os.access(own, os.X_OK) else None


def _read_bicep(path, parameters, config_dir):
    """Compile a .bicep file with the Bicep already installed, into a temporary folder, and read what it wrote.
    The compiled JSON keeps no map back to the Bicep lines, so its places become the .bicep file, line 1."""
    import subprocess
    import tempfile
    from azext_azurelinux.templates import arm
    try:
        with open(path, "rb"):
            pass
    except OSError as err:
        raise TemplateError(f"--template-file {path} cannot be read: {err.strerror or err}.") from err
    bicep = _bicep_executable(config_dir)
    if bicep is None:
        raise TemplateError(f"--template-file {path} is a Bicep file, and no Bicep is installed to compile it (no "
                            "bicep on PATH, none in the Azure CLI's folder). Install it with `az bicep install`, "
                            "or give the template that `az bicep build` writes; this command never downloads it.")
    with tempfile.TemporaryDirectory(prefix="azurelinux-bicep-") as folder:
        compiled = os.path.join(folder, os.path.splitext(os.path.basename(path))[0] + ".json")
        try:
            done = subprocess.run([bicep, "build", path, "--outfile", compiled], capture_output=True, text=True,
                                  timeout=BICEP_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise TemplateError(f"--template-file {path}: Bicep ({bicep}) did not run to the end: {err}.") from err
        if done.returncode != 0 or not os.path.isfile(compiled):
            said = " ".join((done.stderr or done.stdout or "").split())[:500]
            raise TemplateError(f"--template-file {path}: Bicep could not compile it (exit {done.returncode}): "
                                f"{said or 'no message'}.")
        declarations = arm.read(compiled, parameters)
    return relabel(declarations, compiled, path)


def relabel(declarations, compiled, source):
    """Places in the `compiled` template become the `source` .bicep file, line 1; a parameters file keeps its own."""
    def place(location):
        return Location(source, 1) if location.file == compiled else location
    for declaration in declarations:
        if declaration.file == compiled:
            declaration.file, declaration.line = source, 1
        declaration.locations = {name: place(where) for name, where in declaration.locations.items()}
        declaration.notEvaluated = [dataclasses.replace(entry, location=place(entry.location))
                                    for entry in declaration.notEvaluated]
    return declarations


# ---- the command -------------------------------------------------------------------------------
def check(cmd, policy, template_file=None, parameters=None, terraform_plan=None, strict=False, sarif=None,
          junit=None):
    """One row per declared pool, judged under `policy`; reports written; exit 1 when a pool is refused (or, with
    `strict`, not evaluated), after the rows print."""
    from azext_azurelinux._console import exit_after_output, progress
    from azext_azurelinux.templates import gate
    declarations = getattr(cmd, _ON_COMMAND, None)
    if declarations is None:  # the validator did not run (the command called from Python)
        try:
            declarations = read(template_file, parameters, terraform_plan)
        except TemplateError as error:
            from azure.cli.core.azclierror import InvalidArgumentValueError
            raise InvalidArgumentValueError(str(error)) from None
    rows = [gate.judge_one(declaration, checker(policy, declaration), policy.is_azure_linux)
            for declaration in declarations]
    _write_reports(rows, strict, sarif, junit)
    progress.start(cmd)
    org = getattr(policy.org, "path", None)
    progress(f"{gate.summary(rows, strict)} Policy edition {policy.edition}"
             + (f", organisation policy {org}." if org else "."))
    progress.end()
    if gate.exit_code(rows, strict):
        exit_after_output(cmd.cli_ctx, 1)
    return rows


def checker(policy, declaration):
    """The `check` of templates.gate for one pool: the rules `check` and `nodepool add` apply to what a
    declaration carries (size, OS SKU against the version, the OS SKU's Trusted Launch, Gen2 and FIPS needs, the
    organisation's rules), and the service's own limit on the pool's name (aks_rules)."""
    from azext_azurelinux import aks_rules
    from azext_azurelinux.findings import ERROR, Finding, refusals

    def pool_check(vm_size, os_sku, kubernetes_version, enable_fips, trusted_launch):
        findings = []
        if vm_size is not None:
            findings += policy.check_vm_size(vm_size)
        findings += policy.check_os_sku(os_sku, kubernetes_version)
        name = policy.canonical_os_sku(os_sku)
        if not refusals(findings) and name:
            findings += policy.check_os_sku_requirements(os_sku, trusted_launch=trusted_launch)
            if policy.os_sku_requirements(os_sku).get("fips") and enable_fips is False:
                findings.append(Finding("os-sku-fips", ERROR, f"{name} needs a FIPS image: set enableFIPS "
                                        "(fips_enabled in Terraform) to true.", subject="enable_fips", value=False))
        pool = declaration.pool
        problem = aks_rules.pool_name(pool) if isinstance(pool, str) and not pool.startswith("[") else None
        if problem:
            findings.append(Finding("aks-pool-name", ERROR, problem, "AKS agent pool naming rules",
                                    subject="pool_name", value=pool))
        return findings
    return pool_check


def _write_reports(rows, strict, sarif, junit):
    import json
    from azext_azurelinux.templates import reports
    if sarif:
        _write("--sarif", sarif, json.dumps(reports.sarif(rows, version=_version()), indent=2, ensure_ascii=False)
               + "\n")
    if junit:
        _write("--junit", junit, reports.junit(rows))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            _write("GITHUB_STEP_SUMMARY", summary, reports.step_summary(rows, strict), mode="a")
        except Exception as error:  # pylint: disable=broad-except
            from knack.log import get_logger
            get_logger(__name__).warning("%s", error)  # the step summary is a courtesy: the gate's verdict stands


def _write(option, path, text, mode="w"):
    try:
        with open(path, mode, encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        from azure.cli.core.azclierror import FileOperationError
        raise FileOperationError(f"{option} {path} cannot be written: {err.strerror or err}.") from None


def _version():
    try:
        from importlib.metadata import version
        return version("azurelinux")
    except Exception:  # pylint: disable=broad-except
        return None


# ---- -o table ---------------------------------------------------------------------------------
def table(result):
    """One line per pool for people: where to look, what, the verdict and why, each line at most TABLE_WIDTH."""
    from azext_azurelinux._format import short
    rows = []
    for row in result or []:
        place, why = _headline(row)
        cells = [f"{place.get('file')}:{place.get('line')}", row.get("resource"), row.get("pool"), row.get("vmSize"),
                 row.get("osSku"), row.get("kubernetesVersion"), row.get("verdict")]
        rows.append((OrderedDict((name, _cut(cell, cap, tail=name in ("File", "Resource")))
                                 for (name, cap), cell in zip(_CAPS.items(), cells)), short(why)))
    # tabulate's "simple" table: a column is as wide as its longest cell or its header and 2, then 2 spaces
    widths = [max([len(name) + 2] + [len(cells[name]) for cells, _ in rows]) for name in _CAPS]
    room = max(len("Why") + 2, TABLE_WIDTH - sum(widths) - 2 * len(_CAPS))
    return [OrderedDict(cells, Why=_cut(why, room)) for cells, why in rows]


def _headline(row):
    """Where to look and the first sentence to read: the first refusal, else the first warning, else the field
    not evaluated, else the reason a pool is skipped."""
    findings = row.get("findings") or []
    for severity in ("error", "warning"):
        found = [finding for finding in findings if finding.get("severity") == severity]
        if found:
            return found[0], found[0].get("message")
    if row.get("notEvaluated") and row.get("verdict") != "skipped":
        return row["notEvaluated"][0], row.get("reason")
    return row, row.get("reason") or ""


def _cut(value, width, tail=False):
    text = "" if value is None else " ".join(str(value).split())
    if len(text) <= width:
        return text
    return "\u2026" + text[-(width - 1):] if tail else text[:width - 1].rstrip() + "\u2026"
