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
