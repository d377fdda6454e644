-- Flow bots: the flow a tenant uploaded (JSON), run when its plugin_type is
-- 'flow'. One per tenant; replaced whole on each upload.

CREATE TABLE flows (
    tenant_id   BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    definition  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
