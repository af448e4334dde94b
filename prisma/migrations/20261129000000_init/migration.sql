-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AssignTrigger" AS ENUM ('ORDER_CREATED', 'ORDER_PAID');

-- CreateEnum
CREATE TYPE "CancelPolicy" AS ENUM ('RETURN_UNVIEWED', 'KEEP_ASSIGNED');

-- CreateEnum
CREATE TYPE "TagKind" AS ENUM ('USER', 'AUTO_GENERATED', 'UNTAGGED');

-- CreateEnum
CREATE TYPE "KeyType" AS ENUM ('UPLOADED', 'AUTO_GENERATED');

-- CreateEnum
CREATE TYPE "KeyStatus" AS ENUM ('PENDING', 'ASSIGNED', 'USED', 'RETIRED');

-- CreateEnum
CREATE TYPE "RetireReason" AS ENUM ('REPLACED', 'REVOKED');

-- CreateEnum
CREATE TYPE "LinkSource" AS ENUM ('TAG', 'AUTO_GENERATE');

-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('IMPORT', 'EXPORT', 'FILL_WAITING');

-- CreateEnum
CREATE TYPE "JobState" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateEnum
CREATE TYPE "ImportState" AS ENUM ('STAGING', 'READY', 'COMMITTED', 'FAILED');

-- CreateEnum
CREATE TYPE "MailKind" AS ENUM ('EXPORT', 'LOW_STOCK', 'DATA_REQUEST');

-- CreateEnum
CREATE TYPE "MailState" AS ENUM ('QUEUED', 'SENT', 'FAILED');

-- CreateTable
CREATE TABLE "session" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "isOnline" BOOLEAN NOT NULL DEFAULT false,
    "scope" TEXT,
    "expires" TIMESTAMP(3),
    "accessToken" TEXT NOT NULL,
    "userId" BIGINT,
    "firstName" TEXT,
    "lastName" TEXT,
    "email" TEXT,
    "accountOwner" BOOLEAN NOT NULL DEFAULT false,
    "locale" TEXT,
    "collaborator" BOOLEAN DEFAULT false,
    "emailVerified" BOOLEAN DEFAULT false,
    "refreshToken" TEXT,
    "refreshTokenExpires" TIMESTAMP(3),

    CONSTRAINT "session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shop" (
    "id" SERIAL NOT NULL,
    "domain" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "email" TEXT NOT NULL DEFAULT '',
    "iana_timezone" TEXT NOT NULL DEFAULT 'UTC',
    "report_email" TEXT NOT NULL DEFAULT '',
    "assign_trigger" "AssignTrigger" NOT NULL DEFAULT 'ORDER_CREATED',
    "cancel_policy" "CancelPolicy" NOT NULL DEFAULT 'RETURN_UNVIEWED',
    "installed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uninstalled_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "shop_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tag" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "TagKind" NOT NULL DEFAULT 'USER',
    "pending_count" INTEGER NOT NULL DEFAULT 0,
    "assigned_count" INTEGER NOT NULL DEFAULT 0,
    "used_count" INTEGER NOT NULL DEFAULT 0,
    "retired_count" INTEGER NOT NULL DEFAULT 0,
    "last_added_at" TIMESTAMP(3),
    "low_stock_threshold" INTEGER,
    "low_stock_alerted_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "tag_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "license_key" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "value" VARCHAR(255) NOT NULL,
    "type" "KeyType" NOT NULL DEFAULT 'UPLOADED',
    "status" "KeyStatus" NOT NULL DEFAULT 'PENDING',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "assigned_at" TIMESTAMP(3),
    "used_at" TIMESTAMP(3),
    "retired_at" TIMESTAMP(3),
    "retire_reason" "RetireReason",
    "order_id" INTEGER,
    "order_line_id" INTEGER,

    CONSTRAINT "license_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_tag" (
    "tag_id" INTEGER NOT NULL,
    "key_id" INTEGER NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "status" "KeyStatus" NOT NULL DEFAULT 'PENDING',

    CONSTRAINT "key_tag_pkey" PRIMARY KEY ("tag_id","key_id")
);

-- CreateTable
CREATE TABLE "product_link" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "product_id" BIGINT NOT NULL,
    "variant_id" BIGINT,
    "product_title" TEXT NOT NULL DEFAULT '',
    "variant_title" TEXT,
    "source" "LinkSource" NOT NULL DEFAULT 'TAG',
    "tag_id" INTEGER,
    "keys_per_unit" INTEGER NOT NULL DEFAULT 1,
    "auto_pattern" TEXT,
    "auto_prefix" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "product_link_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "shopify_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "email" TEXT,
    "customer_id" BIGINT,
    "confirmation_number" TEXT,
    "financial_status" TEXT,
    "shortfall" INTEGER NOT NULL DEFAULT 0,
    "awaiting_payment" BOOLEAN NOT NULL DEFAULT false,
    "placed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "paid_at" TIMESTAMP(3),
    "cancelled_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_line" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "order_id" INTEGER NOT NULL,
    "line_item_id" BIGINT NOT NULL,
    "product_id" BIGINT,
    "variant_id" BIGINT,
    "title" TEXT NOT NULL DEFAULT '',
    "quantity" INTEGER NOT NULL,
    "source" "LinkSource" NOT NULL DEFAULT 'TAG',
    "tag_id" INTEGER,
    "keys_needed" INTEGER NOT NULL,
    "keys_assigned" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_event" (
    "shop_domain" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL DEFAULT '',
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),

    CONSTRAINT "webhook_event_pkey" PRIMARY KEY ("shop_domain","topic","event_id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "count" INTEGER,
    "details" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "kind" "JobKind" NOT NULL,
    "state" "JobState" NOT NULL DEFAULT 'QUEUED',
    "payload" JSONB NOT NULL DEFAULT '{}',
    "result" JSONB,
    "error" TEXT,
    "progress" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "run_after" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_at" TIMESTAMP(3),
    "locked_by" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "export_file" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "job_id" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "export_file_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "import_batch" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "state" "ImportState" NOT NULL DEFAULT 'STAGING',
    "file_name" TEXT NOT NULL DEFAULT '',
    "tag_names" TEXT[],
    "total_lines" INTEGER NOT NULL DEFAULT 0,
    "blank_lines" INTEGER NOT NULL DEFAULT 0,
    "valid_keys" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "committed_at" TIMESTAMP(3),

    CONSTRAINT "import_batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "import_row" (
    "batch_id" INTEGER NOT NULL,
    "line_no" INTEGER NOT NULL,
    "value" VARCHAR(255) NOT NULL,

    CONSTRAINT "import_row_pkey" PRIMARY KEY ("batch_id","line_no")
);

