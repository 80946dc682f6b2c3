# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Arguments, named as `az aks` names them so that users' habits carry over."""
from azure.cli.core.commands.parameters import (get_enum_type, get_location_type, get_resource_name_completion_list,
                                                tags_type)
from knack.arguments import CLIArgumentType

from azext_azurelinux._completers import (get_kubernetes_version_completion_list, get_nodepool_completion_list,
                                          get_policy_edition_completion_list, get_vm_size_completion_list)

CLUSTERS = "Microsoft.ContainerService/ManagedClusters"

OS_SKUS = ["AzureLinux", "AzureLinux3"]  # the founding edition's; aks-2026 adds AzureContainerLinux
SECURITY_MODULES = ["none", "selinux", "apparmor"]


def load_arguments(self, _):  # pylint: disable=too-many-statements
    cluster_name = CLIArgumentType(options_list=["--cluster-name"], help="Name of the managed cluster.",
                                   completer=get_resource_name_completion_list(CLUSTERS))
    nodepool_name = CLIArgumentType(options_list=["--name", "-n", "--nodepool-name"], help="Name of the node pool.",
                                    completer=get_nodepool_completion_list)
    # Free text rather than an enum: an unknown SKU or module gets the policy's reason, not a bare list.
    os_sku = CLIArgumentType(options_list=["--os-sku"], default="AzureLinux",
                             help=f"Azure Linux OS SKU: {' or '.join(OS_SKUS)}. AzureLinux is Azure Linux 3.0 on "
                                  "Kubernetes 1.32 and later; AzureLinux3 is accepted on 1.28 to 1.36. The aks-2026 "
                                  "policy edition adds AzureContainerLinux (Kubernetes 1.34+, Trusted Launch, Gen2).")
    security_module = CLIArgumentType(
        options_list=["--security-module"],
        help=f"Linux security module: {', '.join(SECURITY_MODULES)}. selinux is supported by manual configuration "
             "(the pool is labelled so your configuration can target it); apparmor is refused.")
    yes = CLIArgumentType(options_list=["--yes", "-y"], action="store_true",
                          help="Do not prompt for confirmation.")
    dry_run = CLIArgumentType(options_list=["--dry-run"], action="store_true",
                              help="Print the exact request that would be sent, and send nothing that changes "
                                   "anything.")

    with self.argument_context("aks azurelinux") as c:
        c.argument("os_sku", os_sku)
        c.argument("security_module", security_module)
        c.argument("dry_run", dry_run)
        c.argument("node_vm_size", options_list=["--node-vm-size", "-s"], help="VM size of the nodes.",
                   completer=get_vm_size_completion_list)
        c.argument("kubernetes_version", options_list=["--kubernetes-version", "-k"],
                   help="Kubernetes version, such as 1.33 or 1.33.5.", completer=get_kubernetes_version_completion_list)
        c.argument("node_count", options_list=["--node-count", "-c"], type=int, help="Number of nodes.")
        c.argument("zones", options_list=["--zones", "-z"], nargs="+", help="Availability zones: 1, 2 and/or 3.")
        c.argument("max_pods", options_list=["--max-pods", "-m"], type=int,
                   help="Maximum pods per node (10 to 250); fixed at creation.")
        c.argument("enable_fips_image", action="store_true", help="Use a FIPS-enabled image.")
        c.argument("enable_secure_boot", action="store_true", help="Turn on Secure Boot (Trusted Launch).")
        c.argument("enable_vtpm", action="store_true", help="Turn on vTPM (Trusted Launch).")
        c.argument("tags", tags_type)

    for scope in ("aks azurelinux create", "aks azurelinux migrate", "aks azurelinux wait"):
        with self.argument_context(scope) as c:
            c.argument("name", options_list=["--name", "-n"], help="Name of the managed cluster.",
                       completer=get_resource_name_completion_list(CLUSTERS))

    with self.argument_context("aks azurelinux create") as c:
        c.argument("location", get_location_type(self.cli_ctx), help="Location. Default: the resource group's.")
        c.argument("nodepool_name", options_list=["--nodepool-name"], help="Name of the system node pool.")
        c.argument("node_count", options_list=["--node-count", "-c"], type=int, default=3,
                   help="Number of nodes of the system pool.")
        c.argument("enable_defender", action="store_true",
                   help="Turn on Microsoft Defender for Containers; needs --defender-workspace.")
        c.argument("defender_workspace", options_list=["--defender-workspace"],
                   help="Resource id of the Log Analytics workspace Defender reports to.")
        c.argument("ssh_key_value", options_list=["--ssh-key-value"],
                   help="SSH public key, or the path of a file holding one. Default: ~/.ssh/id_rsa.pub when it "
                        "exists, as core az aks create; else no SSH key.")
        _production_create_arguments(c)

    for scope in ("aks azurelinux check", "aks azurelinux vm-size list", "aks azurelinux check-template"):
        with self.argument_context(scope) as c:
            c.argument("policy_edition", options_list=["--policy"], completer=get_policy_edition_completion_list,
                       help="Policy edition to check against instead of the one in force (az aks azurelinux policy "
                            "list), without changing the setting.")

    with self.argument_context("aks azurelinux check-template") as c:
        c.argument("template_file", options_list=["--template-file", "-f"],
                   help="An ARM template (JSON, such as az bicep build writes) or a .bicep file, compiled by the Bicep "
                        "already installed (never downloaded).")
        c.argument("parameters", options_list=["--parameters", "-p"], action="append", nargs="+",
                   help="Template parameters as az deployment group create takes them: a parameters file (@file.json "
                        "or its path) or KEY=VALUE pairs; repeatable, later values win.")
        c.argument("terraform_plan", options_list=["--terraform-plan"],
                   help="The JSON of `terraform show -json PLAN`.")
        c.argument("strict", action="store_true",
                   help="Count pools whose values are known only at deployment (not-evaluated) as refused.")
        c.argument("sarif", options_list=["--sarif"], help="Also write a SARIF 2.1.0 report to this file (GitHub code "
                                                           "scanning).")
        c.argument("junit", options_list=["--junit"], help="Also write a JUnit XML report to this file (Azure "
                                                           "Pipelines, GitLab).")

    with self.argument_context("aks azurelinux check") as c:
        c.argument("os_sku", options_list=["--os-sku"], default=None,
                   help=f"Azure Linux OS SKU to check: {' or '.join(OS_SKUS)}.")
        c.argument("resource_group_name", options_list=["--resource-group", "-g"], required=False,
                   help="With --cluster-name: check a migration of that cluster live (quota, VM sizes, versions).")
        c.argument("cluster_name", options_list=["--cluster-name"],
                   help="Cluster whose migration to check live, with nothing changed.",
                   completer=get_resource_name_completion_list(CLUSTERS))
        c.argument("strategy", arg_type=get_enum_type(["in-place", "new-pool"]), default=None,
                   help="Strategy of the migration to check (with --cluster-name). Default: in-place.")
        c.argument("max_surge", options_list=["--max-surge"],
                   help="Surge of the migration to check (with --cluster-name): a count or a percentage.")
        c.argument("max_parallel", options_list=["--max-parallel"], type=int, default=None,
                   help="Pools migrated at a time (with --cluster-name). Default: 2.")
        c.argument("skip_workload_check", options_list=["--skip-workload-check"], action="store_true",
                   help="With --cluster-name: do not read the cluster's Kubernetes API for pod disruption budgets "
                        "and workloads pinned to the old OS.")

    with self.argument_context("aks azurelinux nodepool") as c:
        c.argument("cluster_name", cluster_name)
        c.argument("nodepool_name", nodepool_name)

    with self.argument_context("aks azurelinux nodepool add") as c:
        c.argument("node_vm_size", options_list=["--node-vm-size", "-s"],
                   help="VM size of the nodes (default: AKS picks one). GPU sizes: NCv3 and NCasT4_v3 only.")
        c.argument("node_count", options_list=["--node-count", "-c"], type=int, default=3, help="Number of nodes.")
        c.argument("mode", arg_type=get_enum_type(["System", "User"]), default="User", help="Pool mode.")
        c.argument("labels", nargs="*", help="Node labels: space-separated key=value pairs.")
        c.argument("node_taints", help="Node taints: comma-separated key=value:Effect, such as sku=gpu:NoSchedule.")
        c.argument("enable_cluster_autoscaler", options_list=["--enable-cluster-autoscaler", "-e"],
                   action="store_true", help="Turn on the cluster autoscaler; needs --min-count and --max-count.")
        c.argument("min_count", type=int, help="Smallest node count the autoscaler may set.")
        c.argument("max_count", type=int, help="Largest node count the autoscaler may set.")
        c.argument("node_osdisk_size", options_list=["--node-osdisk-size"], type=int,
                   help="OS disk size in GB (0 for the VM size's default, up to 2048).")
        c.argument("gpu_driver", arg_type=get_enum_type(["Install", "None"]),
                   help="Install the GPU driver (Install, the service's default) or not (None); GPU sizes only.")
        c.argument("kubernetes_version", options_list=["--kubernetes-version", "-k"],
                   help="Kubernetes version of the pool. Default: the cluster's.")

    roll_scopes = ("aks azurelinux nodepool add", "aks azurelinux nodepool migrate", "aks azurelinux migrate",
                   "aks azurelinux migrate-fleet")
    for scope in roll_scopes:
        with self.argument_context(scope, arg_group="Upgrade Settings") as c:
            c.argument("max_surge", options_list=["--max-surge"],
                       help="Extra nodes added at once while nodes are reimaged: a count (5) or a percentage of the "
                            "pool (33%, rounded up). Default: the pool's own setting, else AKS's 10%.")
            c.argument("max_unavailable", options_list=["--max-unavailable"],
                       help="Nodes that may be unavailable at once: a count or a percentage. Default: the pool's own "
                            "setting, else 0.")
            c.argument("drain_timeout", options_list=["--drain-timeout"], type=int,
                       help="Minutes to wait for pods to be evicted from a node (1 to 1440). Default: the pool's own "
                            "setting, else 30.")
            c.argument("node_soak_duration", options_list=["--node-soak-duration"], type=int,
                       help="Minutes to wait after draining a node before reimaging it (0 to 30). Default: the "
                            "pool's own setting, else 0.")
            c.argument("undrainable_node_behavior", arg_type=get_enum_type(["Cordon", "Schedule"]),
                       options_list=["--undrainable-node-behavior"],
                       help="Nodes that cannot be drained: Cordon (quarantine them and go on) or Schedule (the "
                            "default: put them back into service and fail).")

    with self.argument_context("aks azurelinux migrate-fleet") as c:
        c.argument("clusters", options_list=["--clusters"], nargs="+", help="Managed cluster resource ids.")
        c.argument("clusters_file", options_list=["--clusters-file"],
                   help="A file of cluster ids (one a line, or a JSON list), or the JSON `az aks azurelinux "
                        "inventory` writes (its clusters are taken).")
        c.argument("fleet_id", options_list=["--fleet-id"],
                   help="Resource id of an Azure Kubernetes Fleet Manager fleet: its member clusters.")
        c.argument("update_strategy", options_list=["--update-strategy"],
                   help="With --fleet-id: a fleet update strategy whose stages and groups become the waves.")
        c.argument("waves", options_list=["--waves"], nargs="+",
                   help="Ordered waves: NAME=COUNT, NAME=PERCENT% (of all the clusters) or NAME=* (the rest), such "
                        "as canary=1 early=10% rest=*. Default: one wave of every cluster.")
        c.argument("wait_between", options_list=["--wait-between"],
                   help="Wait after each wave before the next, such as 30m, 90s or 1h. Default: 0.")
        c.argument("max_parallel_clusters", options_list=["--max-parallel-clusters"], type=int, default=4,
                   help="Clusters of a wave migrated at a time. Default: 4.")
        c.argument("max_failed_clusters", options_list=["--max-failed-clusters"], type=int, default=0,
                   help="Failed clusters tolerated: once more have failed, no cluster starts. Default: 0.")

    with self.argument_context("aks azurelinux inventory") as c:
        c.argument("subscriptions", options_list=["--subscriptions"], nargs="+",
                   help="Subscription ids to look in. Default: every subscription of the signed-in account.")
        c.argument("management_groups", options_list=["--management-groups"], nargs="+",
                   help="Management group ids: Resource Graph looks in every subscription under them (--source graph).")
        c.argument("status", options_list=["--status"], nargs="+",
                   help="Only pools with these statuses: on-azure-linux, retired, can-migrate, blocked.")
        c.argument("source", arg_type=get_enum_type(["graph", "arm"]), default="graph",
                   help="graph (default): Azure Resource Graph, one query per 1,000 subscriptions, fast at any "
                        "scale, but it can lag ARM by minutes. arm: each subscription's cluster listing, exact and "
                        "current, slower across many subscriptions; use it right after a change.")

    with self.argument_context("aks azurelinux nodepool delete") as c:
        c.argument("ignore_pdb", options_list=["--ignore-pdb", "-i"], action="store_true",
                   help="Delete without waiting for PodDisruptionBudgets to allow evictions.")

    for scope in ("aks azurelinux nodepool migrate", "aks azurelinux migrate", "aks azurelinux migrate-fleet"):
        with self.argument_context(scope) as c:
            c.argument("os_sku", options_list=["--os-sku"], default=None,
                       help=f"Target OS SKU: {' or '.join(OS_SKUS)}. Default: AzureLinux for pools not on Azure Linux "
                            "yet. Pools on Azure Linux move only when this is given and the move changes the Azure "
                            "Linux version (2.0 to 3.0), such as --os-sku AzureLinux3 for a pool on Kubernetes 1.31 "
                            "or older.")
            c.argument("strategy", arg_type=get_enum_type(["in-place", "new-pool"]), default="in-place",
                       help="in-place: change the OS SKU of the pool (AKS reimages its nodes with surge). "
                            "new-pool: add an Azure Linux pool with the same settings, wait until it has "
                            "Succeeded, then delete the old pool.")
            c.argument("yes", yes)
            c.argument("skip_preflight", options_list=["--skip-preflight"], action="store_true",
                       help="Do not check vCPU quota, VM size availability and Kubernetes versions before the "
                            "migration (the checks cost up to three reads).")
            c.argument("skip_workload_check", options_list=["--skip-workload-check"], action="store_true",
                       help="Do not read the cluster's Kubernetes API for pod disruption budgets and workloads "
                            "pinned to the old OS before the migration.")

    with self.argument_context("aks azurelinux nodepool rollback") as c:
        c.argument("yes", yes)

    with self.argument_context("aks azurelinux nodepool migrate") as c:
        c.argument("new_name", options_list=["--new-name"],
                   help="Name of the replacement pool (new-pool only). Default: derived from the old name.")

    for scope in ("aks azurelinux migrate", "aks azurelinux migrate-fleet"):
        with self.argument_context(scope) as c:
            c.argument("max_parallel", options_list=["--max-parallel"], type=int, default=2,
                       help="Pool operations at a time in a cluster (at least 1). Default 2: pools move in parallel "
                            "while at most two surges of new nodes claim quota and drain workloads at once.")

    with self.argument_context("aks azurelinux migrate") as c:
        c.argument("continue_on_error", action="store_true",
                   help="Keep starting pools after one has failed (by default none starts after a failure).")


