# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""What runs on a cluster's nodes, and what it means for a migration to Azure Linux.

    kube.py       reads the cluster's Kubernetes API, read-only, once: kubeconfig, Entra token, chunked lists
    objects.py    the fields kept from each object, and who controls a pod and which pool runs it; pure
    selectors.py  label selectors, nodeSelector and required node affinity against a node's labels; pure
    analysis.py   budgets that block a drain, workloads tied to the old OS or pool, bare pods, Ubuntu host paths;
                  pure: a snapshot in, findings out

Nothing here is imported by the command loader: the read costs nothing until a command asks for it.
"""