-- CreateTable
CREATE TABLE "mail_message" (
    "id" SERIAL NOT NULL,
    "shop_id" INTEGER NOT NULL,
    "kind" "MailKind" NOT NULL,
    "state" "MailState" NOT NULL DEFAULT 'QUEUED',
    "to" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "html" TEXT,
    "job_id" INTEGER,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mail_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "session_shop_idx" ON "session"("shop");

-- CreateIndex
CREATE UNIQUE INDEX "shop_domain_key" ON "shop"("domain");

-- CreateIndex
CREATE INDEX "tag_shop_id_pending_count_id_idx" ON "tag"("shop_id", "pending_count", "id");

-- CreateIndex
CREATE UNIQUE INDEX "tag_shop_id_name_key" ON "tag"("shop_id", "name");

-- CreateIndex
CREATE INDEX "license_key_shop_id_value_idx" ON "license_key"("shop_id", "value");

-- CreateIndex
CREATE INDEX "license_key_order_id_idx" ON "license_key"("order_id");

-- CreateIndex
CREATE INDEX "license_key_order_line_id_idx" ON "license_key"("order_line_id");

-- CreateIndex
CREATE INDEX "key_tag_tag_id_status_key_id_idx" ON "key_tag"("tag_id", "status", "key_id");

-- CreateIndex
CREATE INDEX "key_tag_key_id_idx" ON "key_tag"("key_id");

-- CreateIndex
CREATE INDEX "product_link_tag_id_idx" ON "product_link"("tag_id");

-- CreateIndex
CREATE UNIQUE INDEX "product_link_shop_id_product_id_variant_id_key" ON "product_link"("shop_id", "product_id", "variant_id");

-- CreateIndex
CREATE INDEX "order_shop_id_placed_at_idx" ON "order"("shop_id", "placed_at");

-- CreateIndex
CREATE INDEX "order_shop_id_name_idx" ON "order"("shop_id", "name");

-- CreateIndex
CREATE INDEX "order_shop_id_email_idx" ON "order"("shop_id", "email");

-- CreateIndex
CREATE INDEX "order_shop_id_customer_id_idx" ON "order"("shop_id", "customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "order_shop_id_shopify_id_key" ON "order"("shop_id", "shopify_id");

-- CreateIndex
CREATE INDEX "order_line_tag_id_order_id_idx" ON "order_line"("tag_id", "order_id");

-- CreateIndex
CREATE UNIQUE INDEX "order_line_order_id_line_item_id_key" ON "order_line"("order_id", "line_item_id");

-- CreateIndex
CREATE INDEX "webhook_event_received_at_idx" ON "webhook_event"("received_at");

-- CreateIndex
CREATE INDEX "audit_event_shop_id_created_at_idx" ON "audit_event"("shop_id", "created_at");

-- CreateIndex
CREATE INDEX "job_state_run_after_idx" ON "job"("state", "run_after");

-- CreateIndex
CREATE INDEX "job_shop_id_kind_created_at_idx" ON "job"("shop_id", "kind", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "export_file_job_id_seq_key" ON "export_file"("job_id", "seq");

-- CreateIndex
CREATE INDEX "import_batch_shop_id_created_at_idx" ON "import_batch"("shop_id", "created_at");

-- CreateIndex
CREATE INDEX "import_row_batch_id_value_idx" ON "import_row"("batch_id", "value");

-- CreateIndex
CREATE INDEX "mail_message_state_next_attempt_at_idx" ON "mail_message"("state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "mail_message_shop_id_created_at_idx" ON "mail_message"("shop_id", "created_at");

-- AddForeignKey
ALTER TABLE "tag" ADD CONSTRAINT "tag_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "license_key" ADD CONSTRAINT "license_key_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "license_key" ADD CONSTRAINT "license_key_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "license_key" ADD CONSTRAINT "license_key_order_line_id_fkey" FOREIGN KEY ("order_line_id") REFERENCES "order_line"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_tag" ADD CONSTRAINT "key_tag_tag_id_fkey" FOREIGN KEY ("tag_id") REFERENCES "tag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_tag" ADD CONSTRAINT "key_tag_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "license_key"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_tag" ADD CONSTRAINT "key_tag_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_link" ADD CONSTRAINT "product_link_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_link" ADD CONSTRAINT "product_link_tag_id_fkey" FOREIGN KEY ("tag_id") REFERENCES "tag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order" ADD CONSTRAINT "order_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_tag_id_fkey" FOREIGN KEY ("tag_id") REFERENCES "tag"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "export_file" ADD CONSTRAINT "export_file_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_batch" ADD CONSTRAINT "import_batch_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_row" ADD CONSTRAINT "import_row_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "import_batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mail_message" ADD CONSTRAINT "mail_message_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- What Prisma's schema language cannot express.

-- Search as you type finds any fragment of a key, case-insensitively.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "license_key_value_trgm_idx" ON "license_key" USING gin ("value" gin_trgm_ops);

-- NULL variant ids are distinct in the unique index above: one product-level link per product.
CREATE UNIQUE INDEX "product_link_product_level_key" ON "product_link" ("shop_id", "product_id") WHERE "variant_id" IS NULL;

-- "Orders waiting for keys", first come first served.
CREATE INDEX "order_waiting_idx" ON "order" ("shop_id", "placed_at", "id") WHERE "shortfall" > 0;

-- Counters can never go negative: a bug in counter upkeep fails loudly instead of showing nonsense.
ALTER TABLE "tag" ADD CONSTRAINT "tag_counts_non_negative"
  CHECK ("pending_count" >= 0 AND "assigned_count" >= 0 AND "used_count" >= 0 AND "retired_count" >= 0);
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_keys_within_need"
  CHECK ("keys_assigned" >= 0 AND "keys_assigned" <= "keys_needed");

-- Tag counters (pending/assigned/used/retired, last added) are kept by statement-level triggers over
-- key_tag: every path that adds, removes, moves or changes the status of keys updates them in the
-- same transaction, with one aggregate per statement (a million-row import is one UPDATE of the tags).
-- Code that inserts key_tag rows copies the key's status (INSERT ... SELECT k.status ...).
CREATE FUNCTION keyshelf_key_tag_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "tag" t SET
    "pending_count"  = t."pending_count"  + d.pending,
    "assigned_count" = t."assigned_count" + d.assigned,
    "used_count"     = t."used_count"     + d.used,
    "retired_count"  = t."retired_count"  + d.retired,
    "last_added_at"  = now()
  FROM (
    SELECT "tag_id",
      count(*) FILTER (WHERE "status" = 'PENDING')  AS pending,
      count(*) FILTER (WHERE "status" = 'ASSIGNED') AS assigned,
      count(*) FILTER (WHERE "status" = 'USED')     AS used,
      count(*) FILTER (WHERE "status" = 'RETIRED')  AS retired
    FROM new_rows GROUP BY "tag_id"
  ) d
  WHERE t."id" = d."tag_id";
  RETURN NULL;
END $$;

CREATE FUNCTION keyshelf_key_tag_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "tag" t SET
    "pending_count"  = t."pending_count"  - d.pending,
    "assigned_count" = t."assigned_count" - d.assigned,
    "used_count"     = t."used_count"     - d.used,
    "retired_count"  = t."retired_count"  - d.retired
  FROM (
    SELECT "tag_id",
      count(*) FILTER (WHERE "status" = 'PENDING')  AS pending,
      count(*) FILTER (WHERE "status" = 'ASSIGNED') AS assigned,
      count(*) FILTER (WHERE "status" = 'USED')     AS used,
      count(*) FILTER (WHERE "status" = 'RETIRED')  AS retired
    FROM old_rows GROUP BY "tag_id"
  ) d
  WHERE t."id" = d."tag_id";
  RETURN NULL;
END $$;

-- COALESCE: a tag whose rows all changed in one direction has NULL sums for the other statuses.
CREATE FUNCTION keyshelf_key_tag_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "tag" t SET
    "pending_count"  = t."pending_count"  + COALESCE(d.pending, 0),
    "assigned_count" = t."assigned_count" + COALESCE(d.assigned, 0),
    "used_count"     = t."used_count"     + COALESCE(d.used, 0),
    "retired_count"  = t."retired_count"  + COALESCE(d.retired, 0)
  FROM (
    SELECT "tag_id",
      sum(sign) FILTER (WHERE "status" = 'PENDING')  AS pending,
      sum(sign) FILTER (WHERE "status" = 'ASSIGNED') AS assigned,
      sum(sign) FILTER (WHERE "status" = 'USED')     AS used,
      sum(sign) FILTER (WHERE "status" = 'RETIRED')  AS retired
    FROM (
      SELECT "tag_id", "status", 1 AS sign FROM new_rows
      UNION ALL
      SELECT "tag_id", "status", -1 AS sign FROM old_rows
    ) changes
    GROUP BY "tag_id"
  ) d
  WHERE t."id" = d."tag_id";
  RETURN NULL;
END $$;

CREATE TRIGGER "key_tag_counts_insert" AFTER INSERT ON "key_tag"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_inserted();
CREATE TRIGGER "key_tag_counts_delete" AFTER DELETE ON "key_tag"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_deleted();
CREATE TRIGGER "key_tag_counts_update" AFTER UPDATE ON "key_tag"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_updated();

-- A key's status is mirrored on its key_tag rows (for per-tag status index scans and the counters above).
CREATE FUNCTION keyshelf_license_key_status_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "key_tag" kt SET "status" = n."status"
  FROM new_rows n JOIN old_rows o ON o."id" = n."id"
  WHERE kt."key_id" = n."id" AND n."status" IS DISTINCT FROM o."status";
  RETURN NULL;
END $$;

CREATE TRIGGER "license_key_status_sync" AFTER UPDATE ON "license_key"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_status_sync();
