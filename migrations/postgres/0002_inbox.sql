-- Durable inbox: every customer message is stored before WAHA gets its 2xx.
-- (session, message_id) is WAHA's stable business key, so a redelivered
-- event hits the unique key and is dropped, durably. processed_at is set in
-- the same transaction that saves the conversation snapshot; rows without it
-- are replayed at start-up, in id (arrival) order.
--
-- The inbox writer inserts batches that span tenants (group commit), so it
-- writes as the owning role; tenant work reads and marks rows as wabot_app.

CREATE TABLE inbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session       TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    customer      TEXT NOT NULL,
    body          TEXT NOT NULL,
    bucket        SMALLINT NOT NULL CHECK (bucket BETWEEN 0 AND 255),
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at  TIMESTAMPTZ,
    UNIQUE (session, message_id)
);
-- Replay and lag queries look only at unprocessed rows.
CREATE INDEX inbox_unprocessed ON inbox (id) WHERE processed_at IS NULL;

ALTER TABLE inbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inbox
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, UPDATE ON inbox TO wabot_app;

-- A confirmed checkout places at most one order: the key is the WAHA id of
-- the customer's confirming message, so a replayed "yes" finds its order.
ALTER TABLE orders ADD COLUMN checkout_key TEXT;
CREATE UNIQUE INDEX orders_checkout_key ON orders (tenant_id, checkout_key);
