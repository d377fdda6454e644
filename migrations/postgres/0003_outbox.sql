-- Outbox: every reply and notice is written before it is sent, in the same
-- transaction as the conversation step that produced it, so a reply exists
-- exactly when its step committed. idempotency_key (per tenant) makes a
-- replayed step insert nothing new; wa_message_id is the WhatsApp id sent
-- with the message (WAHA's `id` field), so a resend after a crash between
-- WAHA's 2xx and sent_at is recognised as the same message. Rows without
-- sent_at are sent again at start-up, in id order.

CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session          TEXT NOT NULL,
    chat_id          TEXT NOT NULL,
    content          JSONB NOT NULL,
    idempotency_key  TEXT NOT NULL,
    wa_message_id    TEXT NOT NULL,
    bucket           SMALLINT NOT NULL CHECK (bucket BETWEEN 0 AND 255),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    -- WAHA refused it for good (4xx other than 422): kept for inspection, not resent.
    failed_at        TIMESTAMPTZ,
    last_error       TEXT,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON outbox TO wabot_app;
