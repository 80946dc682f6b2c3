# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The azure-cli-extensions repository's rules, as our own test.

azdev cannot run here (its set-up needs GitHub), so this loads our command table and help the way its
linter does and enforces its HIGH and MEDIUM rules (option length, parameter help, examples that parse,
short options, a wait command beside --no-wait, resource_type on the loader, confirmation on delete),
plus the repository's license header check, is_preview matching the metadata, and every option that
`az aks` also has spelled as `az aks` spells it.
"""
import json
import os
import shlex
import subprocess
import types

import pytest
from azure.cli.core.mock import DummyCli
from knack.help_files import helps

from azext_azurelinux import AzureLinuxCommandsLoader

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORE_PROVIDED = {"cmd", "resource_group_name"}  # the CLI registers these for every command
GLOBAL_OPTIONS = {"--output", "-o", "--query", "--debug", "--verbose", "--only-show-errors", "--subscription",
                  "--help", "-h"}
MAX_OPTION_LENGTH = 22  # azdev: option_length_too_long
# azdev reads such exceptions from the extension's linter_exclusions.yml; ours, each with its reason:
LONG_OPTION_EXCLUSIONS = {"--max-parallel-clusters": "the name issue 12 gives it, beside --max-parallel; no core twin"}
LICENSE = ("# --------------------------------------------------------------------------------------------\n"
           "# Copyright (c) Microsoft Corporation. All rights reserved.\n"
           "# Licensed under the MIT License. See License.txt in the project root for license information.\n"
           "# --------------------------------------------------------------------------------------------\n")
# our command -> the core `az aks` command whose options it shares
CORE_TWINS = {"aks azurelinux create": ["aks create"], "aks azurelinux nodepool add": ["aks nodepool add"],
              "aks azurelinux nodepool delete": ["aks nodepool delete"],
              "aks azurelinux nodepool migrate": ["aks nodepool update"],
              "aks azurelinux migrate": ["aks nodepool update"],
              "aks azurelinux nodepool show": ["aks nodepool show"], "aks azurelinux nodepool list": ["aks nodepool list"],
              "aks azurelinux nodepool wait": ["aks nodepool wait"], "aks azurelinux wait": ["aks wait"]}


def load(loader_cls, only=None):
    cli = DummyCli()
    loader = loader_cls(cli_ctx=cli)
    table = loader.load_command_table(None)
    if only is not None:
        table = {name: table[name] for name in only}
        loader.command_table = table
    for name, command in table.items():
        command.load_arguments()
        cli.invocation = types.SimpleNamespace(data={"command_string": name}, commands_loader=loader)
        loader.command_name = name
        loader.load_arguments(name)
    loader._update_command_definitions()  # pylint: disable=protected-access
    return loader, table


LOADER, TABLE = load(AzureLinuxCommandsLoader)


@pytest.fixture(scope="module")
def core():
    """Core `az aks`'s own commands that ours mirror, loaded the same way."""
    from azure.cli.command_modules.acs import ContainerServiceCommandsLoader
    return load(ContainerServiceCommandsLoader, only=sorted({t for twins in CORE_TWINS.values() for t in twins}))[1]


def core_long_options(core_table):
    return {o for command in core_table.values() for argument in command.arguments.values()
            for o in argument.type.settings.get("options_list") or [] if str(o).startswith("--")}
COMMANDS = sorted(TABLE)
GROUPS = sorted({" ".join(name.split()[:i]) for name in COMMANDS for i in range(2, len(name.split()))} - {"aks"})


def options(command):
    found = {}
    for dest, argument in TABLE[command].arguments.items():
        if dest in CORE_PROVIDED:
            continue
        found[dest] = argument.type.settings
    return found


def long_options(settings):
    return [o for o in settings.get("options_list") or [] if o.startswith("--")]


