-- wabot initial schema, SQLite (the embedded single-node default).
--
-- Same tables and columns as migrations/postgres. SQLite has no row-level
-- security: isolation rests on every query filtering on tenant_id, which the
-- shared test suite checks on both backends. Types: ids are UUID blobs, money
-- is decimal text (exact, two places), JSON is text, times are RFC 3339 text.

CREATE TABLE waha_instances (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    base_url    TEXT NOT NULL,
    api_key     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tenants (
    id                   BLOB PRIMARY KEY,
    business_name        TEXT NOT NULL,
    phone_number         TEXT NOT NULL UNIQUE,
    whatsapp_session_id  TEXT NOT NULL UNIQUE,
    waha_instance_id     BLOB NOT NULL REFERENCES waha_instances (id),
    webhook_secret       TEXT NOT NULL,
    plugin_type          TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('trial', 'active', 'suspended')),
    settings             TEXT NOT NULL DEFAULT '{}',
    subscription_tier    TEXT NOT NULL DEFAULT 'free'
                         CHECK (subscription_tier IN ('free', 'basic', 'premium', 'enterprise')),
    next_order_number    INTEGER NOT NULL DEFAULT 1001,
    created_at           TEXT NOT NULL
);

CREATE TABLE menu_items (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    item_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    price        TEXT NOT NULL,
    category     TEXT NOT NULL,
    available    INTEGER NOT NULL DEFAULT 1,
    image_url    TEXT,
    position     INTEGER NOT NULL,
    UNIQUE (tenant_id, item_id)
);

CREATE TABLE orders (
    id                BLOB PRIMARY KEY,
    tenant_id         BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    order_number      INTEGER NOT NULL,
    customer_phone    TEXT NOT NULL,
    items             TEXT NOT NULL,
    total             TEXT NOT NULL,
    delivery_address  TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'confirmed', 'preparing', 'out_for_delivery', 'delivered', 'cancelled')),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (tenant_id, order_number)
);
CREATE INDEX orders_by_tenant_and_time ON orders (tenant_id, created_at);

CREATE TABLE conversations (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    customer_phone  TEXT NOT NULL,
    bucket          INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 255),
    state           TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_phone)
);

CREATE TABLE usage_logs (
    id             BLOB PRIMARY KEY,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    date           TEXT NOT NULL,
    message_count  INTEGER NOT NULL DEFAULT 0,
    cost           TEXT NOT NULL DEFAULT '0.00',
    UNIQUE (tenant_id, date)
);
