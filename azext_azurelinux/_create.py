# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Creating a cluster with the options production clusters use, as core `az aks create` takes them: the reads they
need before the PUT (the subnet's range, the identities' ids, the SSH key), the body (the builder's, with
cluster_options' fragment laid over it), and the role assignments core makes on the subnet and the kubelet
identity (role_assignments.py), through the CLI's own authorization client."""
from knack.log import get_logger

from azext_azurelinux import _arm, _sdk, cluster_options, role_assignments
from azext_azurelinux._console import one_line

logger = get_logger(__name__)
NETWORK_API = "2024-05-01"  # what the CLI's network client reads a subnet with

# The production options of issue 21, by core's parameter names: what cluster_options reads.
OPTIONS = ("network_plugin", "network_plugin_mode", "network_dataplane", "network_policy", "pod_cidr", "service_cidr",
           "dns_service_ip", "vnet_subnet_id", "skip_subnet_role_assignment", "load_balancer_sku", "outbound_type",
           "api_server_authorized_ip_ranges", "enable_private_cluster", "private_dns_zone", "enable_aad",
           "aad_admin_group_object_ids", "aad_tenant_id", "enable_azure_rbac", "disable_local_accounts",
           "enable_oidc_issuer", "enable_workload_identity", "assign_identity", "assign_kubelet_identity", "tier",
           "k8s_support_plan", "auto_upgrade_channel", "node_os_upgrade_channel", "enable_cluster_autoscaler",
           "min_count", "max_count", "nodepool_name", "nodepool_labels", "nodepool_taints", "node_osdisk_type",
           "node_osdisk_size", "max_pods", "node_count", "ssh_key_value", "admin_username", "no_ssh_key",
           "generate_ssh_keys")


def as_cli_error(error):
    """A cluster_options.OptionError as the CLI's own error type of its kind."""
    from azure.cli.core.azclierror import (InvalidArgumentValueError, MutuallyExclusiveArgumentError,
                                           RequiredArgumentMissingError)
    kind = {"missing": RequiredArgumentMissingError, "exclusive": MutuallyExclusiveArgumentError}
    return kind.get(error.kind, InvalidArgumentValueError)(error.message)


def options_of(values):
    """The production options out of a command's arguments (a namespace's vars, or the command function's)."""
    return {key: values.get(key) for key in OPTIONS}


def subnet_prefix(get_json, subnet_id):
    """(the subnet's address prefix, None), or (None, why it could not be read)."""
    from azure.core.exceptions import AzureError
    try:
        subnet = get_json(subnet_id, {"api-version": NETWORK_API})
    except AzureError as error:
        return None, one_line(error)[:200]
    props = subnet.get("properties") or {}
    prefix = props.get("addressPrefix") or (props.get("addressPrefixes") or [None])[0]
    return prefix, None if prefix else "it has no addressPrefix"


def identity_ids(get_json, identity_id):
    """{"principalId", "clientId"} of a user-assigned identity, read as core reads it."""
    request = role_assignments.identity_request(identity_id)
    props = get_json(request["path"], {"api-version": request["api-version"]}).get("properties") or {}
    return {"principalId": props.get("principalId"), "clientId": props.get("clientId")}


def prepare(cmd, options):
    """Everything the body needs that is not on the command line: the subnet's range (checked against the service and
    pod ranges; a subnet that cannot be read is a warning), the SSH key (core's default, file or generation), and
    the ids of the identities. Returns the options completed, with "kubelet" and "controlPlane" ids."""
    try:
        return _prepare(cmd, options)
    except cluster_options.OptionError as error:
        raise as_cli_error(error) from None


def _prepare(cmd, options):
    prepared, error = dict(options), None
    get_json = _arm.json_reader(_sdk.container_service(cmd))  # one client for the subnet's and identities' reads
    if options.get("vnet_subnet_id"):
        prefix, error = subnet_prefix(get_json, options["vnet_subnet_id"])
        if prefix:
            cluster_options.validate(dict(prepared, subnet_prefix=prefix))
    for note in cluster_options.warnings(options, subnet_read_error=error):
        logger.warning("%s", note)
    action, argument = cluster_options.ssh_key_plan(options.get("ssh_key_value"), options.get("no_ssh_key"),
                                                    options.get("generate_ssh_keys"))
    if action == "error":
        raise cluster_options.OptionError("--ssh-key-value", argument)
    prepared["ssh_key_value"] = cluster_options.read_or_generate_ssh_key((action, argument))
    prepared["kubelet"] = identity_ids(get_json, options["assign_kubelet_identity"]) \
        if options.get("assign_kubelet_identity") else None
    prepared["controlPlane"] = identity_ids(get_json, options["assign_identity"]) if options.get("assign_identity") \
        else None
    return prepared


def body(cmd, base, prepared):
    """The ManagedCluster to PUT: the builder's model with the production fragment laid over it."""
    fragment = cluster_options.rest_fields(prepared, kubelet_identity=prepared.get("kubelet"))
    merged = cluster_options.merge(base.as_dict(exclude_readonly=True), fragment)
    return _sdk.model_getter(cmd, "managed_clusters")("ManagedCluster")(merged)


def _authorization(cmd):
    from azure.cli.core.commands.client_factory import get_mgmt_service_client
    from azure.cli.core.profiles import ResourceType
    client = get_mgmt_service_client(cmd.cli_ctx, ResourceType.MGMT_AUTHORIZATION)
    parameters = cmd.get_models("RoleAssignmentCreateParameters", resource_type=ResourceType.MGMT_AUTHORIZATION,
                                operation_group="role_assignments")
    return client.role_assignments, parameters


def assign(cmd, scope, principal_id, role=role_assignments.NETWORK_CONTRIBUTOR_ROLE):
    """Give `principal_id` a built-in role on `scope` unless an assignment there already gives it (as core checks)."""
    assignments, parameters = _authorization(cmd)
    existing = [{"scope": a.scope, "roleDefinitionId": a.role_definition_id, "principalId": a.principal_id}
                for a in assignments.list_for_scope(scope, filter="atScope()")]
    if role_assignments.has_role(existing, scope, principal_id, role):
        return
    request = role_assignments.role_assignment_request(scope, principal_id, role)
    props = request["body"]["properties"]
    assignments.create(scope, request["path"].rsplit("/", 1)[-1], parameters(
        role_definition_id=props["roleDefinitionId"], principal_id=principal_id, principal_type="ServicePrincipal"))


def assign_subnet_role(cmd, prepared, principal_id):
    """Network Contributor on the subnet for the cluster's identity; a failure is a warning with the command to run
    by hand, as core warns (the cluster is there, and AKS may still be able to use the subnet)."""
    from azure.core.exceptions import AzureError
    scope = prepared["vnet_subnet_id"]
    try:
        assign(cmd, scope, principal_id)
    except AzureError as error:
        logger.warning("%s", role_assignments.role_assignment_warning(scope, principal_id, one_line(error)[:200]))


def before_create(cmd, prepared):
    """What core does before the PUT: with --assign-kubelet-identity, Managed Identity Operator for the control
    plane's identity on the kubelet identity (a failure stops the command); with --assign-identity and a subnet,
    Network Contributor for that identity on the subnet."""
    if prepared.get("kubelet"):
        assign(cmd, prepared["assign_kubelet_identity"].lower(), prepared["controlPlane"]["principalId"],
               role_assignments.MANAGED_IDENTITY_OPERATOR_ROLE)
    plan = role_assignments.subnet_assignment_plan(prepared)
    if plan and plan["when"] == "before-create":
        assign_subnet_role(cmd, prepared, prepared["controlPlane"]["principalId"])


def after_create(cmd, prepared, cluster):
    """With a subnet and the cluster's own (system-assigned) identity: Network Contributor once AKS has made it."""
    plan = role_assignments.subnet_assignment_plan(prepared)
    if plan and plan["when"] == "after-put":
        principal = getattr(getattr(cluster, "identity", None), "principal_id", None)
        if principal:
            assign_subnet_role(cmd, prepared, principal)
        else:
            logger.warning("%s", role_assignments.role_assignment_warning(
                plan["scope"], "<the cluster's identity>", "AKS returned no principal id for the cluster's identity"))


def needs_identity_after_create(prepared):
    plan = role_assignments.subnet_assignment_plan(prepared)
    return bool(plan and plan["when"] == "after-put")
