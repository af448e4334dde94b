-- Order fulfilment (issue 4): every orders/create inserts an order row, and each index on "order" is
-- one more entry written per delivery. Two of them serve no query:
-- - ("shop_id", "placed_at"): the orders screen pages by order_with_keys_idx, waiting orders by
--   order_waiting_idx, unpaid ones by order_awaiting_payment_idx; a customer's orders are found by
--   ("shop_id", "customer_id") and sorted after.
-- - ("shop_id", "email"): the email search matches lower("email") by prefix (order_email_prefix_idx);
--   the compliance webhooks compare emails case-insensitively (ILIKE), which a btree on the plain
--   column cannot serve beyond its shop_id prefix, as any other shop_id index does.
DROP INDEX "order_shop_id_placed_at_idx";
DROP INDEX "order_shop_id_email_idx";
