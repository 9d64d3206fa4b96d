-- The review engine: the cases in which Amazon reviews what a developer submits (the developer
-- registration, an app listing, a Data Portability onboarding request), their steps with due
-- dates counted in business days, their history, case messages and TPS consultations, the
-- documents submitted (sealed under the master key), security findings and collaborators.
-- Times are epoch milliseconds.

CREATE TABLE reviews (
    review_id  TEXT PRIMARY KEY,
    -- `registration`, `listing` or `onboarding`.
    kind       TEXT NOT NULL,
    -- The developer id (registration) or the app id (listing, onboarding).
    subject    TEXT NOT NULL,
    -- `InProgress`, `Completed`, `Denied`, `Withdrawn` or `Closed`.
    status     TEXT NOT NULL,
    -- What the kind keeps (categories, contact e-mail, sandbox customers, unlocked categories), JSON.
    data       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX reviews_by_subject ON reviews (kind, subject, created_ms);

CREATE TABLE review_steps (
    review_id    TEXT NOT NULL REFERENCES reviews (review_id),
    step         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    state        TEXT NOT NULL,
    -- Who owes the next move: `amazon`, `developer` or `none`.
    owner        TEXT NOT NULL,
    -- When the owner's move is due.
    due_ms       INTEGER,
    submitted_ms INTEGER,
    -- The latest submission's form fields, sealed JSON.
    submission   BLOB,
    -- What Amazon's side last said to the developer.
    message      TEXT,
    -- 1 once the due date passed with Amazon owing the move.
    breached     INTEGER NOT NULL DEFAULT 0,
    updated_ms   INTEGER NOT NULL,
    PRIMARY KEY (review_id, step)
) WITHOUT ROWID;
CREATE INDEX review_steps_by_due ON review_steps (owner, due_ms);

CREATE TABLE review_history (
    id        INTEGER PRIMARY KEY,
    review_id TEXT NOT NULL REFERENCES reviews (review_id),
    at_ms     INTEGER NOT NULL,
    step      TEXT,
    -- `developer`, `amazon` or `clock`.
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    -- The step's state after the action.
    state     TEXT,
    -- What the developer is told (never a withheld reason).
    message   TEXT
);
CREATE INDEX review_history_by_review ON review_history (review_id, id);

CREATE TABLE review_messages (
    id          INTEGER PRIMARY KEY,
    review_id   TEXT NOT NULL REFERENCES reviews (review_id),
    -- `case` (the onboarding request case) or `consultation` (TPS).
    thread      TEXT NOT NULL,
    -- `developer` or `amazon`.
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    -- A developer's message: when Amazon must answer it by.
    due_ms      INTEGER,
    answered_ms INTEGER
);
CREATE INDEX review_messages_by_review ON review_messages (review_id, id);

CREATE TABLE review_documents (
    document_id  TEXT PRIMARY KEY,
    review_id    TEXT NOT NULL REFERENCES reviews (review_id),
    -- `business-license`, `photo-id`, `face-image`, `evidence`, `icon`, `screenshot`.
    kind         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    -- The file, sealed (AES-256-GCM under the at-rest key, bound to the document id).
    sealed       BLOB NOT NULL,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX review_documents_by_review ON review_documents (review_id, created_ms);

CREATE TABLE review_findings (
    finding_id  TEXT PRIMARY KEY,
    review_id   TEXT NOT NULL REFERENCES reviews (review_id),
    title       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    -- `Open`, `Remediated` (the developer answered) or `Resolved` (the assessor accepted it).
    status      TEXT NOT NULL,
    remediation TEXT,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX review_findings_by_review ON review_findings (review_id, created_ms);

CREATE TABLE review_collaborators (
    review_id  TEXT NOT NULL REFERENCES reviews (review_id),
    email      TEXT NOT NULL,
    invited_ms INTEGER NOT NULL,
    PRIMARY KEY (review_id, email)
) WITHOUT ROWID;
