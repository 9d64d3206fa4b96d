-- IAM's last-accessed reports (access advisor): the audit log learns each request's region, and
-- is found by principal; a report is computed from it when generated and kept for reading.

ALTER TABLE audit ADD COLUMN region TEXT;
CREATE INDEX audit_by_principal ON audit (principal_arn, time_ms);

CREATE TABLE iam_access_reports (
    job_id       TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (account_id),
    entity_arn   TEXT NOT NULL,
    -- 'SERVICE_LEVEL' or 'ACTION_LEVEL'.
    granularity  TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    completed_ms INTEGER NOT NULL,
    -- The services last accessed, as the JSON list the report returns.
    services     TEXT NOT NULL
);
CREATE INDEX iam_access_reports_by_time ON iam_access_reports (created_ms);
