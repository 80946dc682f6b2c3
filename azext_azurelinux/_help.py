# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Help for the person at the terminal: every group and command, each with examples that run as written."""
from knack.help_files import helps

helps["aks azurelinux"] = """
type: group
short-summary: Commands to run AKS node pools on Azure Linux, with the support policy checked before anything is sent.
long-summary: >
    Create clusters whose nodes run Azure Linux, add Azure Linux node pools, and migrate existing pools to
    Azure Linux. Choices the support policy refuses (such as the NC A100 v4 GPU series or AppArmor) are
    refused on the client with the reason, before any request reaches Azure.
"""

helps["aks azurelinux create"] = """
type: command
short-summary: Create an AKS cluster whose system node pool runs Azure Linux.
long-summary: >
    The create is a conditional PUT: if a cluster of that name already exists, nothing is changed and the
    command says so. Without --location the cluster goes where its resource group is. It takes core az aks
    create's networking, identity and upgrade options with core's names, and sends what core sends for them:
    a script can replace az aks create with az aks azurelinux create and keep its options, with the support
    policy checked before anything is sent. With --vnet-subnet-id the cluster's identity is given Network
    Contributor on the subnet, as core does (--skip-subnet-role-assignment to leave it); when that cannot be
    done, a warning names the command to run. Without --ssh-key-value, ~/.ssh/id_rsa.pub is used when it
    exists, as core does.
examples:
  - name: Create a cluster with three Azure Linux nodes.
    text: az aks azurelinux create -g MyResourceGroup -n MyCluster
  - name: Create a cluster on Azure Linux 3 with a given Kubernetes version, zones and an SSH key.
    text: az aks azurelinux create -g MyResourceGroup -n MyCluster --os-sku AzureLinux3 --kubernetes-version 1.33 --zones 1 2 3 --ssh-key-value ~/.ssh/id_ed25519.pub
  - name: A production cluster, with the options core az aks create takes.
    text: az aks azurelinux create -g MyResourceGroup -n MyCluster --network-plugin azure --network-plugin-mode overlay --network-dataplane cilium --network-policy cilium --pod-cidr 192.168.0.0/16 --enable-aad --enable-azure-rbac --disable-local-accounts --enable-oidc-issuer --enable-workload-identity --tier standard --auto-upgrade-channel stable --node-os-upgrade-channel NodeImage --enable-cluster-autoscaler --min-count 3 --max-count 10 --generate-ssh-keys
  - name: A private cluster in an existing subnet, with a user-assigned identity.
    text: az aks azurelinux create -g MyResourceGroup -n MyCluster --enable-private-cluster --vnet-subnet-id /subscriptions/SUB/resourceGroups/NET/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks --assign-identity /subscriptions/SUB/resourceGroups/ID/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aks-cp --outbound-type userDefinedRouting --no-ssh-key
  - name: See the exact request body, and send nothing.
    text: az aks azurelinux create -g MyResourceGroup -n MyCluster --enable-fips-image --dry-run
  - name: Start the create and return at once; wait for it later.
    text: |
        az aks azurelinux create -g MyResourceGroup -n MyCluster --no-wait
        az aks azurelinux wait -g MyResourceGroup -n MyCluster --created
"""

helps["aks azurelinux wait"] = """
type: command
short-summary: Wait for a cluster to reach a state, after a command run with --no-wait.
examples:
  - name: Wait until a cluster has been created.
    text: az aks azurelinux wait -g MyResourceGroup -n MyCluster --created
"""

