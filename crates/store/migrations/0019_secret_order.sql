-- Client secrets made in the same millisecond (a rotation under the virtual clock) are ordered by
-- when they were inserted; `seq` says so in both engines (SQLite's rowid did before).
ALTER TABLE sp_client_secrets ADD COLUMN seq INTEGER;
UPDATE sp_client_secrets SET seq = rowid;
