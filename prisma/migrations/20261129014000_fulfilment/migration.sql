-- Order fulfilment (issue 4).

-- Every order is stored so the customer extensions can tell "needs no keys" from "not arrived yet";
-- the orders screen lists only the orders that carry keys.
ALTER TABLE "order" ADD COLUMN "carries_keys" BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX "order_with_keys_idx" ON "order" ("shop_id", "placed_at" DESC, "id" DESC) WHERE "carries_keys";
CREATE INDEX "order_email_prefix_idx" ON "order" ("shop_id", lower("email") text_pattern_ops) WHERE "carries_keys";
CREATE INDEX "order_awaiting_payment_idx" ON "order" ("shop_id", "placed_at", "id") WHERE "awaiting_payment";

-- A line's auto-generation format is fixed when the order arrives, like its tag.
ALTER TABLE "order_line" ADD COLUMN "auto_pattern" TEXT;
ALTER TABLE "order_line" ADD COLUMN "auto_prefix" TEXT;
-- Refunds release keys per refunded unit.
ALTER TABLE "order_line" ADD COLUMN "keys_per_unit" INTEGER NOT NULL DEFAULT 1;
-- Lines still owed keys, per tag: what fillWaitingOrders reads when keys arrive.
CREATE INDEX "order_line_open_idx" ON "order_line" ("tag_id", "order_id") WHERE "keys_assigned" < "keys_needed";
-- Recent assignments per tag: the low-stock forecast.
CREATE INDEX "order_line_tag_recent_idx" ON "order_line" ("tag_id", "created_at");

-- Generated keys are unique in their shop, enforced by the database even under concurrent orders.
CREATE UNIQUE INDEX "license_key_generated_unique" ON "license_key" ("shop_id", "value") WHERE "type" = 'AUTO_GENERATED';

-- Two alert crossings per tag: below its threshold, and out of keys.
ALTER TABLE "tag" ADD COLUMN "out_of_stock_alerted_at" TIMESTAMP(3);
