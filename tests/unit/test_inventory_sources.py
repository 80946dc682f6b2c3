# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The inventory's two sources on answers shaped as Resource Graph and ARM give them, without a network."""
from azext_azurelinux import inventory
from azext_azurelinux._arm import Unreadable
from azext_azurelinux.policy import Policy

A, B, C = "aaaa0000-0000-0000-0000-00000000000a", "bbbb0000-0000-0000-0000-00000000000b", \
    "cccc0000-0000-0000-0000-00000000000c"
POOL = {"name": "np1", "osType": "Linux", "osSKU": "Ubuntu", "vmSize": "Standard_D4ds_v5", "count": 3}


def graph(visible, forbidden_all=False):
    """post_json as Resource Graph answers: containers for the visible subscriptions, pools only for them."""
    asked = []

    def post(path, body):
        asked.append(body)
        if forbidden_all:
            raise Unreadable("Resource Graph answered HTTP 403: no subscription may be read")
        subs = [s for s in body["subscriptions"] if s in visible]
        if body["query"].startswith("ResourceContainers"):
            return {"data": [{"subscriptionId": s} for s in subs]}
        return {"data": [{"subscriptionId": s, "resourceGroup": "rg", "cluster": "c", "location": "eastus",
                          "kubernetesVersion": "1.33.5", "pool": POOL} for s in subs]}
    return post, asked


def test_graph_reports_the_subscriptions_it_cannot_see():
    post, asked = graph(visible={A, C})
    unreadable = []
    rows = inventory.from_graph(post, [A, B, C], None, unreadable, policy=Policy())
    assert [r["subscription"] for r in rows] == [A, C]
    assert [s for s, _ in unreadable] == [B] and "no read access" in unreadable[0][1]
    # the pools first; then only the subscription that gave no row is looked for among those it can see
    assert [(b["query"].split()[0], b["subscriptions"]) for b in asked] == [("Resources", [A, B, C]),
                                                                          ("ResourceContainers", [B])]


def test_graph_asks_nothing_more_when_every_subscription_gave_rows():
    post, asked = graph(visible={A, C})
    unreadable = []
    assert len(inventory.from_graph(post, [A, C], None, unreadable, policy=Policy())) == 2
    assert unreadable == [] and len(asked) == 1


def test_graph_reports_a_forbidden_one_when_the_others_gave_rows():
    def post(path, body):
        if body["query"].startswith("ResourceContainers"):
            raise Unreadable("Resource Graph answered HTTP 403: none readable")
        return {"data": [{"subscriptionId": A, "resourceGroup": "rg", "cluster": "c", "location": "eastus",
                          "kubernetesVersion": "1.33.5", "pool": POOL}]}
    unreadable = []
    assert len(inventory.from_graph(post, [A, B], None, unreadable, policy=Policy())) == 1
    assert unreadable == [(B, "Resource Graph answered HTTP 403: none readable")]


def test_graph_answering_403_for_all_gives_no_rows_and_says_why_for_each():
    post, asked = graph(visible=set(), forbidden_all=True)
    unreadable = []
    assert inventory.from_graph(post, [A, B], None, unreadable, policy=Policy()) == []
    assert [s for s, _ in unreadable] == [A, B] and all("403" in why for _, why in unreadable)
    assert len(asked) == 1  # the pools query's 403 says it all


def test_management_groups_are_left_to_resource_graph():
    asked, unreadable = [], []

    def post(path, body):
        asked.append(body)
        return {"data": []}
    assert inventory.from_graph(post, [], ["mg1"], unreadable, policy=Policy()) == []
    assert unreadable == [] and [b["managementGroups"] for b in asked] == [["mg1"]]  # no visibility query


def test_arm_follows_next_link_on_the_cluster_listing():
    pages = {None: {"value": [{"id": f"/subscriptions/{A}/resourceGroups/rg/providers/x/managedClusters/c1",
                               "name": "c1", "location": "eastus",
                               "properties": {"kubernetesVersion": "1.33.5", "agentPoolProfiles": [POOL]}}],
                    "nextLink": "https://next/page2"},
             "https://next/page2": {"value": [{"id": f"/subscriptions/{A}/resourceGroups/rg/providers/x/"
                                                     "managedClusters/c2", "name": "c2", "location": "eastus",
                                               "properties": {"agentPoolProfiles": [POOL]}}]}}

    def get(path, params):
        return pages[None if params else path]
    rows = inventory.from_arm(get, [A], [], policy=Policy())
    assert [r["cluster"] for r in rows] == ["c1", "c2"]
