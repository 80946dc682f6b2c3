# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Capture what core `az aks create` sends for production option sets: the reference for the e2e comparison.

Not a test. Run from the repository root:

    .venv/bin/python tests/data/capture_core_create.py > tests/data/core_create_bodies.json

It starts the emulator in this process, with the virtual networks, identities and role assignments of
`tests/emulator/network.py` wired in (as the hook in that module's docstring describes, by a subclass here, so that
server.py is unchanged), signs a private core `az` in to it (no extension installed, HOME in a temporary folder so
that `--generate-ssh-keys` writes there), runs `az aks create` once per option set, and prints, for each, the command,
its exit code, and every ARM request it made (method, path, query, status, body) from the emulator's request log.
With `--stock`, the emulator is the unchanged one (no subnets, identities or role assignments), to see what core
needs of it that it does not serve yet.
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

# pylint: disable=wrong-import-position
from aiohttp import web  # noqa: E402

from tests import production_create  # noqa: E402
from tests.emulator.__main__ import make_tls  # noqa: E402
from tests.emulator.client import az_executable, sign_in  # noqa: E402
from tests.emulator.network import Network  # noqa: E402
from tests.emulator.server import Emulator  # noqa: E402
from tests.emulator.store import SUBSCRIPTION_ID, TENANT_ID  # noqa: E402

RG = "rg-capture"
LOCATION = "westeurope"
NETWORK_RG = "rg-network"
VNET_ID = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{NETWORK_RG}/providers/Microsoft.Network/"
           "virtualNetworks/vnet-prod")
IDENTITY_BASE = f"/subscriptions/{SUBSCRIPTION_ID}/resourcegroups/{NETWORK_RG}/providers/" \
                "Microsoft.ManagedIdentity/userAssignedIdentities"


WiredEmulator = Emulator  # server.py serves network.py since issue 21 was wired; --stock is the same now


# The names this capture gives the shared sets (core_create_bodies.json keeps them)
CAPTURE_NAMES = {"overlay-cilium-entra": "overlay-cilium-entra-autoscale",
                 "subnet-lts": "byo-subnet-system-identity-lts",
                 "private-identities": "private-user-identity-udr",
                 "kubenet-calico": "kubenet-calico-skip-assignment"}


def option_sets(home):
    """The production option sets (tests/production_create.py) and a baseline with none, each as core `az aks
    create` takes them: subnet-lts names the OS SKU and a key file, kubenet-calico the key that
    --generate-ssh-keys wrote (@PUBLIC_KEY@, filled in before it runs)."""
    shared = production_create.option_sets(f"{VNET_ID}/subnets", IDENTITY_BASE,
                                           (os.path.join(home, ".ssh", "id_rsa.pub"), "@PUBLIC_KEY@"),
                                           lts_extra=("--os-sku", "AzureLinux3"))
    return [("baseline", [])] + [(CAPTURE_NAMES[name], options) for name, options in shared.items()]


def seed(emulator):
    for group in (RG, NETWORK_RG):
        emulator.store.put_group(group, {"location": LOCATION})
    emulator.network.seed({
        "virtualNetworks": [{"resourceGroup": NETWORK_RG, "name": "vnet-prod", "location": LOCATION,
                             "addressPrefixes": ["10.224.0.0/12"],
                             "subnets": [{"name": "nodes", "addressPrefix": "10.224.0.0/16"},
                                         {"name": "private", "addressPrefix": "10.225.0.0/16"},
                                         {"name": "kubenet", "addressPrefix": "10.226.0.0/16"}]}],
        "identities": [{"resourceGroup": NETWORK_RG, "name": "id-control-plane", "location": LOCATION},
                       {"resourceGroup": NETWORK_RG, "name": "id-kubelet", "location": LOCATION}]})


def serve(emulator, state_dir):
    """Run the emulator on its own event loop in a daemon thread; returns an object like EmulatorProcess."""
    context, ca_bundle = make_tls(state_dir)
    started = threading.Event()
    info = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(emulator.app(), access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        loop.run_until_complete(site.start())
        info["port"] = site._server.sockets[0].getsockname()[1]  # pylint: disable=protected-access
        emulator.base_url = f"https://127.0.0.1:{info['port']}"
        started.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    started.wait(30)
    return types.SimpleNamespace(url=emulator.base_url, ca_bundle=ca_bundle)


def interesting(entry):
    path = entry["path"].lower()
    return path.startswith("/subscriptions") and "/operations/" not in path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--stock", action="store_true", help="use the emulator without network.py's hook")
    args = parser.parse_args(argv)
    state = tempfile.mkdtemp(prefix="capture-core-create-")
    emulator = Emulator() if args.stock else WiredEmulator()
    if args.stock:
        emulator.network = Network(SUBSCRIPTION_ID, TENANT_ID)  # seeded but never served
    seed(emulator)
    endpoint = serve(emulator, state)
    home = os.path.join(state, "home")
    os.makedirs(home)
    env = sign_in(endpoint, os.path.join(state, "config"))
    env = dict(env, HOME=home, AZURE_EXTENSION_DIR=os.path.join(state, "no-extensions"))
    version = subprocess.run([az_executable(), "version", "-o", "json"], env=env, capture_output=True, text=True,
                             check=True).stdout
    results = []
    for index, (name, options) in enumerate(option_sets(home)):
        key_file = os.path.join(home, ".ssh", "id_rsa.pub")
        public_key = ""
        if os.path.exists(key_file):
            with open(key_file, encoding="utf-8") as handle:
                public_key = handle.read().strip()
        options = [public_key if o == "@PUBLIC_KEY@" else o for o in options]
        cluster = f"capture{index}"
        command = ["aks", "create", "-g", RG, "-n", cluster, "--os-sku", "AzureLinux", "-o", "json"]
        if "--os-sku" in options:
            command = command[:6] + command[8:]
        command += options
        emulator.log.clear()
        done = subprocess.run([az_executable()] + command, env=env, capture_output=True, text=True, check=False,
                              timeout=900)
        if "--generate-ssh-keys" in options and os.path.exists(key_file):
            with open(key_file, encoding="utf-8") as handle:
                public_key = handle.read().strip()
        requests = [{"method": e["method"], "path": e["path"], "query": e["query"], "status": e.get("status"),
                     "body": e["body"]} for e in emulator.log if interesting(e)]
        cluster_path = f"/managedclusters/{cluster}"
        put = [r for r in requests if r["method"] == "PUT" and r["path"].lower().endswith(cluster_path)]
        shown = ["az"] + [public_key[:24] + "..." if public_key and o == public_key else o for o in command]
        results.append({"name": name, "command": shown,
                        "exitCode": done.returncode, "stderr": done.stderr.strip().splitlines()[-8:],
                        "sshPublicKeyUsed": public_key if "--no-ssh-key" not in options else None,
                        "clusterPutBody": put[0]["body"] if put else None, "requests": requests})
    text = json.dumps({"generatedBy": "tests/data/capture_core_create.py" + (" --stock" if args.stock else ""),
                       "azVersion": json.loads(version), "emulatorWiring": "stock" if args.stock else "network.py",
                       "resourceGroup": RG, "location": LOCATION, "optionSets": results}, indent=2)
    print(text.replace(state, "<tmp>"))  # the temporary folder differs from run to run


if __name__ == "__main__":
    main()
