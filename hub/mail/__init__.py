"""Email from the hub: composed, queued in the outbox, delivered in the background.

The path is the same for every message (invitations now; order confirmations and tickets
later):

1. `compose.compose` turns a `Letter` (who, subject, plain text and HTML) into one RFC 5322
   message: headers built by the standard library from sanitised names (no header
   injection), Date and Message-ID set, bodies quoted-printable so the stored text is ASCII.
2. `outbox.enqueue` stores it in the `mail_outbox` table *in the caller's transaction*, so a
   message exists exactly when the change that caused it was committed, and wakes every hub
   process with a PostgreSQL NOTIFY that fires at commit.
3. `delivery.DeliveryLoop`, one per hub process, claims due messages with
   `SELECT ... FOR UPDATE SKIP LOCKED` and holds the row lock while it hands the message to
   the transport, so several hub processes never send one message twice. Failures are
   retried with doubling waits and then marked failed, with the error kept on the row.
4. A transport delivers: `transport.SmtpTransport` (smtp://, smtp+starttls://, smtps://), or,
   when no SMTP server is configured, `transport.FolderTransport`, which writes .eml files
   into the hub's data folder so that nothing is lost and a person can open them.
"""
