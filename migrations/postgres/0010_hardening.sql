-- Hardening.
--
-- 1. Handled customer messages lose their text after
--    inbox.text_retention_hours; the row stays as the message's dedupe key.
--    This partial index holds exactly the rows that still have text to
--    erase, so the hourly erase reads nothing else.
CREATE INDEX inbox_text_kept ON inbox (processed_at)
    WHERE processed_at IS NOT NULL AND (body <> '' OR media IS NOT NULL);

-- 2. A tenant's own role may change only the columns tenant work changes:
--    never its tier, status, quota overrides, name or WhatsApp number,
--    which only the platform (operator API, signup) sets.
REVOKE UPDATE ON tenants FROM wabot_app;
GRANT UPDATE (plugin_type, settings, next_order_number) ON tenants TO wabot_app;

-- 3. Row-level security is FORCEd, so it binds the owning role too: the
--    role that owns the tables sees tenant rows only where it says so. The
--    server's platform pool opts in once per connection (SET app.platform
--    = 'on'); tenant work, which switches to wabot_app, never matches the
--    platform policy; and any other session of the owner (a console, a
--    report, a new pool) sees no tenant's rows until it opts in or names a
--    tenant in app.tenant_id. (Superusers bypass row-level security
--    whatever is set: run wabot with a role that is not one.)
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON audit_log
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON conversations
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE flows FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON flows
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE inbox FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON inbox
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE media FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON media
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE menu_items FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON menu_items
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON orders
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON outbox
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE tenant_events FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON tenant_events
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON tenants
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
ALTER TABLE usage_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_access ON usage_logs
    USING (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on')
    WITH CHECK (current_user <> 'wabot_app' AND current_setting('app.platform', true) = 'on');
