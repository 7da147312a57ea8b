"""The hub as a replication peer of each event's replica, over PostgreSQL.

The merge rules stay in ``sync.merge``: this package loads ``RowState``s from PostgreSQL,
runs ``merge_change`` over them and persists the outcome in the same transaction as the
hub change or ingest that caused it. Every worker process is stateless: the clocks, the
row states and the per-origin versions are rows in PostgreSQL (see docs/replication.md).
"""