def _production_create_arguments(c):
    """The options of core `az aks create` that production clusters use, with core's names, short forms and value
    sets (issue 21); cluster_options.py checks them as core and AKS do."""
    from azext_azurelinux import cluster_options as o
    network, identity, operations = "Network", "Identity", "Operations"
    c.argument("network_plugin", arg_type=get_enum_type(o.NETWORK_PLUGINS), arg_group=network,
               help="The Kubernetes network plugin: azure (AKS's default), kubenet or none.")
    c.argument("network_plugin_mode", arg_type=get_enum_type(o.NETWORK_PLUGIN_MODES), arg_group=network,
               help="overlay: pods get addresses from --pod-cidr, not from the subnet (with --network-plugin azure).")
    c.argument("network_dataplane", arg_type=get_enum_type(o.NETWORK_DATAPLANES), arg_group=network,
               help="The network dataplane: azure or cilium (cilium with overlay or a subnet, and network policy "
                    "cilium or none).")
    c.argument("network_policy", arg_group=network, help="Network policy: azure, calico, cilium or none.")
    c.argument("pod_cidr", arg_group=network, help="The pods' address range (overlay or kubenet), such as "
                                                   "10.244.0.0/16.")
    c.argument("service_cidr", arg_group=network, help="The Kubernetes services' address range, such as 10.0.0.0/16; "
                                                       "it may overlap neither the pods' nor the subnet's.")
    c.argument("dns_service_ip", arg_group=network, help="The cluster DNS service's address, inside --service-cidr, "
                                                         "such as 10.0.0.10.")
    c.argument("vnet_subnet_id", arg_group=network, help="Resource id of an existing subnet for the system pool's "
                                                         "nodes; the cluster's identity is given Network Contributor "
                                                         "on it unless --skip-subnet-role-assignment.")
    c.argument("skip_subnet_role_assignment", action="store_true", arg_group=network,
               help="Do not give the cluster's identity Network Contributor on --vnet-subnet-id.")
    c.argument("load_balancer_sku", arg_type=get_enum_type(o.LOAD_BALANCER_SKUS), arg_group=network,
               help="The load balancer's SKU. Default: standard.")
    c.argument("outbound_type", arg_type=get_enum_type(o.OUTBOUND_TYPES), arg_group=network,
               help="How the nodes reach the internet. Default: loadBalancer.")
    c.argument("api_server_authorized_ip_ranges", arg_group=network,
               help="Comma-separated IP ranges allowed to reach the API server (not with a private cluster).")
    c.argument("enable_private_cluster", action="store_true", arg_group=network,
               help="An API server reachable only from inside the virtual network.")
    c.argument("private_dns_zone", arg_group=network,
               help="A private cluster's DNS zone: system, none, or a private DNS zone's resource id.")
    c.argument("enable_aad", action="store_true", arg_group=identity,
               help="Managed Microsoft Entra ID integration.")
    c.argument("aad_admin_group_object_ids", arg_group=identity,
               help="Comma-separated object ids of Entra ID groups that administer the cluster (with --enable-aad).")
    c.argument("aad_tenant_id", arg_group=identity, help="The Entra ID tenant of the cluster's users (with "
                                                         "--enable-aad). Default: the subscription's.")
    c.argument("enable_azure_rbac", action="store_true", arg_group=identity,
               help="Authorize Kubernetes requests with Azure RBAC (with --enable-aad).")
    c.argument("disable_local_accounts", action="store_true", arg_group=identity,
               help="No local accounts: sign in through Entra ID only (with --enable-aad).")
    c.argument("enable_oidc_issuer", action="store_true", arg_group=identity, help="Publish an OIDC issuer URL.")
    c.argument("enable_workload_identity", action="store_true", arg_group=identity,
               help="Microsoft Entra Workload ID for pods (needs --enable-oidc-issuer).")
    c.argument("assign_identity", arg_group=identity,
               help="Resource id of a user-assigned identity for the control plane. Default: a system-assigned one.")
    c.argument("assign_kubelet_identity", arg_group=identity,
               help="Resource id of a user-assigned identity for the kubelet (needs --assign-identity).")
    c.argument("tier", arg_type=get_enum_type(o.TIERS), arg_group=operations,
               help="The cluster's pricing tier. Default: free.")
    c.argument("k8s_support_plan", arg_type=get_enum_type(o.SUPPORT_PLANS), arg_group=operations,
               help="KubernetesOfficial, or AKSLongTermSupport (with --tier premium).")
    c.argument("auto_upgrade_channel", arg_type=get_enum_type(o.AUTO_UPGRADE_CHANNELS), arg_group=operations,
               help="How the cluster's Kubernetes version is upgraded by AKS.")
    c.argument("node_os_upgrade_channel", arg_type=get_enum_type(o.NODE_OS_UPGRADE_CHANNELS), arg_group=operations,
               help="How the nodes' OS is kept up to date by AKS.")
    c.argument("enable_cluster_autoscaler", options_list=["--enable-cluster-autoscaler", "-e"], action="store_true",
               arg_group=operations, help="Scale the system pool between --min-count and --max-count.")
    c.argument("min_count", type=int, arg_group=operations, help="The system pool's fewest nodes (1 or more).")
    c.argument("max_count", type=int, arg_group=operations, help="The system pool's most nodes.")
    c.argument("nodepool_labels", nargs="*", arg_group=operations,
               help="The system pool's node labels: space-separated key=value pairs.")
    c.argument("nodepool_taints", arg_group=operations,
               help="The system pool's node taints: comma-separated key=value:Effect.")
    c.argument("node_osdisk_type", arg_type=get_enum_type(o.OS_DISK_TYPES), arg_group=operations,
               help="The system pool's OS disk type: Managed or Ephemeral.")
    c.argument("node_osdisk_size", type=int, arg_group=operations,
               help="The system pool's OS disk size in GB (0 for the VM size's default, up to 2048).")
    c.argument("admin_username", options_list=["--admin-username", "-u"], default="azureuser",
               help="The nodes' Linux user for the SSH key.")
    c.argument("no_ssh_key", options_list=["--no-ssh-key", "-x"], action="store_true",
               help="Do not use or create an SSH key.")
    c.argument("generate_ssh_keys", action="store_true",
               help="Use ~/.ssh/id_rsa.pub, or write a new key pair there when there is none, as core does.")
