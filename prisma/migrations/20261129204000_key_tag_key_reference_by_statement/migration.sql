-- Licence key library (issue 3) at scale: key_tag's reference to license_key, kept per statement.
--
-- As a foreign key it ran once per row: ON DELETE CASCADE one DELETE per deleted key (deleting a
-- 1,000,000-key tag spent 17 of its 26 s there, and as much again when the tag's rows were already gone),
-- and its check one SELECT per key_tag row inserted (imports, moves, added tags). The same rules are
-- kept here by statement-level triggers, one set-based statement per statement, like the counters.
ALTER TABLE "key_tag" DROP CONSTRAINT "key_tag_key_id_fkey";

-- ON DELETE CASCADE: a deleted key leaves every tag it sat in (the counter triggers see those rows go).
CREATE FUNCTION keyshelf_license_key_untag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "key_tag" kt USING old_rows o WHERE kt."key_id" = o."id";
  RETURN NULL;
END $$;

CREATE TRIGGER "license_key_untag" AFTER DELETE ON "license_key"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_license_key_untag();

-- The reference check: every key named by new key_tag rows exists. The keys are locked FOR KEY SHARE,
-- as a foreign key locks them: a concurrent delete of one either waits for this transaction (and its
-- trigger above then removes these rows too) or has removed the key already, and this insert fails.
CREATE FUNCTION keyshelf_key_tag_key_exists() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;

CREATE TRIGGER "key_tag_key_exists" AFTER INSERT ON "key_tag"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keyshelf_key_tag_key_exists();

-- ON UPDATE CASCADE had nothing to do (ids never change, moves insert and delete rows): both ids are
-- now fixed, so no update can slip past the check above.
CREATE FUNCTION keyshelf_key_id_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a licence key''s id and the key of a key_tag row never change'
    USING ERRCODE = 'foreign_key_violation';
END $$;

CREATE TRIGGER "key_tag_key_id_fixed" BEFORE UPDATE OF "key_id" ON "key_tag"
  FOR EACH ROW WHEN (OLD."key_id" IS DISTINCT FROM NEW."key_id") EXECUTE FUNCTION keyshelf_key_id_fixed();
CREATE TRIGGER "license_key_id_fixed" BEFORE UPDATE OF "id" ON "license_key"
  FOR EACH ROW WHEN (OLD."id" IS DISTINCT FROM NEW."id") EXECUTE FUNCTION keyshelf_key_id_fixed();
