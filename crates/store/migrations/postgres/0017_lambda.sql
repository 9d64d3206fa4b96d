-- Lambda functions. The deployment package is sealed under the at-rest key (bound to the
-- function's ARN and the code's SHA-256); environment variables are a KMS ciphertext blob, as
-- Lambda keeps them (under the function's KMS key or the AWS managed key aws/lambda).

CREATE TABLE lambda_functions (
    account_id       TEXT COLLATE "C" NOT NULL,
    region           TEXT COLLATE "C" NOT NULL,
    name             TEXT COLLATE "C" NOT NULL,
    function_id      TEXT COLLATE "C" NOT NULL,
    runtime          TEXT COLLATE "C" NOT NULL,
    handler          TEXT COLLATE "C" NOT NULL,
    role             TEXT COLLATE "C" NOT NULL,
    description      TEXT COLLATE "C" NOT NULL,
    timeout_s        BIGINT NOT NULL,
    memory_mb        BIGINT NOT NULL,
    ephemeral_mb     BIGINT NOT NULL,
    architecture     TEXT COLLATE "C" NOT NULL,
    -- KMS ciphertext of the variables as a JSON object; NULL when there are none.
    environment      BYTEA,
    kms_key_arn      TEXT COLLATE "C",
    code             BYTEA NOT NULL,
    code_sha256      TEXT COLLATE "C" NOT NULL,
    code_size        BIGINT NOT NULL,
    revision_id      TEXT COLLATE "C" NOT NULL,
    last_modified_ms BIGINT NOT NULL,
    -- The resource-based policy document, NULL when no permission was added.
    policy           TEXT COLLATE "C",
    -- JSON object of tags.
    tags             TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, region, name)
);
