# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Label selectors and node placement, as the Kubernetes API reference defines them."""
import pytest

from azext_azurelinux.workloads import objects
from azext_azurelinux.workloads.selectors import NodeLabels, describe, holds, misfits, selects

LABELS = {"app": "web", "tier": "front"}


@pytest.mark.parametrize("selector, selected", [
    (None, False),  # a null selector selects nothing
    ({}, True),  # an empty one, everything
    ({"matchLabels": {"app": "web"}}, True),
    ({"matchLabels": {"app": "web", "tier": "back"}}, False),
    ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]}, True),
    ({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["1"]}]}, False),
    ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, False),
    ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["1"]}]}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
    ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
    ({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, False),  # not a label operator
])
def test_label_selectors(selector, selected):
    assert selects(selector, LABELS) is selected


def test_node_requirements_on_known_unknown_and_unread_labels():
    node = NodeLabels({"os": "Ubuntu", "cores": "8"})
    assert holds(node, "os", "In", ["Ubuntu"]) and not holds(node, "os", "NotIn", ["Ubuntu"])
    assert holds(node, "gpu", "DoesNotExist") and not holds(node, "gpu", "Exists")
    assert holds(node, "cores", "Gt", ["4"]) and not holds(node, "cores", "Lt", ["4"])
    assert not holds(node, "os", "Gt", ["4"])  # not a number
    image = node.changed(unknown={"image": lambda v: not v.startswith("AKSUbuntu")})
    assert not holds(image, "image", "In", ["AKSUbuntu-2204"]) and holds(image, "image", "In", ["AKSAzureLinux-V3"])
    assert holds(image, "image", "NotIn", ["AKSUbuntu-2204"]) and not holds(image, "image", "DoesNotExist")
    unread = NodeLabels(unread=True)
    assert holds(unread, "disk", "In", ["ssd"]) and holds(unread, "disk", "DoesNotExist")


def test_required_terms_are_ored_and_their_expressions_anded():
    def spec(*terms):
        return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": list(terms)}}}}

    ubuntu = {"matchExpressions": [{"key": "os", "operator": "In", "values": ["Ubuntu"]}]}
    linux = {"matchExpressions": [{"key": "os", "operator": "In", "values": ["AzureLinux"]},
                                  {"key": "zone", "operator": "In", "values": ["2"]}]}
    node = NodeLabels({"os": "AzureLinux", "zone": "1"})
    failing = misfits(spec(ubuntu, linux), node)
    assert describe(failing) == ("required node affinity os In (Ubuntu) or required node affinity zone In (2)")
    assert misfits(spec(ubuntu, dict(linux, matchExpressions=linux["matchExpressions"][:1])), node) == []
    assert misfits(spec({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}), node) == []
    assert misfits(spec({}), node) == []  # an empty term matches nothing, but blames no label either
    both = dict(spec(ubuntu), nodeSelector={"os": "Ubuntu"})
    assert describe(misfits(both, node)) == "nodeSelector os=Ubuntu and required node affinity os In (Ubuntu)"


@pytest.mark.parametrize("name, pool", [
    ("aks-nodepool1-12345678-vmss000000", "nodepool1"), ("aks-gpu-98765432-vmss00000a", "gpu"),
    ("aks-np1-12345678-3", "np1"), ("akswin000000", None), ("node-1", None), (None, None),
])
def test_pools_from_aks_node_names(name, pool):
    assert objects.pool_from_node_name(name) == pool
