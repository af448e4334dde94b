-- Delivery email: every customer gets their keys by email (app/models/fulfilment/key-delivery.server.ts).
--
-- A delivery is the keys that reached one order together. Keys are not mailed by the paths that assign
-- them: a background sweep finds handed-out keys that no delivery carries yet (license_key_undelivered)
-- and gives each order's keys one delivery and one queued email, in one transaction, so every way a key
-- arrives (a new order, a paid order, a waiting order filled, a replacement) is mailed the same way and
-- only once.

CREATE TYPE "DeliveryMode" AS ENUM ('KEYS', 'LINK');

ALTER TYPE "MailKind" ADD VALUE 'KEY_DELIVERY';
ALTER TYPE "MailKind" ADD VALUE 'DELIVERY_TEST';

ALTER TABLE "shop"
  ADD COLUMN "delivery_email_enabled" BOOLEAN NOT NULL DEFAULT true,
  ADD COLUMN "delivery_mode" "DeliveryMode" NOT NULL DEFAULT 'KEYS',
  ADD COLUMN "delivery_sender_name" TEXT NOT NULL DEFAULT '',
  ADD COLUMN "delivery_reply_to" TEXT NOT NULL DEFAULT '',
  ADD COLUMN "delivery_subject" TEXT,
  ADD COLUMN "delivery_body" TEXT,
  ADD COLUMN "delivery_locale" TEXT NOT NULL DEFAULT 'en',
  ADD COLUMN "guest_resend_allowed" BOOLEAN NOT NULL DEFAULT true,
  -- Keys assigned before this moment are never mailed: turning the email on (or installing this
  -- version) does not mail every past order.
  ADD COLUMN "delivery_since" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC');

ALTER TABLE "order"
  ADD COLUMN "customer_locale" TEXT,
  ADD COLUMN "customer_first_name" TEXT;

CREATE TABLE "key_delivery" (
  "id" SERIAL NOT NULL,
  "shop_id" INTEGER NOT NULL,
  "order_id" INTEGER NOT NULL,
  -- NEW: the keys that reached the order together; RESEND: every key the order holds, sent again.
  "reason" TEXT NOT NULL,
  "requested_by" TEXT NOT NULL,
  "mode" "DeliveryMode" NOT NULL,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
  CONSTRAINT "key_delivery_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "key_delivery_reason_check" CHECK ("reason" IN ('NEW', 'RESEND')),
  CONSTRAINT "key_delivery_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "key_delivery_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "key_delivery_order_id_idx" ON "key_delivery"("order_id", "id");

ALTER TABLE "mail_message" ADD COLUMN "delivery_id" INTEGER,
  ADD CONSTRAINT "mail_message_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "key_delivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE UNIQUE INDEX "mail_message_delivery_id_key" ON "mail_message"("delivery_id");

-- The delivery that first carried the key to its customer. No foreign key: a key row is never checked
-- against a delivery on the hot paths, and deliveries are only deleted with their order or shop.
ALTER TABLE "license_key" ADD COLUMN "delivery_id" INTEGER;
CREATE INDEX "license_key_delivery_id_idx" ON "license_key"("delivery_id") WHERE "delivery_id" IS NOT NULL;
-- What the sweep reads: keys handed out (Assigned, or already seen on the thank-you page) that no
-- delivery carries yet, per shop in the order they were assigned. The sweep reads a shop's range from
-- its delivery_since on, so keys sold before the email was turned on cost nothing but their entry.
CREATE INDEX "license_key_undelivered_idx" ON "license_key"("shop_id", "assigned_at")
  WHERE "status" IN ('ASSIGNED', 'USED') AND "delivery_id" IS NULL;
