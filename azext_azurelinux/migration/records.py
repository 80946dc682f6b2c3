# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""What a migration writes on the pools themselves (agent pool tags), and reads back.

State lives in Azure, not on the machine that started the run: whoever runs the same command
next, from any machine, reads these records and resumes, joins or refuses.

- A replacement pool (strategy new-pool) is created with `replaces` (the old pool's name),
  `replaces-etag` (the old pool's ETag the plan was made on, so that deleting the old pool later
  is conditional on it being the same pool), `from-os-sku` and `strategy`. The record is part of
  the PUT that creates the replacement, so no replacement exists without it. It stays after the
  migration: it tells a later rollback that the pool came from a new-pool migration.
- A pool changed in place gets `from-os-sku` (the OS SKU it had) and `strategy`, in the same
  PUT that changes its OS SKU. It stays until a rollback, which removes it in its own PUT.

Pure: tags in, tags or a record out.
"""
PREFIX = "azurelinux-migration-"
STRATEGY = PREFIX + "strategy"
FROM_OS_SKU = PREFIX + "from-os-sku"
REPLACES = PREFIX + "replaces"
REPLACES_ETAG = PREFIX + "replaces-etag"


def tags_of(pool):
    """The tags of a pool view (plain REST-shaped data)."""
    return dict((pool.get("body") or {}).get("properties", {}).get("tags") or {})


def read(pool):
    """The migration record on a pool, or None: {strategy, fromOsSku, replaces, replacesEtag}."""
    tags = tags_of(pool)
    if not any(key.startswith(PREFIX) for key in tags):
        return None
    return {"strategy": tags.get(STRATEGY), "fromOsSku": tags.get(FROM_OS_SKU), "replaces": tags.get(REPLACES),
            "replacesEtag": tags.get(REPLACES_ETAG)}


def without_records(tags):
    """The user's own tags: ours removed."""
    return {k: v for k, v in (tags or {}).items() if not k.startswith(PREFIX)}


def for_in_place(tags, from_os_sku):
    return dict(without_records(tags), **{STRATEGY: "in-place", FROM_OS_SKU: from_os_sku})


def for_replacement(tags, old_pool, old_etag, from_os_sku):
    record = {STRATEGY: "new-pool", FROM_OS_SKU: from_os_sku, REPLACES: old_pool}
    if old_etag:
        record[REPLACES_ETAG] = old_etag
    return dict(without_records(tags), **record)