@pytest.mark.parametrize("command", COMMANDS)
def test_options_are_short_enough_and_short_options_are_one_letter(command, core):
    spelled_as_core = core_long_options(core)  # core's own longer names are azdev exclusions of the acs module
    for dest, settings in options(command).items():
        for option in settings.get("options_list") or []:
            if option.startswith("--"):
                assert len(option) <= MAX_OPTION_LENGTH or option in spelled_as_core or \
                    option in LONG_OPTION_EXCLUSIONS, \
                    f"{command} {option}: longer than {MAX_OPTION_LENGTH}"
            else:
                assert len(option) == 2 and option[0] == "-", f"{command} {option} ({dest}): not a one-letter option"
            assert "_" not in option, f"{command} {option}: underscores are not allowed in option names"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_parameter_has_help(command):
    for dest, settings in options(command).items():
        assert settings.get("help"), f"{command}: {dest} has no help"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples_that_parse(command):
    assert command in helps, f"{command} has no help entry"
    import yaml
    entry = yaml.safe_load(helps[command])
    assert entry["type"] == "command" and entry["short-summary"].strip()
    assert entry.get("examples"), f"{command} has no example"
    known = {o for settings in options(command).values() for o in settings.get("options_list") or []}
    known |= {"--resource-group", "-g"} | GLOBAL_OPTIONS
    for example in entry["examples"]:
        for line in example["text"].splitlines():
            words = shlex.split(line)
            if words[:len(command.split()) + 1] != ["az"] + command.split():
                continue
            used = [w for w in words if w.startswith("-") and not w.lstrip("-").isdigit()]
            unknown = [w for w in used if w not in known]
            assert not unknown, f"{command} example uses unknown options {unknown}: {line}"


@pytest.mark.parametrize("group", GROUPS)
def test_every_group_has_help_that_says_commands_to(group):
    import yaml
    entry = yaml.safe_load(helps[group])
    assert entry["type"] == "group" and entry["short-summary"].startswith("Commands to"), group


def test_long_help_is_not_hard_wrapped():
    import yaml
    for name, text in helps.items():
        if name.startswith("aks azurelinux"):
            summary = yaml.safe_load(text).get("long-summary") or ""
            lines = [line for line in summary.split("\n") if line]  # folded: paragraphs only
            assert len(lines) <= 3, f"{name}: long-summary keeps hard line breaks"


def test_no_wait_comes_with_a_wait_command_and_delete_asks_first():
    for name in COMMANDS:
        group = name.rsplit(" ", 1)[0]
        if TABLE[name].supports_no_wait:
            assert f"{group} wait" in TABLE, f"{name} supports --no-wait but {group} has no wait command"
        if name.endswith(" delete"):
            assert TABLE[name].confirmation, f"{name} deletes without confirmation"


def test_the_loader_names_its_resource_type():
    from azure.cli.core.profiles import ResourceType
    assert LOADER.module_kwargs.get("resource_type") == ResourceType.MGMT_CONTAINERSERVICE


def test_preview_flags_match_the_metadata():
    with open(os.path.join(ROOT, "azext_azurelinux", "azext_metadata.json"), encoding="utf-8") as handle:
        preview = json.load(handle)["azext.isPreview"]
    for name in COMMANDS:
        assert bool(TABLE[name].command_kwargs.get("is_preview")) == preview, \
            f"{name}: is_preview does not match the metadata"


def test_every_python_file_carries_the_license_header():
    files = subprocess.run(["git", "ls-files", "*.py"], capture_output=True, text=True, cwd=ROOT,
                           check=True).stdout.split()
    assert files
    for path in files:
        with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
            text = handle.read()
        if text.startswith("#!"):
            text = text.split("\n", 1)[1]
        assert text.startswith(LICENSE), f"{path} lacks the license header"


def test_options_that_az_aks_also_has_are_spelled_as_az_aks_spells_them(core):
    checked = 0
    for ours, twins in CORE_TWINS.items():
        for twin in twins:
            core_options = {dest: argument.type.settings for dest, argument in core[twin].arguments.items()}
            for dest, settings in options(ours).items():
                if dest in core_options and long_options(core_options[dest]):
                    checked += 1
                    assert long_options(core_options[dest])[0] in long_options(settings), \
                        f"{ours} {long_options(settings)} is {long_options(core_options[dest])} in az {twin}"
    assert checked >= 30  # the comparison covered the shared options


def test_option_names_core_uses_for_what_we_renamed():
    add = options("aks azurelinux nodepool add")
    assert long_options(add["node_osdisk_size"]) == ["--node-osdisk-size"]
    assert options("aks azurelinux nodepool delete")["ignore_pdb"]["options_list"] == ["--ignore-pdb", "-i"]
