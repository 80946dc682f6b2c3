# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Clients for the commands, through the CLI's own profile of azure-mgmt-containerservice."""


def cf_container_service(cli_ctx, *_, subscription_id=None):
    from azure.cli.core.commands.client_factory import get_mgmt_service_client
    from azure.cli.core.profiles import ResourceType
    return get_mgmt_service_client(cli_ctx, ResourceType.MGMT_CONTAINERSERVICE, subscription_id=subscription_id)


def cf_managed_clusters(cli_ctx, *_):
    return cf_container_service(cli_ctx).managed_clusters


def cf_agent_pools(cli_ctx, *_):
    return cf_container_service(cli_ctx).agent_pools


def cf_resource_groups(cli_ctx, *_):
    from azure.cli.core.commands.client_factory import get_mgmt_service_client
    from azure.cli.core.profiles import ResourceType
    return get_mgmt_service_client(cli_ctx, ResourceType.MGMT_RESOURCE_RESOURCES).resource_groups
