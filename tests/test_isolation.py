"""Test sessions keep out of each other's way: PostgreSQL schemas a killed session left behind are dropped
by a later one, and each session running at once has a Redis database of its own."""

from __future__ import annotations

import os
import time

from tests.conftest import STALE_AFTER_S, drop_stale_schemas, new_schema_name


def test_stale_test_schemas_are_dropped_and_fresh_ones_kept(pg_server):
    old = f"sw_test_{int(time.time() - STALE_AFTER_S - 60):x}_deadbeef"
    fresh = new_schema_name()
    other = "sw_keep_me_not_a_test"  # not ours by name: never touched
    for name in (old, fresh, other):
        pg_server.execute(f'CREATE SCHEMA "{name}"')
        pg_server.execute(f'CREATE TABLE "{name}".t (x int)')
    try:
        dropped = drop_stale_schemas(pg_server)
        left = {r[0] for r in pg_server.execute("SELECT nspname FROM pg_namespace").fetchall()}
        assert old in dropped and old not in left
        assert fresh in left and other in left and fresh not in dropped
    finally:
        for name in (old, fresh, other):
            pg_server.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_each_session_claims_a_redis_database_of_its_own(redis_url):
    from tests import workers

    if workers._claim is None:  # STOREWATCH_TEST_REDIS named one, or every database was claimed
        assert redis_url == os.environ["STOREWATCH_TEST_REDIS"]
        return
    registry, key, token = workers._claim
    assert key.endswith(":" + redis_url.rsplit("/", 1)[1]) and registry.get(key) == token.encode()
    assert registry.ttl(key) > 0  # a killed session's claim lapses
    assert os.environ["STOREWATCH_TEST_REDIS"] == redis_url  # workers the tests start use it too
