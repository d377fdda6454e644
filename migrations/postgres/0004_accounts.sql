-- Self-service accounts (issue 4): users with argon2 password hashes, API
-- keys and login tokens stored as SHA-256 digests (the clear value is shown
-- once), an audit log of every change made through the API, and what the
-- WhatsApp session lifecycle needs: a tenant is created at signup before it
-- has a WAHA instance (waha_instance_id is set when the session is placed),
-- the last session status WAHA reported (and when), and each instance's
-- capacity.
--
-- Credentials are looked up before the tenant is known, so users, api_keys
-- and login_tokens are read by the owning role (like session routing);
-- audit_log rows are tenant rows under row-level security.

ALTER TABLE waha_instances
    ADD COLUMN capacity INTEGER NOT NULL DEFAULT 100 CHECK (capacity >= 0),
    ADD COLUMN draining BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE tenants
    ALTER COLUMN waha_instance_id DROP NOT NULL,
    ADD COLUMN session_status TEXT NOT NULL DEFAULT 'STOPPED',
    -- Orders the reports (WAHA delivers events concurrently and retries
    -- them, so an older status must not overwrite a newer one): WAHA's
    -- timestamp in ms × 8 plus the status's lifecycle rank, so that two
    -- reports of the same millisecond order STARTING < SCAN_QR_CODE < WORKING.
    ADD COLUMN session_status_order BIGINT NOT NULL DEFAULT 0;

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- The first characters of the key, shown in listings to tell keys apart.
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE login_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Who: "operator", "user:<email>" or "api_key:<prefix>".
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    before      JSONB,
    after       JSONB,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_log TO wabot_app;
