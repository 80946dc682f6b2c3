# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Done the CLI's way: exit codes that do not leak from one command to the next in one process, progress that
--only-show-errors silences, the CLI's own error types, and the preview notice in help."""
import json
import subprocess

from tests.e2e.conftest import pool_spec

SCRIPT = """
import json, sys
from azure.cli.core import get_default_cli
codes = []
cli = get_default_cli()
for args in json.loads(sys.argv[1]):
    try:
        codes.append(cli.invoke(args, out_file=open("/dev/null", "w")))
    except SystemExit as stop:
        codes.append(stop.code)
print(json.dumps(codes))
"""


def test_two_commands_in_one_process_get_their_own_exit_codes(az):
    runs = [["aks", "azurelinux", "check", "--node-vm-size", "Standard_NC24ads_A100_v4"],
            ["aks", "azurelinux", "vm-size", "list"],
            ["aks", "azurelinux", "check", "--node-vm-size", "Standard_NC4as_T4_v3"],
            ["aks", "azurelinux", "check", "--node-vm-size", "Standard_NC24ads_A100_v4"]]
    python = az.executable.replace("/az", "/python")
    result = subprocess.run([python, "-c", SCRIPT, json.dumps(runs)], env=az.env, capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [1, 0, 0, 1]


def test_only_show_errors_silences_progress(az, emulator, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("web")])
    quiet = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster, "--yes", "--only-show-errors")
    assert quiet.code == 0 and quiet.err == "", quiet
    assert {p["pool"]: p["outcome"] for p in quiet.json["pools"]}["web"] == "succeeded"
    emulator.clear_requests()
    cluster2 = seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("api")], name="c2")
    loud = az("aks", "azurelinux", "migrate", "-g", rg, "-n", cluster2, "--yes")
    assert "api: changing the OS SKU from Ubuntu to AzureLinux in place" in loud.err  # plain lines in a log


def test_no_terminal_is_the_clis_no_tty_error(az, rg, seed_cluster):
    cluster = seed_cluster([pool_spec("system", mode="System"), pool_spec("ask")])
    result = az("aks", "azurelinux", "nodepool", "migrate", "-g", rg, "--cluster-name", cluster, "-n", "ask",
                "--debug")
    assert result.code == 1 and "NoTTYError" in result.err and "run it again with --yes" in result.err


def test_help_shows_the_preview_notice_and_unwrapped_text(az):
    shown = az.ok("aks", "azurelinux", "nodepool", "migrate", "--help").out
    assert "preview" in shown.lower()
    group = az.ok("aks", "azurelinux", "--help").out
    assert "Commands to run AKS node pools on Azure Linux" in group
