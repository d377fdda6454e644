-- Hardening; see migrations/postgres/0010_hardening.sql. (SQLite has no
-- roles: its part 2 has no equivalent.)
CREATE INDEX inbox_text_kept ON inbox (processed_at)
    WHERE processed_at IS NOT NULL AND (body <> '' OR media IS NOT NULL);