helps["aks azurelinux check"] = """
type: command
short-summary: Check a VM size, OS SKU, Kubernetes version and security module against the support policy, offline; or a cluster's migration, live.
long-summary: >
    Offline, it sends no request to Azure, so it runs anywhere, such as an early step of a CI pipeline. It
    prints every finding with its rule, severity, message and source, and exits with code 1 when anything is
    refused. With --resource-group and --cluster-name it plans that cluster's migration and runs the live
    preflight (vCPU quota, VM sizes, Kubernetes versions) without changing anything, and exits 1 when a pool
    would be refused.
examples:
  - name: Check a GPU size.
    text: az aks azurelinux check --node-vm-size Standard_NC24ads_A100_v4
  - name: Check an H100 size against the aks-2026 edition, without changing the edition in force.
    text: az aks azurelinux check --node-vm-size Standard_NC40ads_H100_v5 --policy aks-2026
  - name: Check a whole choice, as a table.
    text: az aks azurelinux check --node-vm-size Standard_NC4as_T4_v3 --os-sku AzureLinux3 --kubernetes-version 1.33 --security-module selinux -o table
  - name: Fail a pipeline step when the choice is refused.
    text: az aks azurelinux check --node-vm-size "$VM_SIZE" --query allowed
  - name: Check a cluster's migration live (vCPU quota, VM sizes, versions), changing nothing.
    text: az aks azurelinux check -g MyResourceGroup --cluster-name MyCluster --strategy new-pool --max-parallel 2 -o table
"""

helps["aks azurelinux check-template"] = """
type: command
short-summary: Check the node pools of ARM/Bicep templates and Terraform plans against the support policy, offline.
long-summary: >
    The gate for CI: every Azure Linux pool that a template or a plan declares is judged by the rules of check
    and nodepool add, under the policy edition and your organisation's policy file in force. It needs no
    sign-in and sends no request to Azure. A value known only at deployment is never guessed: that pool is
    not-evaluated, a warning (--strict counts it as refused). Exit codes: 0 nothing refused, 1 a pool refused,
    2 bad arguments or a file that is not a template or plan of the kind named.
examples:
  - name: Check an ARM template with its parameters file and one value given inline.
    text: az aks azurelinux check-template --template-file azuredeploy.json --parameters @azuredeploy.parameters.json --parameters gpuSize=Standard_NC24ads_A100_v4 -o table
  - name: Check a Bicep file (compiled by the Bicep already installed) and write a SARIF report for GitHub code scanning.
    text: az aks azurelinux check-template --template-file main.bicep --sarif azurelinux.sarif
  - name: Check a Terraform plan in a pipeline, with a JUnit report, failing on values known only at apply.
    text: terraform show -json tfplan > plan.json && az aks azurelinux check-template --terraform-plan plan.json --junit azurelinux.xml --strict
"""

helps["aks azurelinux vm-size"] = """
type: group
short-summary: Commands to see the GPU part of the support policy.
"""

helps["aks azurelinux vm-size list"] = """
type: command
short-summary: List GPU VM sizes with whether Azure Linux node pools support them, why, and the source.
examples:
  - name: Show the GPU support matrix as a table.
    text: az aks azurelinux vm-size list -o table
  - name: List only the supported sizes.
    text: az aks azurelinux vm-size list --query "[?supported].size" -o tsv
  - name: The GPU sizes of the aks-2026 edition.
    text: az aks azurelinux vm-size list --policy aks-2026 -o table
"""

