-- Two statement-level triggers on license_key joined its transition tables to each other (new_rows
-- JOIN old_rows ON id). PL/pgSQL caches a trigger query's plan per connection, made with the first
-- call's row counts: a connection whose first status change touched a few keys kept a nested loop
-- over both tables, so a later change of 1,000 keys compared 1,000,000 pairs (240 ms of a 1,000-key
-- order's 280 ms, seen with auto_explain). Neither needs the join:
-- - the shop counters sum +1 per new row and -1 per old row (as the tag counters do): a row whose
--   status did not change cancels out, and a shop whose sums are all zero is not touched (most
--   updates, e.g. of order links, change no status and take no lock on the counter row);
-- - the status mirror compares each new row with its key_tag rows, which it reaches by index.
CREATE OR REPLACE FUNCTION keyshelf_license_key_counted_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "shop_key_count" c SET
    "pending"  = c."pending"  + d.pending,
    "assigned" = c."assigned" + d.assigned,
    "used"     = c."used"     + d.used,
    "retired"  = c."retired"  + d.retired
  FROM (
    SELECT "shop_id",
      COALESCE(sum(sign) FILTER (WHERE "status" = 'PENDING'), 0)  AS pending,
      COALESCE(sum(sign) FILTER (WHERE "status" = 'ASSIGNED'), 0) AS assigned,
      COALESCE(sum(sign) FILTER (WHERE "status" = 'USED'), 0)     AS used,
      COALESCE(sum(sign) FILTER (WHERE "status" = 'RETIRED'), 0)  AS retired
    FROM (
      SELECT "shop_id", "status", 1 AS sign FROM new_rows
      UNION ALL
      SELECT "shop_id", "status", -1 AS sign FROM old_rows
    ) changes
    GROUP BY "shop_id"
  ) d
  WHERE c."shop_id" = d."shop_id" AND (d.pending <> 0 OR d.assigned <> 0 OR d.used <> 0 OR d.retired <> 0);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION keyshelf_license_key_status_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "key_tag" kt SET "status" = n."status"
  FROM new_rows n
  WHERE kt."key_id" = n."id" AND kt."status" IS DISTINCT FROM n."status";
  RETURN NULL;
END $$;

-- The mirror no longer reads the old rows: the trigger stops collecting them.
DROP TRIGGER "license_key_status_sync" ON "license_key";
CREATE TRIGGER "license_key_status_sync" AFTER UPDATE ON "license_key"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_status_sync();
