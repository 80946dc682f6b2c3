# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Waves, cluster lists and the failure budget of a fleet rollout, without a network."""
import json
import threading
import time

import pytest

from azext_azurelinux.migration import fleet


def ids(n):
    return [fleet.cluster_id("s", "rg", f"c{i}") for i in range(n)]


def test_waves_count_percent_and_the_rest():
    waves, left = fleet.assign_waves(ids(20), fleet.parse_waves(["canary=1", "early=10%", "rest=*"]))
    assert [(w["name"], len(w["clusters"])) for w in waves] == [("canary", 1), ("early", 2), ("rest", 17)]
    assert left == [] and waves[0]["clusters"] == [ids(20)[0]]
    waves, left = fleet.assign_waves(ids(3), fleet.parse_waves(["one=1", "two=2"]))
    assert left == [] and [len(w["clusters"]) for w in waves] == [1, 2]  # no '*', and every cluster is in a wave
    assert fleet.assign_waves(ids(3), fleet.parse_waves(None))[0][0]["clusters"] == ids(3)


@pytest.mark.parametrize("spec,message", [(["x"], "is not a wave"), (["a=*", "b=1"], "only the last wave"),
                                          (["a=1", "a=2"], "a name of its own"), (["a=-1"], "is not a wave")])
def test_bad_wave_specs(spec, message):
    with pytest.raises(fleet.FleetError, match=message):
        fleet.parse_waves(spec)


def test_durations_and_ids():
    assert [fleet.parse_duration(d) for d in ("0", "90s", "30m", "1h")] == [0, 90, 1800, 3600]
    with pytest.raises(fleet.FleetError):
        fleet.parse_duration("soon")
    assert fleet.parse_cluster_id(ids(1)[0]) == ("s", "rg", "c0")
    with pytest.raises(fleet.FleetError, match="is not a managed cluster resource id"):
        fleet.parse_cluster_id("c0")


def test_clusters_from_a_file_of_ids_or_of_inventory_rows():
    rows = [{"subscription": "s", "resourceGroup": "rg", "cluster": "c0", "pool": "a"},
            {"subscription": "s", "resourceGroup": "rg", "cluster": "c0", "pool": "b"},
            {"subscription": "s", "resourceGroup": "rg", "cluster": "c1", "pool": "a"}]
    assert fleet.clusters_from_file(json.dumps(rows)) == ids(2)
    assert fleet.clusters_from_file("\n".join(ids(2)) + "\n") == ids(2)
    assert fleet.clusters_from_file(json.dumps(ids(2))) == ids(2)
    with pytest.raises(fleet.FleetError):
        fleet.clusters_from_file(json.dumps({"a": 1}))


@pytest.mark.parametrize("spec", [["a=0"], ["a=0%"], ["a=00"], ["canary=1", "none=0", "rest=*"]])
def test_a_wave_of_no_cluster_is_refused(spec):
    with pytest.raises(fleet.FleetError, match="a wave of no cluster moves nothing"):
        fleet.parse_waves(spec)


def test_waves_that_leave_clusters_out_are_refused_with_the_count_and_the_fix():
    with pytest.raises(fleet.FleetError) as error:
        fleet.assign_waves(ids(5), fleet.parse_waves(["one=1", "two=2"]))
    assert "hold 3 of the 5 clusters, so 2 would be in no wave" in str(error.value)
    assert "rest=*" in str(error.value)
    with pytest.raises(fleet.FleetError, match="hold 1 of the 20 clusters, so 19"):
        fleet.assign_waves(ids(20), fleet.parse_waves(["early=5%"]))
    assert fleet.assign_waves(ids(20), fleet.parse_waves(["early=5%", "rest=100%"]))[1] == []


def test_waves_from_a_fleet_update_strategy():
    members = [{"properties": {"clusterResourceId": c, "group": g}} for c, g in zip(ids(4), ["a", "b", "b", "z"])]
    strategy = {"properties": {"strategy": {"stages": [
        {"name": "first", "groups": [{"name": "a"}], "afterStageWaitInSeconds": 60},
        {"name": "second", "groups": [{"name": "b"}]}]}}}
    waves, unplaced = fleet.waves_from_strategy(members, strategy)
    assert [(w["name"], w["clusters"], w["waitAfter"]) for w in waves] == [
        ("first", ids(1), 60), ("second", ids(3)[1:], None)]
    assert unplaced == [ids(4)[3]]


def test_the_failure_budget_stops_new_clusters_and_lets_those_in_flight_finish():
    lock, running, peak = threading.Lock(), [0], [0]

    def migrate(cluster):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return {"outcome": "failed" if cluster.endswith("c1") else "succeeded"}
    waves, _ = fleet.assign_waves(ids(6), fleet.parse_waves(["canary=1", "rest=*"]))
    results = fleet.run_waves(waves, migrate, max_parallel_clusters=1, max_failed_clusters=0, progress=lambda m: None)
    assert [r["outcome"] for r in results] == ["succeeded", "failed"] + ["not-started"] * 4
    assert "failure budget" in results[2]["reason"]
    results = fleet.run_waves(waves, migrate, max_parallel_clusters=3, max_failed_clusters=1, progress=lambda m: None)
    assert [r["outcome"] for r in results].count("succeeded") == 5 and peak[0] == 3


def test_the_wait_between_waves_is_kept_and_told():
    said, slept = [], []
    waves, _ = fleet.assign_waves(ids(2), fleet.parse_waves(["a=1", "b=*"]))
    fleet.run_waves(waves, lambda c: {"outcome": "succeeded"}, wait_between=0.2, progress=said.append,
                    sleep=lambda s: (slept.append(s), time.sleep(s)))
    assert any("waiting 0.2 s before wave b" in m for m in said) and slept
