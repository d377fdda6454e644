-- Flow bots: the flow a tenant uploaded (JSON), run when its plugin_type is
-- 'flow'. One per tenant; replaced whole on each upload.

CREATE TABLE flows (
    tenant_id   UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    definition  JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

ALTER TABLE flows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON flows
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON flows TO wabot_app;