helps["aks azurelinux migrate"] = """
type: command
short-summary: Plan and migrate every eligible node pool of a cluster to Azure Linux.
long-summary: >
    Reads the cluster's pools and plans each one: migrate, nothing to do (already on the target), or refused
    with the reason (Windows pools, GPU sizes the policy refuses). Shows the plan, asks once (or not, with
    --yes), then runs at most --max-parallel pool operations at a time. A 409 from AKS (another operation in
    progress) is waited out and retried. After a failure no new pool is started unless --continue-on-error
    is given; pools in flight finish. The final report lists every pool with its outcome and timings, and
    the exit code is 1 if any pool did not migrate. With --strategy new-pool an old pool is deleted only
    after its replacement has Succeeded.

    What a migration is doing is written on the pools themselves (agent pool tags named
    azurelinux-migration-*), so running the same command again, from any machine, resumes what an
    interrupted run left in flight, and a second run started at the same time joins the first instead of
    doubling anything. Ctrl-C or SIGTERM stops the waiting: the command says which pools are in flight
    (Azure carries on with them), prints the report so far and the command that resumes, and exits 130 or
    143.

    Before the first write, each pool to move is checked live: vCPU quota for the nodes its step adds (the
    surge in place, the whole pool for a new pool, counting the pools --max-parallel runs at once), the VM
    size in the location and the pool's zones, and the Kubernetes version of a replacement. A pool that would
    fail is refused with the numbers and nothing is sent for it; --skip-preflight turns the checks off.
examples:
  - name: See the plan, and send nothing.
    text: az aks azurelinux migrate -g MyResourceGroup -n MyCluster --dry-run -o table
  - name: Migrate every eligible pool in place, four at a time, without a prompt.
    text: az aks azurelinux migrate -g MyResourceGroup -n MyCluster --max-parallel 4 --yes
  - name: Replace each pool with a new Azure Linux pool, going on past failures.
    text: az aks azurelinux migrate -g MyResourceGroup -n MyCluster --strategy new-pool --continue-on-error --yes
  - name: Move the pools still on Azure Linux 2.0 (Kubernetes 1.31 or older) to Azure Linux 3.0.
    text: az aks azurelinux migrate -g MyResourceGroup -n MyCluster --os-sku AzureLinux3 --yes
  - name: Roll gently, one extra node at a time, cordoning nodes that cannot be drained.
    text: az aks azurelinux migrate -g MyResourceGroup -n MyCluster --max-surge 1 --drain-timeout 60 --undrainable-node-behavior Cordon --yes
"""

helps["aks azurelinux nodepool"] = """
type: group
short-summary: Commands to add, list, show, delete, migrate and roll back Azure Linux node pools.
"""

helps["aks azurelinux nodepool add"] = """
type: command
short-summary: Add an Azure Linux node pool to a cluster.
long-summary: >
    The add is a conditional PUT: if a pool of that name already exists, nothing is changed and the command
    says so. Under the founding policy edition (the default), GPU sizes of the NCv3 and NCasT4_v3 series are
    supported and NC A100 v4 and other GPU families are refused before anything is sent; the aks-2026 edition
    allows every NVIDIA size (az aks azurelinux policy list). --security-module selinux labels the pool and
    tells you what to configure on its nodes; apparmor is refused under founding and allowed on Azure Linux 3.0
    under aks-2026.
examples:
  - name: Add a T4 GPU pool.
    text: az aks azurelinux nodepool add -g MyResourceGroup --cluster-name MyCluster -n gpu --node-vm-size Standard_NC4as_T4_v3
  - name: Add an autoscaled pool with labels and a taint.
    text: az aks azurelinux nodepool add -g MyResourceGroup --cluster-name MyCluster -n batch --enable-cluster-autoscaler --min-count 1 --max-count 5 --labels team=data tier=batch --node-taints sku=batch:NoSchedule
  - name: Add a pool marked for SELinux, which you then configure on its nodes.
    text: az aks azurelinux nodepool add -g MyResourceGroup --cluster-name MyCluster -n secure --security-module selinux
  - name: See the exact request body, and send nothing.
    text: az aks azurelinux nodepool add -g MyResourceGroup --cluster-name MyCluster -n gpu --node-vm-size Standard_NC6s_v3 --dry-run
"""

helps["aks azurelinux nodepool list"] = """
type: command
short-summary: List a cluster's node pools with their OS SKU and Azure Linux readiness.
long-summary: Readiness is one of "on Azure Linux", "can migrate", or "blocked" with the reason.
examples:
  - name: List the pools as a table.
    text: az aks azurelinux nodepool list -g MyResourceGroup --cluster-name MyCluster -o table
  - name: Names of the pools that can migrate.
    text: az aks azurelinux nodepool list -g MyResourceGroup --cluster-name MyCluster --query "[?azureLinuxReadiness.status=='can migrate'].name" -o tsv
"""

helps["aks azurelinux nodepool show"] = """
type: command
short-summary: Show a node pool with its Azure Linux readiness.
examples:
  - name: Show a pool.
    text: az aks azurelinux nodepool show -g MyResourceGroup --cluster-name MyCluster -n nodepool1 -o table
"""

