-- Counted stock: units left of an item (NULL: not counted). Placing an
-- order takes them in its transaction, only where enough is left.
ALTER TABLE menu_items ADD COLUMN stock BIGINT CHECK (stock >= 0);
