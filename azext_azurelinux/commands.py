# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The command table: one `with` block per group, read like the help page.

The CLI builds this table for every `az aks ...` command, ours or not, so validators and
table transformers are named here and imported only when one of our commands runs.
"""
from azure.cli.core.commands import CliCommandType

from azext_azurelinux._client_factory import cf_agent_pools, cf_container_service, cf_managed_clusters


def _validator(name):
    def validate(namespace):
        from azext_azurelinux import _validators
        _validators.validate(name, namespace)
    return validate


def _table(name):
    def transform(result):
        from azext_azurelinux import _format
        return getattr(_format, name)(result)
    return transform


def load_command_table(self, _):
    from azext_azurelinux import _help  # noqa: F401  pylint: disable=unused-import
    custom = CliCommandType(operations_tmpl="azext_azurelinux.custom#{}")

    with self.command_group("aks azurelinux", custom_command_type=custom, client_factory=cf_managed_clusters,
                            is_preview=True) as g:
        g.custom_command("create", "create_cluster", supports_no_wait=True, validator=_validator("validate_create"))
        g.custom_wait_command("wait", "get_cluster", validator=_validator("validate_cluster_ref"))

    with self.command_group("aks azurelinux", custom_command_type=custom, client_factory=cf_container_service,
                            is_preview=True) as g:
        g.custom_command("migrate", "migrate_cluster", validator=_validator("validate_migrate"),
                         table_transformer=_table("migration_table"))
        g.custom_command("inventory", "inventory_pools", validator=_validator("validate_inventory"),
                         table_transformer=_table("inventory_table"))
        g.custom_command("migrate-fleet", "migrate_fleet", validator=_validator("validate_migrate_fleet"),
                         table_transformer=_table("fleet_table"))

    # Offline checks need no client, so no sign-in: no client factory runs for them (the live check makes its own).
    with self.command_group("aks azurelinux", custom_command_type=custom, is_preview=True) as g:
        g.custom_command("check", "check", validator=_validator("validate_check"),
                         table_transformer=_table("check_table"))
        g.custom_command("check-template", "check_template", validator=_validator("validate_check_template"),
                         table_transformer=_table("template_table"))

    with self.command_group("aks azurelinux vm-size", custom_command_type=custom, is_preview=True) as g:
        g.custom_command("list", "list_vm_sizes", validator=_validator("validate_policy_choice"),
                         table_transformer=_table("vm_size_table"))

    with self.command_group("aks azurelinux policy", custom_command_type=custom, is_preview=True) as g:
        g.custom_show_command("show", "show_policy", validator=_validator("validate_policy_choice"),
                              table_transformer=_table("policy_show_table"))
        g.custom_command("list", "list_policies", validator=_validator("validate_policy_choice"),
                         table_transformer=_table("policy_list_table"))

    with self.command_group("aks azurelinux nodepool", custom_command_type=custom, client_factory=cf_agent_pools,
                            is_preview=True) as g:
        g.custom_command("add", "add_nodepool", supports_no_wait=True, validator=_validator("validate_nodepool_add"))
        g.custom_command("list", "list_nodepools", validator=_validator("validate_nodepool_list"),
                         table_transformer=_table("nodepool_list_table"))
        g.custom_show_command("show", "show_nodepool", validator=_validator("validate_nodepool_ref"),
                              table_transformer=_table("nodepool_show_table"))
        g.custom_command("delete", "delete_nodepool", supports_no_wait=True, confirmation=True,
                         validator=_validator("validate_nodepool_ref"))
        g.custom_command("migrate", "migrate_nodepool", validator=_validator("validate_nodepool_migrate"),
                         table_transformer=_table("migration_table"))
        g.custom_command("rollback", "rollback_nodepool", supports_no_wait=True, confirmation=False,
                         validator=_validator("validate_nodepool_rollback"),
                         table_transformer=_table("migration_table"))
        g.custom_wait_command("wait", "get_nodepool", validator=_validator("validate_nodepool_ref"))
