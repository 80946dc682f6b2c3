# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Virtual networks and subnets, user-assigned identities, role assignments, and AKS's own checks of a cluster's
networking, identity and operations fields: what `az aks create` with production options needs of Azure.

server.py wires it in as follows (`with_network` does the same for an emulator class that lacks it):

1. State: `Emulator.__init__` sets `self.network = Network(subscription_id=SUBSCRIPTION_ID, tenant_id=TENANT_ID)`;
   `/_emulator/reset` calls `self.network.reset()`; `/_emulator/seed` passes `body.get("network")` to
   `self.network.seed(...)` (virtual networks with subnets, identities, role assignments).
2. Routes: `NetworkRoutes` becomes a base class of `Emulator`, and `NETWORK_ROUTES` is appended to
   `Emulator.ROUTES` before `_COMPILED` is built. The handlers follow the server's `on_<name>_<method>` convention and
   use only `self.network`, `self.store.group(rg)` (a missing group is a 404 as elsewhere) and `self._json`.
3. Clusters: on a create, `Store.put_cluster` calls `check_cluster_body(body, network)` before anything is stored,
   and `fill_cluster_response(doc, body, network, tenant_id)` on the document it keeps, so that GET returns what AKS
   returns (identity principal ids, the kubelet identity, the OIDC issuer URL, the fqdn or private fqdn, and the
   network profile's defaults). Pass `network=None` where no `Network` is at hand: subnets are then not checked.

The service's wording is used where it is known from public reports (codes `UnsupportedNetworkPluginModeWithNetwork
Plugin` and `ServiceCidrOverlapExistingSubnetsCidr`); elsewhere the code is `InvalidParameter` with a message in the
service's style (see tests/data/core_create_options.md).
"""
import datetime
import ipaddress
import re
import uuid

from aiohttp import web

from .rules import ServiceError, invalid

AUTHORIZATION_API = "2022-04-01"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
# Built-in roles core's `az aks create` names (resolved through a role definition list filtered by roleName).
BUILT_IN_ROLES = {
    NETWORK_CONTRIBUTOR: "Network Contributor",
    "f1a07417-d97a-45cb-824c-7a7467783830": "Managed Identity Operator",
    "b12aa53e-6015-4669-85d0-8515ebb3ae7f": "Private DNS Zone Contributor",
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
}
DEFAULT_SERVICE_CIDR = "10.0.0.0/16"
DEFAULT_DNS_SERVICE_IP = "10.0.0.10"
DEFAULT_POD_CIDR = "10.244.0.0/16"
# "AKS clusters may not use 169.254.0.0/16, 172.30.0.0/16, 172.31.0.0/16, or 192.0.2.0/24 for the Kubernetes service
# address range, pod address range, or cluster virtual network address range" (AKS networking documentation).
RESERVED_RANGES = ("169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24")

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourcegroups/(?P<rg>[^/]+)"
_SCOPE = _SUB + r"(?P<under>(?:/.+?)?)/providers/microsoft\.authorization"
NETWORK_ROUTES = [
    (_RG + r"/providers/microsoft\.network/virtualnetworks/(?P<vnet>[^/]+)", "vnet"),
    (_RG + r"/providers/microsoft\.network/virtualnetworks/(?P<vnet>[^/]+)/subnets", "subnets"),
    (_RG + r"/providers/microsoft\.network/virtualnetworks/(?P<vnet>[^/]+)/subnets/(?P<subnet>[^/]+)", "subnet"),
    (_RG + r"/providers/microsoft\.managedidentity/userassignedidentities/(?P<identity>[^/]+)", "identity"),
    (_SCOPE + r"/roleassignments", "role_assignments"),
    (_SCOPE + r"/roleassignments/(?P<assignment>[^/]+)", "role_assignment"),
    (_SCOPE + r"/roledefinitions", "role_definitions"),
    (_SCOPE + r"/roledefinitions/(?P<definition>[^/]+)", "role_definition"),
]
SUBNET_ID = re.compile(r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.network/virtualnetworks/"
                       r"[^/]+/subnets/[^/]+$", re.IGNORECASE)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def _stable_uuid(*parts):
    """The same id for the same resource in every run, so that tests can predict principal ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(str(p).lower() for p in parts)))


def _network(text, field):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise invalid(f"The value of parameter {field} '{text}' is not a valid CIDR.", field) from exc


# ---- state -------------------------------------------------------------------------------
class Network:
    """Virtual networks, subnets, user-assigned identities and role assignments of the emulated subscription."""

    def __init__(self, subscription_id, tenant_id):
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id
        self.reset()

    def reset(self):
        self.vnets = {}           # lower(vnet id) -> document (subnets kept apart)
        self.subnets = {}         # lower(subnet id) -> document
        self.identities = {}      # lower(identity id) -> document
        self.assignments = {}     # lower(assignment id) -> document

    # virtual networks and subnets
    def vnet_id(self, rg, vnet):
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{rg}/providers/Microsoft.Network/" \
               f"virtualNetworks/{vnet}"

    def vnet(self, rg, name):
        found = self.vnets.get(self.vnet_id(rg, name).lower())
        if found is None:
            raise ServiceError(404, "ResourceNotFound", f"The Resource 'Microsoft.Network/virtualNetworks/{name}' "
                                                        f"under resource group '{rg}' was not found.")
        return dict(found, properties=dict(found["properties"], subnets=self.subnets_of(rg, name)))

    def subnets_of(self, rg, vnet):
        prefix = self.vnet_id(rg, vnet).lower() + "/subnets/"
        return [doc for key, doc in self.subnets.items() if key.startswith(prefix)]

    def put_vnet(self, rg, name, body, location=None):
        key = self.vnet_id(rg, name).lower()
        existing = self.vnets.get(key)
        props = body.get("properties") or {}
        prefixes = (props.get("addressSpace") or {}).get("addressPrefixes") or []
        if not prefixes:
            raise invalid("The virtual network must have at least one address prefix in addressSpace.addressPrefixes.",
                          "addressSpace")
        for prefix in prefixes:
            _network(prefix, "addressSpace.addressPrefixes")
        location = body.get("location") or (existing or {}).get("location") or location
        if not location:
            raise ServiceError(400, "LocationRequired", "The location property is required for this definition.")
        doc = {"id": self.vnet_id(rg, name), "name": name, "type": "Microsoft.Network/virtualNetworks",
               "location": location, "tags": body.get("tags") or {}, "etag": f'W/"{uuid.uuid4()}"',
               "properties": {"provisioningState": "Succeeded", "resourceGuid": _stable_uuid(key),
                              "addressSpace": {"addressPrefixes": list(prefixes)}}}
        self.vnets[key] = doc
        for subnet in props.get("subnets") or []:
            self.put_subnet(rg, name, subnet["name"], subnet)
        return self.vnet(rg, name), existing is None

    def subnet_id(self, rg, vnet, name):
        return f"{self.vnet_id(rg, vnet)}/subnets/{name}"

    def subnet(self, rg, vnet, name):
        self.vnet(rg, vnet)
        found = self.subnets.get(self.subnet_id(rg, vnet, name).lower())
        if found is None:
            raise ServiceError(404, "NotFound", f"Resource {self.subnet_id(rg, vnet, name)} not found.")
        return found

    def put_subnet(self, rg, vnet, name, body):
        space = self.vnet(rg, vnet)["properties"]["addressSpace"]["addressPrefixes"]
        props = body.get("properties") or {}
        prefix = props.get("addressPrefix") or (props.get("addressPrefixes") or [None])[0]
        if not prefix:
            raise invalid(f"Subnet '{name}' must have an addressPrefix.", "properties.addressPrefix")
        net = _network(prefix, "properties.addressPrefix")
        spaces = [_network(s, "addressSpace") for s in space]
        if not any(net.version == s.version and net.subnet_of(s) for s in spaces):
            raise ServiceError(400, "NetcfgSubnetRangeOutsideVnet",
                               f"Subnet '{name}' is not valid because its IP address range is outside the IP address "
                               f"range of virtual network '{vnet}'.")
        key = self.subnet_id(rg, vnet, name).lower()
        for other in self.subnets_of(rg, vnet):
            if other["id"].lower() != key and net.overlaps(_network(other["properties"]["addressPrefix"], "x")):
                raise ServiceError(400, "NetcfgSubnetRangesOverlap",
                                   f"Subnet '{name}' is not valid because its IP address range overlaps with that of "
                                   f"an existing subnet '{other['name']}' in virtual network '{vnet}'.")
        created = key not in self.subnets
        self.subnets[key] = {
            "id": self.subnet_id(rg, vnet, name), "name": name, "type": "Microsoft.Network/virtualNetworks/subnets",
            "etag": f'W/"{uuid.uuid4()}"',
            "properties": {"provisioningState": "Succeeded", "addressPrefix": str(prefix), "delegations": [],
                           "privateEndpointNetworkPolicies": "Disabled",
                           "privateLinkServiceNetworkPolicies": "Enabled"}}
        return self.subnets[key], created

    def subnet_by_id(self, subnet_id):
        """The stored subnet of a full subnet id (any case), or None."""
        return self.subnets.get(str(subnet_id).lower())

    def sibling_prefixes(self, subnet_id):
        """Every subnet prefix of the virtual network that holds `subnet_id` (its own first), or None if unknown."""
        own = self.subnet_by_id(subnet_id)
        if own is None:
            return None
        vnet_key = str(subnet_id).lower().rsplit("/subnets/", 1)[0] + "/subnets/"
        others = [d for k, d in self.subnets.items() if k.startswith(vnet_key) and d is not own]
        return [(own["name"], own["properties"]["addressPrefix"])] + \
            [(d["name"], d["properties"]["addressPrefix"]) for d in others]

    # user-assigned identities
    def identity_id(self, rg, name):
        return f"/subscriptions/{self.subscription_id}/resourcegroups/{rg}/providers/" \
               f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"

    def put_identity(self, rg, name, body, location=None):
        key = self.identity_id(rg, name).lower()
        created = key not in self.identities
        self.identities[key] = {
            "id": self.identity_id(rg, name), "name": name,
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
            "location": body.get("location") or location or "eastus", "tags": body.get("tags") or {},
            "properties": {"tenantId": self.tenant_id, "principalId": _stable_uuid("principal", key),
                           "clientId": _stable_uuid("client", key)}}
        return self.identities[key], created

    def identity(self, identity_id):
        found = self.identities.get(str(identity_id).lower())
        if found is None:
            name = str(identity_id).rsplit("/", 1)[-1]
            raise ServiceError(404, "ResourceNotFound", f"The Resource 'Microsoft.ManagedIdentity/"
                                                        f"userAssignedIdentities/{name}' was not found.")
        return found

    # role definitions and assignments
    def role_definition(self, guid):
        name = BUILT_IN_ROLES.get(str(guid).lower())
        if name is None:
            raise ServiceError(404, "RoleDefinitionDoesNotExist",
                               f"The specified role definition with ID '{guid}' does not exist.")
        return {"id": f"/subscriptions/{self.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
                "name": guid, "type": "Microsoft.Authorization/roleDefinitions",
                "properties": {"roleName": name, "type": "BuiltInRole", "description": f"Built-in role {name}.",
                               "assignableScopes": ["/"], "permissions": []}}

    def role_definitions(self, role_filter=None):
        match = re.search(r"roleName\s+eq\s+'([^']*)'", role_filter or "", re.IGNORECASE)
        wanted = match.group(1).lower() if match else None
        return [self.role_definition(g) for g, n in BUILT_IN_ROLES.items() if wanted is None or n.lower() == wanted]

    def put_assignment(self, scope, name, body):
        try:
            uuid.UUID(name)
        except ValueError as exc:
            raise ServiceError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid. The "
                                                               "role assignment ID must be a GUID.") from exc
        props = body.get("properties") or {}
        role_id, principal = props.get("roleDefinitionId"), props.get("principalId")
        if not role_id or not principal:
            raise ServiceError(400, "InvalidRoleAssignmentRequest", "A role assignment needs properties."
                                                                    "roleDefinitionId and properties.principalId.")
        self.role_definition(str(role_id).rstrip("/").rsplit("/", 1)[-1])
        key = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}".lower()
        for other_key, other in self.assignments.items():
            same = other["properties"]
            if other_key != key and same["scope"].lower() == scope.lower() and same["principalId"] == principal \
                    and same["roleDefinitionId"].lower().endswith(str(role_id).lower().rsplit("/", 1)[-1]):
                raise ServiceError(409, "RoleAssignmentExists", "The role assignment already exists.")
        created = key not in self.assignments
        stamp = _now()
        self.assignments[key] = {
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {"roleDefinitionId": role_id, "principalId": principal,
                           "principalType": props.get("principalType") or "ServicePrincipal", "scope": scope,
                           "condition": None, "conditionVersion": None, "createdOn": stamp, "updatedOn": stamp,
                           "createdBy": None, "updatedBy": None, "delegatedManagedIdentityResourceId": None,
                           "description": props.get("description")}}
        return self.assignments[key], created

    def assignment(self, scope, name):
        found = self.assignments.get(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}".lower())
        if found is None:
            raise ServiceError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return found

    def list_assignments(self, scope, assignment_filter=None):
        """Assignments as ARM lists them for a scope: `atScope()` gives those at the scope and above it; without it,
        those below too. `principalId eq '...'` and `assignedTo('...')` narrow to one principal."""
        text = assignment_filter or ""
        at_scope = "atscope()" in text.lower()
        match = re.search(r"(?:principalId\s+eq\s+|assignedTo\()\s*'([^']+)'", text, re.IGNORECASE)
        principal = match.group(1).lower() if match else None
        wanted = scope.lower().rstrip("/")
        found = []
        for doc in self.assignments.values():
            own = doc["properties"]["scope"].lower().rstrip("/")
            above = wanted == own or wanted.startswith(own + "/")
            below = own.startswith(wanted + "/")
            if (above or (below and not at_scope)) and (principal is None or
                                                        doc["properties"]["principalId"].lower() == principal):
                found.append(doc)
        return found

    def seed(self, spec):
        """`{"virtualNetworks": [{"resourceGroup", "name", "location", "addressPrefixes", "subnets": [{"name",
        "addressPrefix"}]}], "identities": [{"resourceGroup", "name", "location"}], "roleAssignments": [{"scope",
        "name", "roleDefinitionId", "principalId"}]}`; the resource groups must exist already."""
        for item in (spec or {}).get("virtualNetworks", []):
            self.put_vnet(item["resourceGroup"], item["name"], {
                "location": item.get("location", "eastus"),
                "properties": {"addressSpace": {"addressPrefixes": item["addressPrefixes"]},
                               "subnets": [{"name": s["name"], "properties": {"addressPrefix": s["addressPrefix"]}}
                                           for s in item.get("subnets", [])]}})
        for item in (spec or {}).get("identities", []):
            self.put_identity(item["resourceGroup"], item["name"], {"location": item.get("location", "eastus")})
        for item in (spec or {}).get("roleAssignments", []):
            self.put_assignment(item["scope"], item.get("name") or str(uuid.uuid4()),
                                {"properties": {"roleDefinitionId": item["roleDefinitionId"],
                                                "principalId": item["principalId"]}})


# ---- HTTP handlers (a mix-in for the server's Emulator) ----------------------------------
class NetworkRoutes:
    """Handlers for NETWORK_ROUTES; mixed into the server's `Emulator`, which provides `network`, `store`, `_json`."""

    network = None
    store = None

    def _scope(self, sub, under):
        return f"/subscriptions/{sub}{under or ''}"

    async def on_vnet_get(self, request, sub, rg, vnet):
        self.store.group(rg)
        return web.json_response(self.network.vnet(rg, vnet))

    async def on_vnet_put(self, request, sub, rg, vnet):
        group = self.store.group(rg)
        doc, created = self.network.put_vnet(rg, vnet, await self._json(request), location=group.get("location"))
        return web.json_response(doc, status=201 if created else 200)

    async def on_subnets_get(self, request, sub, rg, vnet):
        self.store.group(rg)
        self.network.vnet(rg, vnet)
        return web.json_response({"value": self.network.subnets_of(rg, vnet)})

    async def on_subnet_get(self, request, sub, rg, vnet, subnet):
        self.store.group(rg)
        return web.json_response(self.network.subnet(rg, vnet, subnet))

    async def on_subnet_put(self, request, sub, rg, vnet, subnet):
        self.store.group(rg)
        doc, created = self.network.put_subnet(rg, vnet, subnet, await self._json(request))
        return web.json_response(doc, status=201 if created else 200)

    async def on_identity_get(self, request, sub, rg, identity):
        self.store.group(rg)
        return web.json_response(self.network.identity(self.network.identity_id(rg, identity)))

    async def on_identity_put(self, request, sub, rg, identity):
        group = self.store.group(rg)
        doc, created = self.network.put_identity(rg, identity, await self._json(request),
                                                 location=group.get("location"))
        return web.json_response(doc, status=201 if created else 200)

    async def on_role_assignments_get(self, request, sub, under):
        scope = self._scope(sub, under)
        return web.json_response({"value": self.network.list_assignments(scope, request.query.get("$filter"))})

    async def on_role_assignment_get(self, request, sub, under, assignment):
        return web.json_response(self.network.assignment(self._scope(sub, under), assignment))

    async def on_role_assignment_put(self, request, sub, under, assignment):
        doc, created = self.network.put_assignment(self._scope(sub, under), assignment, await self._json(request))
        return web.json_response(doc, status=201 if created else 200)

    async def on_role_assignment_delete(self, request, sub, under, assignment):
        key = f"{self._scope(sub, under)}/providers/Microsoft.Authorization/roleAssignments/{assignment}".lower()
        doc = self.network.assignments.pop(key, None)
        return web.json_response(doc) if doc else web.Response(status=204)

    async def on_role_definitions_get(self, request, sub, under):
        return web.json_response({"value": self.network.role_definitions(request.query.get("$filter"))})

    async def on_role_definition_get(self, request, sub, under, definition):
        return web.json_response(self.network.role_definition(definition))


# ---- AKS's checks of a cluster body ------------------------------------------------------
def _effective_network(profile, pools):
    """The network profile as AKS completes it before checking: its defaults where the body says nothing."""
    plugin = (profile.get("networkPlugin") or "azure").lower()
    mode = (profile.get("networkPluginMode") or "").lower()
    if not profile.get("networkPlugin") and not mode and not any(p.get("vnetSubnetID") for p in pools):
        mode = "overlay"  # AKS's default network for a new cluster: Azure CNI Overlay
    uses_pod_cidr = plugin == "kubenet" or mode == "overlay"
    return {"plugin": plugin, "mode": mode, "policy": (profile.get("networkPolicy") or "none").lower(),
            "dataplane": (profile.get("networkDataplane") or "azure").lower(),
            "service": profile.get("serviceCidr") or DEFAULT_SERVICE_CIDR,
            "dns": profile.get("dnsServiceIP") or (None if profile.get("serviceCidr") else DEFAULT_DNS_SERVICE_IP),
            "pod": (profile.get("podCidr") or DEFAULT_POD_CIDR) if uses_pod_cidr else None}


def _check_network(profile, pools, network):
    eff = _effective_network(profile, pools)
    if eff["mode"] == "overlay" and eff["plugin"] != "azure":
        raise ServiceError(400, "UnsupportedNetworkPluginModeWithNetworkPlugin",
                           f"NetworkPluginMode overlay is not supported with NetworkPlugin {eff['plugin']}.",
                           "networkProfile.networkPluginMode")
    service = _network(eff["service"], "networkProfile.serviceCidr")
    for field, value in (("networkProfile.serviceCidr", service), ("networkProfile.podCidr", eff["pod"])):
        if value is None:
            continue
        net = _network(value, field) if isinstance(value, str) else value
        for reserved in RESERVED_RANGES:
            if net.overlaps(ipaddress.ip_network(reserved)):
                raise invalid(f"The value of parameter {field} '{net}' is invalid: it overlaps the reserved range "
                              f"{reserved}.", field)
    if eff["dns"]:
        try:
            dns = ipaddress.ip_address(eff["dns"])
        except ValueError as exc:
            raise invalid(f"The value of parameter networkProfile.dnsServiceIP '{eff['dns']}' is not a valid IP "
                          "address.", "networkProfile.dnsServiceIP") from exc
        if dns not in service or dns == service.network_address:
            raise invalid(f"The DNSServiceIP '{dns}' is not within the service CIDR '{service}', or is its network "
                          "address: it must be an address inside networkProfile.serviceCidr.",
                          "networkProfile.dnsServiceIP")
    if eff["pod"] and _network(eff["pod"], "networkProfile.podCidr").overlaps(service):
        raise invalid(f"The pod CIDR {eff['pod']} overlaps the service CIDR {service}: they must not overlap.",
                      "networkProfile.podCidr")
    if eff["dataplane"] == "cilium":
        if eff["plugin"] != "azure":
            raise invalid(f"NetworkDataplane cilium requires NetworkPlugin azure, not {eff['plugin']}.",
                          "networkProfile.networkDataplane")
        if eff["policy"] not in ("cilium", "none"):
            raise invalid(f"NetworkPolicy {eff['policy']} is not supported with NetworkDataplane cilium: use cilium "
                          "or none.", "networkProfile.networkPolicy")
    elif eff["policy"] == "cilium":
        raise invalid("NetworkPolicy cilium requires NetworkDataplane cilium.", "networkProfile.networkPolicy")
    if eff["policy"] == "azure" and eff["plugin"] == "kubenet":
        raise invalid("NetworkPolicy azure is not supported with NetworkPlugin kubenet: use calico.",
                      "networkProfile.networkPolicy")
    outbound = profile.get("outboundType") or "loadBalancer"
    subnets = [p["vnetSubnetID"] for p in pools if p.get("vnetSubnetID")]
    if outbound in ("userDefinedRouting", "userAssignedNATGateway") and not subnets:
        raise invalid(f"OutboundType {outbound} requires the agent pools to use a custom subnet (vnetSubnetID).",
                      "networkProfile.outboundType")
    for subnet_id in subnets:
        if not SUBNET_ID.match(subnet_id):
            raise invalid(f"The value of parameter agentPoolProfile.vnetSubnetID '{subnet_id}' is invalid.",
                          "agentPoolProfile.vnetSubnetID")
        prefixes = network.sibling_prefixes(subnet_id) if network is not None else None
        if network is not None and prefixes is None:
            raise invalid(f"The subnet '{subnet_id}' of agentPoolProfile.vnetSubnetID was not found.",
                          "agentPoolProfile.vnetSubnetID")
        for _, prefix in prefixes or []:
            if service.overlaps(_network(prefix, "addressPrefix")):
                raise ServiceError(400, "ServiceCidrOverlapExistingSubnetsCidr",
                                   f"The specified service CIDR {service} is conflicted with an existing subnet CIDR "
                                   f"{prefix}", "networkProfile.serviceCIDR")
        if eff["pod"] and prefixes and _network(eff["pod"], "podCidr").overlaps(_network(prefixes[0][1], "x")):
            raise invalid(f"The pod CIDR {eff['pod']} overlaps the subnet CIDR {prefixes[0][1]} of the cluster: they "
                          "must not overlap.", "networkProfile.podCidr")


def check_cluster_body(body, network=None):
    """Refuse, as AKS does, a managed cluster body whose networking, identity or operations fields do not fit
    together. `network` is the emulator's `Network` (subnets are looked up there), or None."""
    props = body.get("properties") or {}
    pools = props.get("agentPoolProfiles") or []
    _check_network(props.get("networkProfile") or {}, pools, network)
    access = props.get("apiServerAccessProfile") or {}
    if access.get("authorizedIPRanges") and access.get("enablePrivateCluster"):
        raise invalid("apiServerAccessProfile.authorizedIPRanges is not supported for a private cluster "
                      "(enablePrivateCluster).", "apiServerAccessProfile.authorizedIPRanges")
    security = props.get("securityProfile") or {}
    if (security.get("workloadIdentity") or {}).get("enabled") and \
            not (props.get("oidcIssuerProfile") or {}).get("enabled"):
        raise invalid("Enabling workload identity (securityProfile.workloadIdentity.enabled) requires the OIDC issuer "
                      "(oidcIssuerProfile.enabled).", "securityProfile.workloadIdentity")
    aad = props.get("aadProfile") or {}
    if aad.get("enableAzureRBAC") and not aad.get("managed"):
        raise invalid("aadProfile.enableAzureRBAC requires managed Microsoft Entra ID (aadProfile.managed).",
                      "aadProfile.enableAzureRBAC")
    if props.get("disableLocalAccounts") and not aad.get("managed"):
        raise invalid("disableLocalAccounts requires managed Microsoft Entra ID integration (aadProfile.managed).",
                      "disableLocalAccounts")
    tier = ((body.get("sku") or {}).get("tier") or "Free").lower()
    if (props.get("supportPlan") or "").lower() == "akslongtermsupport" and tier != "premium":
        raise invalid("The support plan AKSLongTermSupport requires the Premium tier (sku.tier Premium).",
                      "supportPlan")
    kubelet = (props.get("identityProfile") or {}).get("kubeletidentity")
    if kubelet and (body.get("identity") or {}).get("type") != "UserAssigned":
        raise invalid("identityProfile.kubeletidentity can only be set when the cluster identity is UserAssigned.",
                      "identityProfile")
    if network is not None:
        for identity_id in list(((body.get("identity") or {}).get("userAssignedIdentities") or {})) + \
                ([kubelet["resourceId"]] if kubelet and kubelet.get("resourceId") else []):
            network.identity(identity_id)


# ---- what AKS returns --------------------------------------------------------------------
def _hash(*parts):
    return _stable_uuid(*parts).replace("-", "")[:8]


def fill_cluster_response(doc, body, network=None, tenant_id=None):
    """Complete a created cluster's document as AKS does: identity principal ids, the kubelet identity, the OIDC
    issuer URL, the fqdn (and privateFQDN for a private cluster) and the network profile's defaults. Returns doc."""
    props = doc.setdefault("properties", {})
    location, name = doc.get("location", "eastus"), doc.get("name", "cluster")
    tenant_id = tenant_id or (network.tenant_id if network is not None else None)
    identity = doc.get("identity") or body.get("identity")
    if identity:
        identity = dict(identity)
        if identity.get("type") == "SystemAssigned":
            identity.setdefault("principalId", _stable_uuid("cluster-principal", doc.get("id", name)))
            identity.setdefault("tenantId", tenant_id)
        for key in list(identity.get("userAssignedIdentities") or {}):
            known = network.identities.get(key.lower()) if network is not None else None
            ids = (known or {}).get("properties") or {"principalId": _stable_uuid("principal", key.lower()),
                                                      "clientId": _stable_uuid("client", key.lower())}
            identity["userAssignedIdentities"] = dict(identity["userAssignedIdentities"],
                                                      **{key: {"principalId": ids["principalId"],
                                                               "clientId": ids["clientId"]}})
        doc["identity"] = identity
    kubelet = dict((props.get("identityProfile") or {}).get("kubeletidentity") or {})
    if not kubelet.get("resourceId"):
        node_rg = props.get("nodeResourceGroup") or f"MC_{name}_{location}"
        subscription = str(doc.get("id") or "/subscriptions/unknown").split("/")[2]
        kubelet["resourceId"] = f"/subscriptions/{subscription}/resourcegroups/{node_rg}/providers/" \
                                f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool"
    known = network.identities.get(kubelet["resourceId"].lower()) if network is not None else None
    kubelet.setdefault("clientId", ((known or {}).get("properties") or {}).get("clientId") or
                       _stable_uuid("client", kubelet["resourceId"]))
    kubelet.setdefault("objectId", ((known or {}).get("properties") or {}).get("principalId") or
                       _stable_uuid("principal", kubelet["resourceId"]))
    props["identityProfile"] = dict(props.get("identityProfile") or {}, kubeletidentity=kubelet)
    oidc = dict(props.get("oidcIssuerProfile") or {"enabled": False})
    if oidc.get("enabled"):
        oidc.setdefault("issuerURL", f"https://{location}.oic.prod-aks.azure.com/{tenant_id}/"
                                     f"{_stable_uuid('oidc', doc.get('id', name))}/")
    props["oidcIssuerProfile"] = oidc
    prefix = props.get("dnsPrefix") or name
    access = props.get("apiServerAccessProfile") or {}
    public = f"{prefix}-{_hash('fqdn', doc.get('id', name))}.hcp.{location}.azmk8s.io"
    if access.get("enablePrivateCluster"):
        zone = str(access.get("privateDNSZone") or "system")
        zone_name = zone.rsplit("/", 1)[-1] if zone.lower() not in ("system", "none") else \
            f"{_stable_uuid('zone', doc.get('id', name))}.privatelink.{location}.azmk8s.io"
        props["apiServerAccessProfile"] = dict(access, privateDNSZone=access.get("privateDNSZone") or "system")
        props["privateFQDN"] = f"{prefix}-{_hash('private', doc.get('id', name))}.{zone_name}"
        if access.get("enablePrivateClusterPublicFQDN") is False:
            props.pop("fqdn", None)
        else:
            props["fqdn"] = public
    else:
        props["fqdn"] = public
    props["azurePortalFQDN"] = props.get("fqdn") or props.get("privateFQDN")
    profile = dict(props.get("networkProfile") or {})
    eff = _effective_network(profile, props.get("agentPoolProfiles") or [])
    defaults = {"networkPlugin": eff["plugin"], "networkPolicy": eff["policy"], "networkDataplane": eff["dataplane"],
                "serviceCidr": eff["service"],
                "dnsServiceIP": eff["dns"] or str(ipaddress.ip_network(eff["service"]).network_address + 10),
                "outboundType": "loadBalancer", "loadBalancerSku": "standard", "ipFamilies": ["IPv4"]}
    if eff["mode"]:
        defaults["networkPluginMode"] = eff["mode"]
    if eff["pod"]:
        defaults["podCidr"] = eff["pod"]
    for key, value in defaults.items():
        profile.setdefault(key, value)
    profile.setdefault("serviceCidrs", [profile["serviceCidr"]])
    if profile.get("podCidr"):
        profile.setdefault("podCidrs", [profile["podCidr"]])
    props["networkProfile"] = profile
    props.setdefault("supportPlan", "KubernetesOfficial")
    props.setdefault("disableLocalAccounts", False)
    props.setdefault("enableRBAC", True)
    doc.setdefault("sku", {"name": "Base", "tier": "Free"})
    return doc


# ---- wiring, until server.py does it itself ----------------------------------------------
def with_network(emulator_class, subscription_id, tenant_id):
    """A subclass of the server's `Emulator` with this module wired in as the hook above describes: the routes, a
    `Network`, AKS's checks and filled response on a cluster create, and admin actions (`POST /_emulator/network`
    seeds it; reset clears it). The server's own Emulator has it already, and is returned as it is."""
    if issubclass(emulator_class, NetworkRoutes):
        return emulator_class

    class NetworkEmulator(NetworkRoutes, emulator_class):
        ROUTES = emulator_class.ROUTES + NETWORK_ROUTES
        _COMPILED = emulator_class._COMPILED + [  # pylint: disable=protected-access
            (re.compile(pattern + "/?$", re.IGNORECASE), name) for pattern, name in NETWORK_ROUTES]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.network = Network(subscription_id, tenant_id)

        async def on_cluster_put(self, request, sub, rg, cluster):
            body = await self._json(request)
            creating = (rg.lower(), cluster.lower()) not in self.store.clusters
            if creating:
                check_cluster_body(body, self.network)
            response = await super().on_cluster_put(request, sub=sub, rg=rg, cluster=cluster)
            if creating:
                stored = self.store.clusters[(rg.lower(), cluster.lower())]
                fill_cluster_response(stored.doc, body, self.network, tenant_id)
            return response

        async def on_admin_post(self, request, action):
            if action == "network":
                self.network.seed(await self._json(request))
                return web.json_response({"status": "seeded"})
            if action == "reset":
                self.network.reset()
            return await super().on_admin_post(request, action)

    return NetworkEmulator
