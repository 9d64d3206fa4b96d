-- SSM service settings an account changed (or reset) in a region, e.g. the default parameter
-- tier. A setting without a row has the value spcred provisions. Times are epoch milliseconds.

CREATE TABLE ssm_service_settings (
    account_id    TEXT NOT NULL,
    region        TEXT NOT NULL,
    setting_id    TEXT NOT NULL,
    value         TEXT NOT NULL,
    -- `Customized` after an update, `Default` after a reset.
    status        TEXT NOT NULL,
    modified_ms   INTEGER NOT NULL,
    modified_user TEXT NOT NULL,
    PRIMARY KEY (account_id, region, setting_id)
);
