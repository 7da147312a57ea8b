"""The hub as a replication peer (hub/replication): row states, their origins, per-origin
versions and the hub's per-event clock. Plain SQL: these tables have no models, the
replication store reads and writes them through asyncpg."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = [
    "CREATE TABLE sync_clock ("
    " event_id UUID PRIMARY KEY REFERENCES event (id) ON DELETE CASCADE,"
    " site_id BYTEA NOT NULL,"
    " db_version BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE sync_row ("
    " event_id UUID NOT NULL REFERENCES sync_clock (event_id) ON DELETE CASCADE,"
    " tbl TEXT NOT NULL,"
    " pk BYTEA NOT NULL,"
    " state BYTEA NOT NULL,"
    " PRIMARY KEY (event_id, tbl, pk))",
    "CREATE TABLE sync_row_origin ("
    " event_id UUID NOT NULL REFERENCES sync_clock (event_id) ON DELETE CASCADE,"
    " tbl TEXT NOT NULL,"
    " pk BYTEA NOT NULL,"
    " site_id BYTEA NOT NULL,"
    " origin_version BIGINT NOT NULL,"
    " PRIMARY KEY (event_id, tbl, pk, site_id))",
    "CREATE INDEX sync_row_origin_by_site ON sync_row_origin (event_id, site_id, origin_version)",
    "CREATE TABLE sync_origin ("
    " event_id UUID NOT NULL REFERENCES sync_clock (event_id) ON DELETE CASCADE,"
    " site_id BYTEA NOT NULL,"
    " version BIGINT NOT NULL,"
    " PRIMARY KEY (event_id, site_id))",
]
REVERSE = [
    "DROP TABLE sync_origin",
    "DROP TABLE sync_row_origin",
    "DROP TABLE sync_row",
    "DROP TABLE sync_clock",
]


class Migration(migrations.Migration):
    dependencies = [("hub", "0008_devices")]

    initial = False

    operations = [ops.RunSQL(FORWARD, reverse_sql=REVERSE)]
