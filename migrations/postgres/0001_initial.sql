-- wabot initial schema, PostgreSQL.
--
-- Tenant isolation: every tenant table carries tenant_id (tenants: id) and a
-- row-level security policy keyed on the transaction-local setting
-- app.tenant_id. The server runs all tenant work as the non-owner role
-- wabot_app (set per transaction together with app.tenant_id), so the
-- policies always apply there; platform work (operator API, start-up
-- routing) runs as the owning role. An unset app.tenant_id matches no row.
--
-- Money is NUMERIC(10,2), as in the original design. Conversations carry a
-- bucket (0-255, a hash of tenant and customer) so a later multi-node mode
-- can lease buckets to nodes without rewriting rows.

DO $$
BEGIN
    CREATE ROLE wabot_app NOLOGIN;
EXCEPTION
    -- Roles are cluster-wide: another database (or a concurrent migration)
    -- may have created it already.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    -- The login role must be a member to switch to wabot_app; superusers are.
    IF NOT pg_has_role(current_user, 'wabot_app', 'MEMBER') THEN
        EXECUTE format('GRANT wabot_app TO %I', current_user);
    END IF;
END
$$;

CREATE TABLE waha_instances (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    base_url    TEXT NOT NULL,
    api_key     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tenants (
    id                   UUID PRIMARY KEY,
    business_name        TEXT NOT NULL,
    phone_number         TEXT NOT NULL UNIQUE,
    whatsapp_session_id  TEXT NOT NULL UNIQUE,
    waha_instance_id     UUID NOT NULL REFERENCES waha_instances (id),
    -- HMAC key WAHA signs this session's webhooks with; needed in clear to verify.
    webhook_secret       TEXT NOT NULL,
    plugin_type          TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('trial', 'active', 'suspended')),
    settings             JSONB NOT NULL DEFAULT '{}'::jsonb,
    subscription_tier    TEXT NOT NULL DEFAULT 'free'
                         CHECK (subscription_tier IN ('free', 'basic', 'premium', 'enterprise')),
    -- Next customer-facing order number; the row lock serialises numbering.
    next_order_number    BIGINT NOT NULL DEFAULT 1001,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE menu_items (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    item_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    price        NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    category     TEXT NOT NULL,
    available    BOOLEAN NOT NULL DEFAULT true,
    image_url    TEXT,
    -- Display order as the tenant uploaded it.
    position     INTEGER NOT NULL,
    UNIQUE (tenant_id, item_id)
);

CREATE TABLE orders (
    id                UUID PRIMARY KEY,
    tenant_id         UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_number      BIGINT NOT NULL,
    -- The customer's WhatsApp chat id (digits@c.us, or an @lid id).
    customer_phone    TEXT NOT NULL,
    items             JSONB NOT NULL,
    total             NUMERIC(10, 2) NOT NULL CHECK (total >= 0),
    delivery_address  TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'confirmed', 'preparing', 'out_for_delivery', 'delivered', 'cancelled')),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, order_number)
);
CREATE INDEX orders_by_tenant_and_time ON orders (tenant_id, created_at DESC);

CREATE TABLE conversations (
    tenant_id       UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    customer_phone  TEXT NOT NULL,
    bucket          SMALLINT NOT NULL CHECK (bucket BETWEEN 0 AND 255),
    state           JSONB NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_phone)
);

CREATE TABLE usage_logs (
    id             UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    date           DATE NOT NULL,
    message_count  INTEGER NOT NULL DEFAULT 0,
    cost           NUMERIC(10, 2) NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, date)
);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE menu_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON menu_items
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orders
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON conversations
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE usage_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_logs
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- wabot_app reaches tenant rows only; waha_instances stays platform-only.
GRANT SELECT, UPDATE ON tenants TO wabot_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON menu_items, orders, conversations, usage_logs TO wabot_app;
