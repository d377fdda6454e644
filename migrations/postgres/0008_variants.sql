-- Variants: an item may be one variant (size, colour: "Red / M") of a
-- product; items sharing a name are the variants of one product.
ALTER TABLE menu_items ADD COLUMN variant TEXT;
