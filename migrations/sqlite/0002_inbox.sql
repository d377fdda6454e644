-- Durable inbox and idempotent checkouts; see migrations/postgres/0002_inbox.sql.

CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session       TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    customer      TEXT NOT NULL,
    body          TEXT NOT NULL,
    bucket        INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 255),
    received_at   TEXT NOT NULL,
    processed_at  TEXT,
    UNIQUE (session, message_id)
);
CREATE INDEX inbox_unprocessed ON inbox (id) WHERE processed_at IS NULL;

ALTER TABLE orders ADD COLUMN checkout_key TEXT;
CREATE UNIQUE INDEX orders_checkout_key ON orders (tenant_id, checkout_key);
