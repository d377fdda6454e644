-- Quotas and billing: per-tenant permission for metered overage, one usage
-- row per tenant and day written in the same transaction as each billable
-- conversation step, and the tenant's event feed (quota warnings).

ALTER TABLE tenants ADD COLUMN overage_allowed BOOLEAN NOT NULL DEFAULT FALSE;

-- Replaces 0001's never-written usage_logs with the shape the billing
-- code keeps (integer cost, one row per tenant and day).
DROP TABLE usage_logs;

CREATE TABLE usage_logs (
    tenant_id      UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day            DATE NOT NULL,
    message_count  BIGINT NOT NULL DEFAULT 0,
    -- Overage charged that day, in millionths of a dollar: integer sums are
    -- exact on both backends.
    cost_micros    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);

CREATE TABLE tenant_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    -- The same event is recorded once: e.g. "quota-80-2026-11".
    dedupe_key  TEXT NOT NULL,
    data        JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, dedupe_key)
);

ALTER TABLE usage_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_logs
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON usage_logs TO wabot_app;

ALTER TABLE tenant_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_events
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON tenant_events TO wabot_app;
