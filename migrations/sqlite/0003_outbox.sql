-- Outbox; see migrations/postgres/0003_outbox.sql.

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session          TEXT NOT NULL,
    chat_id          TEXT NOT NULL,
    content          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    wa_message_id    TEXT NOT NULL,
    bucket           INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 255),
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    -- WAHA refused it for good (4xx other than 422): kept for inspection, not resent.
    failed_at        TEXT,
    last_error       TEXT,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
