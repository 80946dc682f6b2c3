"""The command table: one `with` block per group, read like the help page."""
from azure.cli.core.commands import CliCommandType

from azext_azurelinux._client_factory import cf_agent_pools, cf_managed_clusters
from azext_azurelinux._format import (check_table, migration_table, nodepool_list_table, nodepool_show_table,
                                      vm_size_table)
from azext_azurelinux._validators import (validate_check, validate_cluster_ref, validate_create, validate_migrate,
                                          validate_nodepool_add, validate_nodepool_migrate, validate_nodepool_ref)


def load_command_table(self, _):
    from azext_azurelinux import _help  # noqa: F401  pylint: disable=unused-import
    custom = CliCommandType(operations_tmpl="azext_azurelinux.custom#{}")

    with self.command_group("aks azurelinux", custom_command_type=custom,
                            client_factory=cf_managed_clusters) as g:
        g.custom_command("create", "create_cluster", supports_no_wait=True, validator=validate_create)
        g.custom_command("migrate", "migrate_cluster", validator=validate_migrate, table_transformer=migration_table)
        g.custom_wait_command("wait", "get_cluster", validator=validate_cluster_ref)

    with self.command_group("aks azurelinux", custom_command_type=custom) as g:
        g.custom_command("check", "check", validator=validate_check, table_transformer=check_table)

    with self.command_group("aks azurelinux vm-size", custom_command_type=custom) as g:
        g.custom_command("list", "list_vm_sizes", table_transformer=vm_size_table)

    with self.command_group("aks azurelinux nodepool", custom_command_type=custom,
                            client_factory=cf_agent_pools) as g:
        g.custom_command("add", "add_nodepool", supports_no_wait=True, validator=validate_nodepool_add)
        g.custom_command("list", "list_nodepools", table_transformer=nodepool_list_table)
        g.custom_show_command("show", "show_nodepool", validator=validate_nodepool_ref,
                              table_transformer=nodepool_show_table)
        g.custom_command("delete", "delete_nodepool", supports_no_wait=True, confirmation=True,
                         validator=validate_nodepool_ref)
        g.custom_command("migrate", "migrate_nodepool", validator=validate_nodepool_migrate,
                         table_transformer=migration_table)
        g.custom_wait_command("wait", "get_nodepool", validator=validate_nodepool_ref)
