# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Start the emulator in a subprocess, talk to its admin API, and sign a private `az` in to it.

Used by the test fixtures, `make demo` and the benchmarks, so that each sets up the same way.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import requests

TENANT_ID = "00000000-0000-0000-0000-0000000e1a7e"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
# A client secret for the emulator only: tests check it never shows in any output.
CLIENT_SECRET = "emulator-client-secret-5f3c9a"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class EmulatorProcess:
    """The emulator running as `python -m tests.emulator` until `stop()`."""

    def __init__(self, state_dir, operation_seconds=0.0, retry_after="1", port=0):
        self.state_dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        endpoint = os.path.join(state_dir, "endpoint.json")
        if os.path.exists(endpoint):
            os.remove(endpoint)
        self._log = open(os.path.join(state_dir, "emulator.log"), "wb")  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-m", "tests.emulator", "--state-dir", state_dir, "--port", str(port),
             "--operation-seconds", str(operation_seconds), "--retry-after", str(retry_after)],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while not os.path.exists(endpoint):
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                with open(os.path.join(state_dir, "emulator.log"), encoding="utf-8", errors="replace") as handle:
                    raise RuntimeError(f"the emulator did not start:\n{handle.read()}")
            time.sleep(0.05)
        with open(endpoint, encoding="utf-8") as handle:
            info = json.load(handle)
        self.url = info["url"]
        self.ca_bundle = info["ca_bundle"]
        self.session = requests.Session()
        self._token = None

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()

    # ---- admin API ---------------------------------------------------------------------
    def admin(self, method, action, body=None):
        response = self.session.request(method, f"{self.url}/_emulator/{action}", json=body, verify=self.ca_bundle,
                                        timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self):
        return self.admin("GET", "requests")

    def clear_requests(self):
        self.admin("DELETE", "requests")

    def operations(self):
        return self.admin("GET", "operations")

    def seed(self, spec):
        return self.admin("POST", "seed", spec)

    def fault(self, kind, path="", method=None, count=1, retry_after=1, skip=0):
        return self.admin("POST", "faults", {"kind": kind, "path": path, "method": method, "count": count,
                                             "retry_after": retry_after, "skip": skip})

    def clear_faults(self):
        self.admin("DELETE", "faults")

    def configure(self, **settings):
        return self.admin("POST", "config", settings)

    def arm(self, method, path, body=None, headers=None):
        """An ARM call straight to the emulator (tests read state this way, never through the code under test)."""
        if self._token is None:
            self._token = self.session.post(f"{self.url}/{TENANT_ID}/oauth2/v2.0/token",
                                            data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                  "client_secret": CLIENT_SECRET, "scope": "x/.default"},
                                            verify=self.ca_bundle, timeout=30).json()["access_token"]
        token = self._token
        sep = "&" if "?" in path else "?"
        return self.session.request(method, f"{self.url}{path}{sep}api-version=2026-06-01", json=body,
                                    headers=dict(headers or {}, Authorization=f"Bearer {token}"),
                                    verify=self.ca_bundle, timeout=30)


def az_environment(config_dir, ca_bundle, extension_dir=None):
    """The environment for an `az` that talks only to the emulator, with its own configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "AZ_"))}
    env.update({"AZURE_CONFIG_DIR": config_dir, "REQUESTS_CA_BUNDLE": ca_bundle,
                "AZURE_CORE_COLLECT_TELEMETRY": "false", "AZURE_CORE_NO_COLOR": "true",
                "AZURE_CORE_SURVEY_MESSAGE": "false", "AZURE_CORE_ONLY_SHOW_ERRORS": "false",
                "AZURE_EXTENSION_USE_DYNAMIC_INSTALL": "no", "PYTHONWARNINGS": "ignore",
                # `az` is `python -m azure.cli`, which puts the working folder first on sys.path: run from the
                # repository, it would import azext_azurelinux from the source tree, not the installed wheel
                "PYTHONSAFEPATH": "1"})
    if extension_dir:
        env["AZURE_EXTENSION_DIR"] = extension_dir
    # a home of its own: create's default SSH key (~/.ssh/id_rsa.pub, as core's) and --generate-ssh-keys never see
    # or touch the user's own keys, and every machine runs the same scenario
    env["HOME"] = os.path.join(config_dir, "home")
    os.makedirs(env["HOME"], exist_ok=True)
    return env


def az_executable():
    """The `az` of the environment running this code (the project's .venv)."""
    candidate = os.path.join(os.path.dirname(sys.executable), "az")
    return candidate if os.path.exists(candidate) else shutil.which("az")


def sign_in(emulator, config_dir, extension_dir=None):
    """Register the emulator as a cloud in a fresh config dir and sign in as a service principal."""
    if os.path.exists(config_dir):
        shutil.rmtree(config_dir)
    os.makedirs(config_dir)
    env = az_environment(config_dir, emulator.ca_bundle, extension_dir)
    az = az_executable()
    steps = [
        ["config", "set", "core.instance_discovery=false", "core.collect_telemetry=false",
         "core.survey_message=false", "extension.use_dynamic_install=no", "--only-show-errors"],
        ["cloud", "register", "-n", "AzureLinuxEmulator", "--skip-endpoint-discovery",
         "--endpoint-resource-manager", emulator.url + "/", "--endpoint-active-directory", emulator.url,
         "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
         "--endpoint-management", "https://management.core.windows.net/",
         "--endpoint-active-directory-graph-resource-id", "https://graph.windows.net/", "--only-show-errors"],
        ["cloud", "set", "-n", "AzureLinuxEmulator", "--only-show-errors"],
        ["login", "--service-principal", "-u", CLIENT_ID, "-p", CLIENT_SECRET, "--tenant", TENANT_ID,
         "-o", "none", "--only-show-errors"],
    ]
    for step in steps:
        result = subprocess.run([az] + step, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"az {' '.join(step[:2])} failed: {result.stderr.replace(CLIENT_SECRET, '***')}")
    return env
