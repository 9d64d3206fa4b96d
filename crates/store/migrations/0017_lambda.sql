-- Lambda functions. The deployment package is sealed under the at-rest key (bound to the
-- function's ARN and the code's SHA-256); environment variables are a KMS ciphertext blob, as
-- Lambda keeps them (under the function's KMS key or the AWS managed key aws/lambda).

CREATE TABLE lambda_functions (
    account_id       TEXT NOT NULL,
    region           TEXT NOT NULL,
    name             TEXT NOT NULL,
    function_id      TEXT NOT NULL,
    runtime          TEXT NOT NULL,
    handler          TEXT NOT NULL,
    role             TEXT NOT NULL,
    description      TEXT NOT NULL,
    timeout_s        INTEGER NOT NULL,
    memory_mb        INTEGER NOT NULL,
    ephemeral_mb     INTEGER NOT NULL,
    architecture     TEXT NOT NULL,
    -- KMS ciphertext of the variables as a JSON object; NULL when there are none.
    environment      BLOB,
    kms_key_arn      TEXT,
    code             BLOB NOT NULL,
    code_sha256      TEXT NOT NULL,
    code_size        INTEGER NOT NULL,
    revision_id      TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    -- The resource-based policy document, NULL when no permission was added.
    policy           TEXT,
    -- JSON object of tags.
    tags             TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name)
);
