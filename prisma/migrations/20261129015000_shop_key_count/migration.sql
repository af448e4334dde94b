-- Licence key library (issue 3): the overview's summary (total keys and remaining in the shop) must not
-- count a million rows, and summing tag counters double-counts keys that sit in several tags. So the
-- shop's own counters are kept like the tag counters: statement-level triggers on license_key, one
-- aggregate per statement (a million-row import or delete is one upsert per shop).
CREATE TABLE "shop_key_count" (
    "shop_id" INTEGER NOT NULL,
    "pending" INTEGER NOT NULL DEFAULT 0,
    "assigned" INTEGER NOT NULL DEFAULT 0,
    "used" INTEGER NOT NULL DEFAULT 0,
    "retired" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "shop_key_count_pkey" PRIMARY KEY ("shop_id"),
    CONSTRAINT "shop_key_count_non_negative" CHECK ("pending" >= 0 AND "assigned" >= 0 AND "used" >= 0 AND "retired" >= 0)
);

ALTER TABLE "shop_key_count" ADD CONSTRAINT "shop_key_count_shop_id_fkey" FOREIGN KEY ("shop_id") REFERENCES "shop"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE FUNCTION keyshelf_license_key_counted_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "shop_key_count" AS c ("shop_id", "pending", "assigned", "used", "retired")
  SELECT "shop_id",
    count(*) FILTER (WHERE "status" = 'PENDING'),
    count(*) FILTER (WHERE "status" = 'ASSIGNED'),
    count(*) FILTER (WHERE "status" = 'USED'),
    count(*) FILTER (WHERE "status" = 'RETIRED')
  FROM new_rows GROUP BY "shop_id"
  ON CONFLICT ("shop_id") DO UPDATE SET
    "pending"  = c."pending"  + excluded."pending",
    "assigned" = c."assigned" + excluded."assigned",
    "used"     = c."used"     + excluded."used",
    "retired"  = c."retired"  + excluded."retired";
  RETURN NULL;
END $$;

CREATE FUNCTION keyshelf_license_key_counted_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "shop_key_count" c SET
    "pending"  = c."pending"  - d.pending,
    "assigned" = c."assigned" - d.assigned,
    "used"     = c."used"     - d.used,
    "retired"  = c."retired"  - d.retired
  FROM (
    SELECT "shop_id",
      count(*) FILTER (WHERE "status" = 'PENDING')  AS pending,
      count(*) FILTER (WHERE "status" = 'ASSIGNED') AS assigned,
      count(*) FILTER (WHERE "status" = 'USED')     AS used,
      count(*) FILTER (WHERE "status" = 'RETIRED')  AS retired
    FROM old_rows GROUP BY "shop_id"
  ) d
  WHERE c."shop_id" = d."shop_id";
  RETURN NULL;
END $$;

-- Only status changes matter; most updates (assigned_at, order links) leave the sums at zero and skip.
CREATE FUNCTION keyshelf_license_key_counted_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "shop_key_count" c SET
    "pending"  = c."pending"  + COALESCE(d.pending, 0),
    "assigned" = c."assigned" + COALESCE(d.assigned, 0),
    "used"     = c."used"     + COALESCE(d.used, 0),
    "retired"  = c."retired"  + COALESCE(d.retired, 0)
  FROM (
    SELECT "shop_id",
      sum(sign) FILTER (WHERE "status" = 'PENDING')  AS pending,
      sum(sign) FILTER (WHERE "status" = 'ASSIGNED') AS assigned,
      sum(sign) FILTER (WHERE "status" = 'USED')     AS used,
      sum(sign) FILTER (WHERE "status" = 'RETIRED')  AS retired
    FROM (
      SELECT n."shop_id", n."status", 1 AS sign FROM new_rows n JOIN old_rows o ON o."id" = n."id" WHERE n."status" <> o."status"
      UNION ALL
      SELECT o."shop_id", o."status", -1 AS sign FROM new_rows n JOIN old_rows o ON o."id" = n."id" WHERE n."status" <> o."status"
    ) changes
    GROUP BY "shop_id"
  ) d
  WHERE c."shop_id" = d."shop_id";
  RETURN NULL;
END $$;

CREATE TRIGGER "license_key_counted_insert" AFTER INSERT ON "license_key"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_counted_insert();
CREATE TRIGGER "license_key_counted_delete" AFTER DELETE ON "license_key"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_counted_delete();
CREATE TRIGGER "license_key_counted_update" AFTER UPDATE ON "license_key"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_counted_update();

-- Keys that exist before this migration.
INSERT INTO "shop_key_count" ("shop_id", "pending", "assigned", "used", "retired")
SELECT "shop_id",
  count(*) FILTER (WHERE "status" = 'PENDING'),
  count(*) FILTER (WHERE "status" = 'ASSIGNED'),
  count(*) FILTER (WHERE "status" = 'USED'),
  count(*) FILTER (WHERE "status" = 'RETIRED')
FROM "license_key" GROUP BY "shop_id";
