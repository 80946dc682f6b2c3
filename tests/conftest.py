# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Shared set-up: the extension is built once as a wheel, before any test worker starts."""
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHEEL_ENV = "AZURELINUX_TEST_WHEEL"


def build_wheel(out_dir, source=ROOT):
    """Build the extension's wheel (of this tree, or of another checkout at `source`) as a user would get it, and
    return its path."""
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out_dir, source],
                   check=True, capture_output=True, cwd=source)
    return glob.glob(os.path.join(out_dir, "azurelinux-*.whl"))[0]


def pytest_configure(config):
    # Only the controller builds (xdist workers inherit the environment it sets).
    if hasattr(config, "workerinput") or os.environ.get(WHEEL_ENV):
        return
    if any("e2e" in str(arg) for arg in config.args) or any(arg.rstrip("/").endswith("tests") for arg in config.args):
        os.environ[WHEEL_ENV] = build_wheel(tempfile.mkdtemp(prefix="azurelinux-wheel-"))


def pytest_terminal_summary(terminalreporter):
    """Print the fault-injection outcome table that tests/e2e/test_faults.py records."""
    rows = [value for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
            for key, value in getattr(report, "user_properties", []) if key == "fault_outcome"]
    if not rows:
        return
    terminalreporter.write_sep("-", f"fault injection: {len(rows)} runs")
    terminalreporter.write_line("| command | request | fault | exit | outcome |")
    terminalreporter.write_line("|---|---|---|---|---|")
    for row in sorted(rows):
        terminalreporter.write_line(row)