helps["aks azurelinux nodepool delete"] = """
type: command
short-summary: Delete a node pool; AKS cordons and drains its nodes.
long-summary: A cluster must keep one System pool; deleting the last one is refused by AKS with a clear message.
examples:
  - name: Delete a pool without a prompt.
    text: az aks azurelinux nodepool delete -g MyResourceGroup --cluster-name MyCluster -n gpu --yes
  - name: Start the delete and wait for it later.
    text: |
        az aks azurelinux nodepool delete -g MyResourceGroup --cluster-name MyCluster -n gpu --yes --no-wait
        az aks azurelinux nodepool wait -g MyResourceGroup --cluster-name MyCluster -n gpu --deleted
"""

helps["aks azurelinux nodepool migrate"] = """
type: command
short-summary: Migrate one node pool to Azure Linux, in place or through a new pool.
long-summary: >
    in-place (default) changes the pool's OS SKU and nothing else, with If-Match on the pool's ETag so that a
    concurrent change is not overwritten; AKS reimages the nodes with surge. new-pool creates a pool that
    clones every setting of the old one, waits until it has Succeeded, then deletes the old pool; if anything
    fails before then, the old pool is left as it was and a failed replacement is removed. A pool already on
    the target does nothing and exits 0. Asks for confirmation unless --yes is given; without a terminal and
    without --yes nothing is sent.

    The migration is recorded on the pools (agent pool tags azurelinux-migration-*): run the same command
    again after an interruption, from any machine, and it resumes (waits for a replacement still being
    created, then deletes the old pool; waits for a pool still being reimaged) and never creates a second
    replacement. Ctrl-C or SIGTERM stops the waiting and exits 130 or 143 with the report so far.
examples:
  - name: Migrate a pool in place.
    text: az aks azurelinux nodepool migrate -g MyResourceGroup --cluster-name MyCluster -n nodepool2 --yes
  - name: Replace a pool with a new Azure Linux 3 pool named al3pool.
    text: az aks azurelinux nodepool migrate -g MyResourceGroup --cluster-name MyCluster -n nodepool2 --strategy new-pool --new-name al3pool --os-sku AzureLinux3 --yes
  - name: See the plan and the exact bodies, and send nothing.
    text: az aks azurelinux nodepool migrate -g MyResourceGroup --cluster-name MyCluster -n nodepool2 --strategy new-pool --dry-run
"""

helps["aks azurelinux nodepool rollback"] = """
type: command
short-summary: Put a node pool migrated in place back on the OS SKU it had before the migration.
long-summary: >
    Reads the OS SKU that the in-place migration recorded on the pool (the tag
    azurelinux-migration-from-os-sku) and changes the pool back to it in one PUT, with If-Match on the pool's
    ETag; AKS reimages the nodes. The record is removed in the same PUT. Refused, with nothing sent, when no
    migration is on record, when the recorded OS SKU is one AKS no longer accepts (Azure Linux 2.0, that is
    AzureLinux on Kubernetes 1.31 or older, and CBLMariner), or while an operation runs on the pool. A pool
    migrated through a new pool cannot be rolled back: the old pool is gone.
examples:
  - name: Roll a pool back after an in-place migration.
    text: az aks azurelinux nodepool rollback -g MyResourceGroup --cluster-name MyCluster -n nodepool2 --yes
  - name: See the exact request, and send nothing.
    text: az aks azurelinux nodepool rollback -g MyResourceGroup --cluster-name MyCluster -n nodepool2 --dry-run
  - name: Start the rollback and wait for it later.
    text: |
        az aks azurelinux nodepool rollback -g MyResourceGroup --cluster-name MyCluster -n nodepool2 --yes --no-wait
        az aks azurelinux nodepool wait -g MyResourceGroup --cluster-name MyCluster -n nodepool2 --updated
"""

helps["aks azurelinux nodepool wait"] = """
type: command
short-summary: Wait for a node pool to reach a state, after a command run with --no-wait.
examples:
  - name: Wait until a pool has been created.
    text: az aks azurelinux nodepool wait -g MyResourceGroup --cluster-name MyCluster -n gpu --created
"""

