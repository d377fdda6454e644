-- Quotas and billing: per-tenant permission for metered overage, one usage
-- row per tenant and day written in the same transaction as each billable
-- conversation step, and the tenant's event feed (quota warnings).

ALTER TABLE tenants ADD COLUMN overage_allowed BOOLEAN NOT NULL DEFAULT FALSE;

-- Replaces 0001's never-written usage_logs with the shape the billing
-- code keeps (integer cost, one row per tenant and day).
DROP TABLE usage_logs;

CREATE TABLE usage_logs (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day            TEXT NOT NULL,
    message_count  INTEGER NOT NULL DEFAULT 0,
    -- Overage charged that day, in millionths of a dollar.
    cost_micros    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);

CREATE TABLE tenant_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, dedupe_key)
);
