-- Pharmacies: prescription-only items, the files customers send, and
-- orders that wait for a pharmacist to review their prescription.

-- Sold on prescription only: checkout asks for a photo or PDF of it.
ALTER TABLE menu_items ADD COLUMN prescription_required BOOLEAN NOT NULL DEFAULT false;

-- The file a customer message carried, as WAHA announced it (JSON:
-- url, mimetype, filename), kept so a replayed event still has it.
ALTER TABLE inbox ADD COLUMN media TEXT;

-- Customers' files, downloaded from WAHA and kept in the media storage
-- (files on disk or S3) under storage_key; readable by their tenant only.
CREATE TABLE media (
    tenant_id       UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              UUID NOT NULL,
    customer_phone  TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    mimetype        TEXT NOT NULL,
    filename        TEXT,
    size_bytes      BIGINT NOT NULL CHECK (size_bytes >= 0),
    storage_key     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, message_id)
);

ALTER TABLE media ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON media
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON media TO wabot_app;

-- An order with prescription-only items carries the customer's
-- prescription and waits for review: 'awaiting', then 'approved' (the order
-- is confirmed) or 'rejected' (it is cancelled, with the reason).
ALTER TABLE orders ADD COLUMN prescription_media_id UUID;
ALTER TABLE orders ADD COLUMN prescription_review TEXT
    CHECK (prescription_review IN ('awaiting', 'approved', 'rejected'));
ALTER TABLE orders ADD COLUMN review_note TEXT;
CREATE INDEX orders_awaiting_review ON orders (tenant_id, created_at)
    WHERE prescription_review = 'awaiting';
