# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Every ARM list the extension reads is read to its last page: the emulator pages them as ARM does (`nextLink`
with a `$skiptoken`), here two items a page, so that anything read from the first page only would show."""
import pytest

from tests.e2e.conftest import arm_requests, pool_spec
from tests.e2e.test_migrate_fleet import cluster_ids, fleet, seed_clusters
from tests.e2e.test_preflight import D4, FAMILY, limit, migrate, place, seed  # noqa: F401  pylint: disable=unused-import
from tests.emulator.store import SUBSCRIPTION_ID


@pytest.fixture
def two_a_page(emulator):
    emulator.configure(pageSize=2)
    yield
    emulator.configure(pageSize=0)


def pages_read(emulator, suffix):
    return [e for e in arm_requests(emulator) if e["method"] == "GET" and e["path"].lower().endswith(suffix.lower())]


def test_fleet_members_past_the_first_page_are_migrated_and_their_stage_runs(az, emulator, rg, seed_cluster,
                                                                             two_a_page):  # pylint: disable=unused-argument,redefined-outer-name
    names = seed_clusters(seed_cluster, ["p1", "p2", "p3", "p4", "p5"], pools=1)
    ids = cluster_ids(rg, names)
    emulator.admin("POST", "fleetmanager", {
        "resourceGroup": rg, "name": "big",
        "members": [{"name": n, "clusterResourceId": i, "group": "canary" if n == "p5" else "rest"}
                    for n, i in zip(names, ids)],
        "updateStrategies": [{"name": "safe", "stages": [{"name": "canary", "groups": [{"name": "canary"}]},
                                                         {"name": "rest", "groups": [{"name": "rest"}]}]}]})
    fleet_id = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/Microsoft.ContainerService/fleets/big"
    emulator.clear_requests()
    everyone = fleet(az, "--fleet-id", fleet_id, "--dry-run")
    assert everyone.code == 0, everyone
    assert sorted(c["cluster"] for c in everyone.json["clusters"]) == sorted(ids)  # 5 members on 3 pages
    assert len(pages_read(emulator, "/fleets/big/members")) == 3
    staged = fleet(az, "--fleet-id", fleet_id, "--update-strategy", "safe", "--dry-run")
    assert staged.code == 0, staged
    # the canary's group is on the last page: its stage still comes first, and holds it
    assert [(w["name"], w["clusters"]) for w in staged.json["waves"]] == [("canary", [ids[4]]), ("rest", ids[:4])]


def test_node_pools_and_the_cluster_listing_past_the_first_page(az, emulator, rg, seed_cluster, two_a_page):  # pylint: disable=unused-argument,redefined-outer-name
    cluster = seed_cluster([pool_spec("system", mode="System")] + [pool_spec(f"u{i}") for i in range(4)])
    listed = az.ok("aks", "azurelinux", "nodepool", "list", "-g", rg, "--cluster-name", cluster)
    assert sorted(p["name"] for p in listed.json) == ["system", "u0", "u1", "u2", "u3"]
    assert len(pages_read(emulator, "/agentPools")) == 3
    for extra in ("c2", "c3"):
        seed_cluster(name=extra)
    rows = az.ok("aks", "azurelinux", "inventory", "--subscriptions", SUBSCRIPTION_ID, "--source", "arm").json
    assert {"c1", "c2", "c3"} <= {r["cluster"] for r in rows if r["resourceGroup"] == rg}


def test_the_preflight_reads_every_page_of_usages(az, emulator, rg, seed_cluster, place, two_a_page):  # pylint: disable=unused-argument,redefined-outer-name
    cluster = seed(seed_cluster, place, pool_spec("big", vm_size=D4, count=10))
    limit(emulator, place, family=45)  # the family's usage is not on the first page of two
    emulator.clear_requests()
    result = migrate(az, rg, cluster, "big", "--yes")
    assert result.code == 1 and f"vCPUs of family {FAMILY} at once" in result.err, result
    assert len(pages_read(emulator, "/usages")) > 1
    assert [e for e in arm_requests(emulator) if e["method"] == "PUT"] == []
