-- SSM service settings an account changed (or reset) in a region, e.g. the default parameter
-- tier. A setting without a row has the value spcred provisions. Times are epoch milliseconds.

CREATE TABLE ssm_service_settings (
    account_id    TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    setting_id    TEXT COLLATE "C" NOT NULL,
    value         TEXT COLLATE "C" NOT NULL,
    -- `Customized` after an update, `Default` after a reset.
    status        TEXT COLLATE "C" NOT NULL,
    modified_ms   BIGINT NOT NULL,
    modified_user TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, region, setting_id)
);
