-- IAM's last-accessed reports (access advisor): the audit log learns each request's region, and
-- is found by principal; a report is computed from it when generated and kept for reading.

ALTER TABLE audit ADD COLUMN region TEXT COLLATE "C";
CREATE INDEX audit_by_principal ON audit (principal_arn, time_ms);

CREATE TABLE iam_access_reports (
    job_id       TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    entity_arn   TEXT COLLATE "C" NOT NULL,
    -- 'SERVICE_LEVEL' or 'ACTION_LEVEL'.
    granularity  TEXT COLLATE "C" NOT NULL,
    created_ms   BIGINT NOT NULL,
    completed_ms BIGINT NOT NULL,
    -- The services last accessed, as the JSON list the report returns.
    services     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX iam_access_reports_by_time ON iam_access_reports (created_ms);
