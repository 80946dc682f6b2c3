# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The role assignments that go with `az aks create --vnet-subnet-id` (and --assign-kubelet-identity), as requests.

Pure: which identity core 2.91 gives Network Contributor on the subnet and when, the request that the CLI's
authorization client sends for it (path, api-version, body), how to tell that one exists already, and the warning
that names the command to run by hand when it cannot be made. The caller sends the requests.
"""
import uuid

NETWORK_CONTRIBUTOR_ROLE = "4d97b98b-1d4f-4787-a291-c67834d212e7"
MANAGED_IDENTITY_OPERATOR_ROLE = "f1a07417-d97a-45cb-824c-7a7467783830"
ROLE_ASSIGNMENT_API_VERSION = "2022-04-01"   # azure-mgmt-authorization's default, which the CLI's profile keeps
IDENTITY_API_VERSION = "2024-11-30"          # azure-mgmt-msi's default: core reads a user-assigned identity with it


def _given(options, key):
    value = options.get(key)
    return None if value is None or value == "" else value


def subnet_assignment_plan(options):
    """When and for whom core gives Network Contributor on --vnet-subnet-id, or None (no subnet, or
    --skip-subnet-role-assignment). With --assign-identity: before the cluster PUT, to that identity's principalId
    (read from Azure). Otherwise: right after the PUT, to the cluster's system-assigned identity.principalId."""
    subnet = _given(options, "vnet_subnet_id")
    if not subnet or options.get("skip_subnet_role_assignment"):
        return None
    identity = _given(options, "assign_identity")
    if identity:
        return {"scope": subnet, "when": "before-create", "assignee": "user-assigned", "identityId": identity}
    return {"scope": subnet, "when": "after-put", "assignee": "system-assigned", "identityId": None}


def role_definition_id(subscription_id, role=NETWORK_CONTRIBUTOR_ROLE):
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def role_assignment_name(scope, principal_id, role=NETWORK_CONTRIBUTOR_ROLE):
    """A stable assignment name (GUID) for one role, principal and scope, so that a rerun PUTs the same one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope.lower()}|{principal_id.lower()}|{role.lower()}"))


def role_assignment_request(scope, principal_id, role=NETWORK_CONTRIBUTOR_ROLE, name=None):
    """The PUT that gives `principal_id` a built-in role on `scope`: {"method", "path", "api-version", "body"}, the
    body as core's authorization client sends it (principalType ServicePrincipal: managed identities are service
    principals, and saying so spares the check that fails while Entra ID replicates a new identity)."""
    subscription = scope.split("/")[2]
    name = name or role_assignment_name(scope, principal_id, role)
    return {"method": "PUT", "path": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
            "api-version": ROLE_ASSIGNMENT_API_VERSION,
            "body": {"properties": {"roleDefinitionId": role_definition_id(subscription, role),
                                    "principalId": principal_id, "principalType": "ServicePrincipal"}}}


def existing_assignments_request(scope):
    """The GET core makes first: assignments at the scope and above it."""
    return {"method": "GET", "path": f"{scope}/providers/Microsoft.Authorization/roleAssignments",
            "api-version": ROLE_ASSIGNMENT_API_VERSION, "params": {"$filter": "atScope()"}}


def has_network_contributor(assignments, scope):
    """True when a listed assignment already gives Network Contributor at exactly this scope (as core checks)."""
    for item in assignments or []:
        props = item.get("properties", item)
        if str(props.get("scope", "")).lower() == scope.lower() and \
                str(props.get("roleDefinitionId", "")).lower().endswith(NETWORK_CONTRIBUTOR_ROLE):
            return True
    return False


def role_assignment_warning(scope, principal_id, reason):
    """The warning when the assignment could not be made: the cluster is created, and this says what to run."""
    return (f"Could not give the cluster identity ({principal_id}) Network Contributor on --vnet-subnet-id ({reason}), "
            "so AKS may fail to use the subnet: ask an Owner of the subnet to run az role assignment create "
            f"--assignee-object-id {principal_id} --assignee-principal-type ServicePrincipal --role "
            f"\"Network Contributor\" --scope {scope}")


def identity_request(identity_id):
    """The GET that reads a user-assigned identity (its principalId and clientId), as core's MSI client sends it."""
    return {"method": "GET", "path": identity_id, "api-version": IDENTITY_API_VERSION}


def kubelet_operator_request(kubelet_identity_id, control_plane_principal_id):
    """With --assign-kubelet-identity, core gives the control plane's identity Managed Identity Operator on the kubelet
    identity (scope lower-cased, as core does) before the cluster PUT, and stops if it cannot."""
    return role_assignment_request(kubelet_identity_id.lower(), control_plane_principal_id,
                                   role=MANAGED_IDENTITY_OPERATOR_ROLE)


def has_role(assignments, scope, principal_id, role):
    """True when a listed assignment gives `role` to `principal_id` at `scope` or above it."""
    for item in assignments or []:
        props = item.get("properties", item)
        own = str(props.get("scope", "")).lower().rstrip("/")
        if str(props.get("principalId", "")).lower() == principal_id.lower() and \
                str(props.get("roleDefinitionId", "")).lower().endswith(role) and \
                (scope.lower() == own or scope.lower().startswith(own + "/")):
            return True
    return False
