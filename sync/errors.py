"""The one exception tree of the sync package.

Every error carries a stable machine-readable ``code``: callers (HTTP routes, the gate UI,
logs) switch on the code, never on the message.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error raised by ``sync``."""

    code: str = "sync_error"


class SchemaRefusedError(SyncError):
    """A table cannot be replicated; the message names the rule it breaks."""

    code = "schema_refused"


class NotReplicatedError(SyncError):
    """A change names a table (or a column) that is not replicated here."""

    code = "not_replicated"


class MalformedChangeError(SyncError):
    """A change row is not well formed (bad packed key, site id, versions)."""

    code = "malformed_change"


class MalformedPackedKeyError(MalformedChangeError):
    """A packed primary key does not decode."""

    code = "malformed_pk"


class WireFormatError(SyncError):
    """A changeset on the wire does not decode (truncated, wrong version, corrupt)."""

    code = "wire_format"


class AuthenticationError(SyncError):
    """A changeset or request failed authentication; it is refused whole."""

    code = "unauthenticated"


class RefusedChangeError(SyncError):
    """A well-formed change row whose value the receiving service refuses (the service's
    own check on what it replicates, e.g. a column's type or format; the message says why).
    The whole batch is refused, as for any other error."""

    code = "refused_change"
