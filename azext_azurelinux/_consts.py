# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Constants shared by the commands: api-versions, provider paths, where caches live."""
import os

API_PROVIDER = "Microsoft.ContainerService"
# azure-mgmt-containerservice 41.6, bundled by Azure CLI 2.91 (azext.minCliCoreVersion); the CLI's profile leaves
# container service to the SDK's default (its entry is None), so it is stated here, and a unit test holds it to the
# bundled SDK's default.
API_VERSION = "2026-06-01"
FLEET_API = "2025-03-01"  # Azure Kubernetes Fleet Manager
GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
GRAPH_API = "2024-04-01"
PROGRESS_SECONDS = 15  # how often a long wait says it is still waiting


def cache_dir(cli_ctx):
    """Where the extension keeps what it caches (the day's VM size list): beside the CLI's own configuration."""
    return os.path.join(cli_ctx.config.config_dir, "azurelinux")
