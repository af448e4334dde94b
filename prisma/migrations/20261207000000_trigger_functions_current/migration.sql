-- The current definition of every trigger function, in one place. Earlier migrations created and
-- then replaced them one by one; this one restates each as it stands, unchanged, so a reader finds
-- the rules here (and a later change replaces them here). Applying it changes nothing.
--
-- What the triggers keep (read together with app/models/fulfilment/key-assignment.server.ts):
-- - key_tag.status mirrors license_key.status (keyshelf_license_key_status_sync);
-- - each tag's pending / assigned / used / retired counts and each shop's (shop_key_count) follow every insert,
--   update and delete of keys and tag memberships, once per statement (keyshelf_license_key_counted_*,
--   keyshelf_key_tag_inserted / _updated / _deleted);
-- - a key's memberships go with it (keyshelf_license_key_untag), point at an existing key
--   (keyshelf_key_tag_key_exists), and ids never change (keyshelf_key_id_fixed).
--
-- The triggers that call them, as they stand:
--   CREATE TRIGGER key_tag_counts_delete AFTER DELETE ON public.key_tag REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_deleted()
--   CREATE TRIGGER key_tag_counts_insert AFTER INSERT ON public.key_tag REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_inserted()
--   CREATE TRIGGER key_tag_counts_update AFTER UPDATE ON public.key_tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_updated()
--   CREATE TRIGGER key_tag_key_exists AFTER INSERT ON public.key_tag REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_key_exists()
--   CREATE TRIGGER key_tag_key_id_fixed BEFORE UPDATE OF key_id ON public.key_tag FOR EACH ROW WHEN ((old.key_id IS DISTINCT FROM new.key_id)) EXECUTE FUNCTION keyshelf_key_id_fixed()
--   CREATE TRIGGER license_key_counted_delete AFTER DELETE ON public.license_key REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_counted_delete()
--   CREATE TRIGGER license_key_counted_insert AFTER INSERT ON public.license_key REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_counted_insert()
--   CREATE TRIGGER license_key_counted_update AFTER UPDATE ON public.license_key REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_counted_update()
--   CREATE TRIGGER license_key_id_fixed BEFORE UPDATE OF id ON public.license_key FOR EACH ROW WHEN ((old.id IS DISTINCT FROM new.id)) EXECUTE FUNCTION keyshelf_key_id_fixed()
--   CREATE TRIGGER license_key_status_sync AFTER UPDATE ON public.license_key REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_status_sync()
--   CREATE TRIGGER license_key_untag AFTER DELETE ON public.license_key REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_untag()
CREATE OR REPLACE FUNCTION public.keyshelf_key_id_fixed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  RAISE EXCEPTION 'a licence key''s id and the key of a key_tag row never change'
    USING ERRCODE = 'foreign_key_violation';
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_key_tag_deleted()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_key_tag_inserted()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_key_tag_key_exists()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  wanted bigint;
  found bigint;
BEGIN
  SELECT count(DISTINCT "key_id") INTO wanted FROM new_rows;
  SELECT count(*) INTO found FROM (
    SELECT 1 FROM "license_key" k WHERE k."id" IN (SELECT "key_id" FROM new_rows) FOR KEY SHARE OF k
  ) locked;
  IF found < wanted THEN
    RAISE EXCEPTION 'insert or update on table "key_tag" violates foreign key constraint "key_tag_key_id_fkey"'
      USING ERRCODE = 'foreign_key_violation', DETAIL = 'A licence key the row names does not exist.';
  END IF;
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_key_tag_updated()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_license_key_counted_delete()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_license_key_counted_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_license_key_counted_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_license_key_status_sync()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE "key_tag" kt SET "status" = n."status"
  FROM new_rows n
  WHERE kt."key_id" = n."id" AND kt."status" IS DISTINCT FROM n."status";
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.keyshelf_license_key_untag()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  DELETE FROM "key_tag" kt USING old_rows o WHERE kt."key_id" = o."id";
  RETURN NULL;
END $function$;
