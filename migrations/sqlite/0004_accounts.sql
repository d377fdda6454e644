-- no-transaction
-- Accounts; see migrations/postgres/0004_accounts.sql.
--
-- SQLite cannot drop NOT NULL from tenants.waha_instance_id in place, so the
-- table is rebuilt (https://www.sqlite.org/lang_altertable.html, "Making
-- Other Kinds Of Table Schema Changes"): foreign keys off, then one
-- transaction that copies, swaps and checks. Hence "no-transaction" above.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE tenants_rebuilt (
    id                   BLOB PRIMARY KEY,
    business_name        TEXT NOT NULL,
    phone_number         TEXT NOT NULL UNIQUE,
    whatsapp_session_id  TEXT NOT NULL UNIQUE,
    waha_instance_id     BLOB REFERENCES waha_instances (id),
    webhook_secret       TEXT NOT NULL,
    plugin_type          TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('trial', 'active', 'suspended')),
    settings             TEXT NOT NULL DEFAULT '{}',
    subscription_tier    TEXT NOT NULL DEFAULT 'free'
                         CHECK (subscription_tier IN ('free', 'basic', 'premium', 'enterprise')),
    next_order_number    INTEGER NOT NULL DEFAULT 1001,
    created_at           TEXT NOT NULL,
    session_status       TEXT NOT NULL DEFAULT 'STOPPED',
    session_status_order INTEGER NOT NULL DEFAULT 0
);
INSERT INTO tenants_rebuilt (id, business_name, phone_number, whatsapp_session_id,
    waha_instance_id, webhook_secret, plugin_type, status, settings, subscription_tier,
    next_order_number, created_at)
SELECT id, business_name, phone_number, whatsapp_session_id, waha_instance_id,
    webhook_secret, plugin_type, status, settings, subscription_tier, next_order_number,
    created_at
FROM tenants;
DROP TABLE tenants;
ALTER TABLE tenants_rebuilt RENAME TO tenants;

ALTER TABLE waha_instances ADD COLUMN capacity INTEGER NOT NULL DEFAULT 100 CHECK (capacity >= 0);
ALTER TABLE waha_instances ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;

CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    created_at     TEXT NOT NULL
);

CREATE TABLE api_keys (
    id            BLOB PRIMARY KEY,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE login_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    before      TEXT,
    after       TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);

COMMIT;
PRAGMA foreign_keys = ON;
