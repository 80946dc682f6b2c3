# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Secrets hygiene: no token, client secret or Authorization value in any output, even with --debug; TLS on."""
import os
import re

import pytest

from tests.e2e.conftest import pool_spec
from tests.emulator.client import CLIENT_SECRET, ROOT


def commands(rg):
    nodepool = ["-g", rg, "--cluster-name", "c1"]
    return [
        ["aks", "azurelinux", "create", "-g", rg, "-n", "c2"],
        ["aks", "azurelinux", "wait", "-g", rg, "-n", "c2", "--created"],
        ["aks", "azurelinux", "nodepool", "add", *nodepool, "-n", "added", "--security-module", "selinux"],
        ["aks", "azurelinux", "nodepool", "add", *nodepool, "-n", "a100", "--node-vm-size",
         "Standard_NC24ads_A100_v4"],
        ["aks", "azurelinux", "nodepool", "list", *nodepool, "-o", "table"],
        ["aks", "azurelinux", "nodepool", "show", *nodepool, "-n", "added"],
        ["aks", "azurelinux", "nodepool", "wait", *nodepool, "-n", "added", "--created"],
        ["aks", "azurelinux", "nodepool", "migrate", *nodepool, "-n", "web", "--yes"],
        ["aks", "azurelinux", "nodepool", "migrate", *nodepool, "-n", "api", "--strategy", "new-pool", "--yes"],
        ["aks", "azurelinux", "migrate", "-g", rg, "-n", "c1", "--yes"],
        ["aks", "azurelinux", "nodepool", "delete", *nodepool, "-n", "added", "--yes"],
        ["aks", "azurelinux", "check", "--node-vm-size", "Standard_NC4as_T4_v3"],
        ["aks", "azurelinux", "vm-size", "list"],
        ["aks", "nodepool", "list", *nodepool],
    ]


def test_debug_output_never_shows_a_token_or_the_secret(az, emulator, rg, seed_cluster):
    seed_cluster([pool_spec("system", mode="System", os_sku="AzureLinux"), pool_spec("web"), pool_spec("api"),
                  pool_spec("batch")])
    outputs = []
    for args in commands(rg):
        result = az(*args, "--debug")
        # every command works, but for the refused A100 pool (whose traceback --debug logs, as the CLI does)
        assert result.code == (1 if "a100" in args else 0), result
        outputs.append((args, result.out + result.err))
    tokens = emulator.admin("GET", "tokens")
    assert tokens, "the emulator issued no token: the scan would prove nothing"
    requests_seen = sum(text.count("Request URL") for _, text in outputs)
    assert requests_seen > 10, "--debug logged too few requests for the scan to mean anything"
    for args, text in outputs:
        assert CLIENT_SECRET not in text, args
        for token in tokens:
            assert token not in text and token.split(".")[2] not in text, args
        for line in text.splitlines():
            if "authorization" in line.lower() and ":" in line:
                assert not re.search(r"Bearer\s+[A-Za-z0-9_\-]{8,}", line), (args, line)


def test_the_cli_refuses_the_emulator_without_its_ca(az, emulator, rg, seed_cluster):
    seed_cluster()
    env = dict(az.env, REQUESTS_CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt")
    from tests.e2e.conftest import Az
    result = Az(env)("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", "c1")
    assert result.code != 0 and re.search(r"SSL|certificate", result.err, re.IGNORECASE), result
    assert not [e for e in emulator.requests() if e["path"].startswith("/subscriptions")]


UNVERIFIED = re.compile(r"verify\s*=\s*False|connection_verify\s*=\s*False|CERT_NONE|_create_unverified_context|"
                        r"DISABLE_CONNECTION_VERIFICATION|check_hostname\s*=\s*False")


@pytest.mark.parametrize("folder", ["azext_azurelinux", "tests", "demo", "bench"])
def test_no_code_turns_tls_verification_off(folder):
    this_file = os.path.abspath(__file__)
    offenders = []
    for base, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in files:
            path = os.path.join(base, name)
            if name.endswith(".py") and path != this_file:
                with open(path, encoding="utf-8") as handle:
                    offenders += [f"{path}:{n}" for n, line in enumerate(handle, 1) if UNVERIFIED.search(line)]
    assert offenders == []


def test_public_key_inline_is_accepted(az, emulator, rg):
    # A private key is refused without being printed: test_commands.py's
    # test_create_refuses_a_private_key_without_printing_it covers that, under --debug.
    # a structurally valid RSA public key (core, and now we, refuse a blob that does not decode as one)
    key = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC6LwuZDdMfReslATRp98aaQGZBXmP/HJoz82gNOrF1q+kO7b1jqTjSVqKkkq9PfSwS"
           "5YaGMBoXKkZ9cJ3WFznUXrnK45Hi8a8hxngJTxniP1BTFBblUxZXwCHLWT3UYv/H7fdnLBtoO2tcGjE0w/B/M1orwFDKmAuhpEa9HFaNB"
           "Q== user@host")
    result = az("aks", "azurelinux", "create", "-g", rg, "-n", "k1", "--location", "eastus", "--ssh-key-value", key,
                "--dry-run")
    assert result.code == 0, result
    fake = az("aks", "azurelinux", "create", "-g", rg, "-n", "k2", "--location", "eastus", "--ssh-key-value",
              "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDbenchmarkkeyonly user@host", "--dry-run")
    assert fake.code != 0 and "is not an OpenSSH public key" in fake.err
    assert result.json["body"]["properties"]["linuxProfile"]["ssh"]["publicKeys"] == [{"keyData": key}]