helps["aks azurelinux policy"] = """
type: group
short-summary: Commands to see the support policy in force and its editions.
long-summary: >
    The policy comes in editions: founding (the default) and aks-2026 (today's documented AKS support). Choose
    one with `az config set azurelinux.policy=aks-2026` (or the environment variable AZURE_AZURELINUX_POLICY).
    An organisation's own JSON file (`az config set azurelinux.policy_file=PATH`, or
    AZURE_AZURELINUX_POLICY_FILE) can narrow the edition in force, never widen it.
"""

helps["aks azurelinux policy show"] = """
type: command
short-summary: Show the policy edition in force, where it was chosen, and the organisation's policy file and rules.
examples:
  - name: Show the policy in force.
    text: az aks azurelinux policy show
  - name: Show it as a table.
    text: az aks azurelinux policy show -o table
"""

helps["aks azurelinux policy list"] = """
type: command
short-summary: List the policy editions with their dates and what differs from the default edition.
examples:
  - name: List the editions as a table.
    text: az aks azurelinux policy list -o table
  - name: Choose today's documented AKS support.
    text: az config set azurelinux.policy=aks-2026
"""

helps["aks azurelinux inventory"] = """
type: command
short-summary: List every node pool across subscriptions and where it stands with Azure Linux.
long-summary: >
    One row per pool: subscription, resource group, cluster, location, pool, mode, OS type and SKU, VM sizes,
    node count, Kubernetes version, and its status (on-azure-linux, retired, can-migrate, blocked) with the
    reason, judged by the same policy as `nodepool list`. A summary goes to stderr. By default it asks Azure
    Resource Graph (one query per 1,000 subscriptions, fast at any scale, but its data can lag ARM by minutes);
    use --source arm right after a change, for exact and current data. A subscription that cannot be read is
    reported and skipped.
examples:
  - name: Every pool of every subscription of the account, as a table.
    text: az aks azurelinux inventory -o table
  - name: The pools that can move to Azure Linux, or are still on Azure Linux 2.0, in two subscriptions.
    text: az aks azurelinux inventory --subscriptions 00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 --status can-migrate retired
  - name: Every pool under a management group, as JSON for a spreadsheet or a rollout.
    text: az aks azurelinux inventory --management-groups Platform > inventory.json
  - name: Exact and current, right after a migration.
    text: az aks azurelinux inventory --source arm --status blocked -o table
"""

helps["aks azurelinux migrate-fleet"] = """
type: command
short-summary: Migrate the pools of many clusters to Azure Linux in waves, with a failure budget.
long-summary: >
    Clusters come from resource ids, a file (ids, or the JSON that `az aks azurelinux inventory` writes) or an Azure
    Kubernetes Fleet Manager fleet; with --update-strategy the fleet's stages and groups become the waves, so the
    rollout order you keep for upgrades serves here too. Each cluster is planned and migrated as
    `az aks azurelinux migrate` does it (strategy, --max-parallel, roll flags, the live preflight), at most
    --max-parallel-clusters at a time within a wave; after a wave it waits --wait-between (or the stage's wait).
    Once more than --max-failed-clusters clusters have failed, no cluster starts, those in flight finish, and the
    exit code is 1. The records on the pools make a rerun skip what is done and resume what is in flight.
    --dry-run prints the waves, clusters and pools and sends nothing. Ctrl-C behaves as for `migrate`.
examples:
  - name: A canary, then ten percent, then the rest, thirty minutes apart, from the inventory's JSON.
    text: az aks azurelinux migrate-fleet --clusters-file inventory.json --waves canary=1 early=10% rest=* --wait-between 30m --yes
  - name: The stages of a Fleet Manager update strategy as the waves; see the plan first.
    text: az aks azurelinux migrate-fleet --fleet-id /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerService/fleets/MyFleet --update-strategy safe-rollout --dry-run
  - name: Two named clusters, one failure tolerated.
    text: az aks azurelinux migrate-fleet --clusters /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/c1 /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/c2 --max-failed-clusters 1 --yes
"""
