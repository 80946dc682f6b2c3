# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The `az aks azurelinux` extension: AKS node pools on Azure Linux.

The CLI imports this module for every `az aks ...` command, so it imports nothing but the
loader's base classes; the rest is deferred into the two methods the CLI calls.
"""
from azure.cli.core import AzCommandsLoader
from azure.cli.core.commands import CliCommandType
from azure.cli.core.profiles import ResourceType


class AzureLinuxCommandsLoader(AzCommandsLoader):
    def __init__(self, cli_ctx=None):
        custom = CliCommandType(operations_tmpl="azext_azurelinux.custom#{}")
        super().__init__(cli_ctx=cli_ctx, custom_command_type=custom,
                         resource_type=ResourceType.MGMT_CONTAINERSERVICE)

    def load_command_table(self, args):
        from azext_azurelinux.commands import load_command_table
        load_command_table(self, args)
        return self.command_table

    def load_arguments(self, command):
        from azext_azurelinux._params import load_arguments
        load_arguments(self, command)


COMMAND_LOADER_CLS = AzureLinuxCommandsLoader
