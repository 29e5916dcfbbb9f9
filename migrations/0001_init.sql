-- yizhengtong storage, schema version 1.
-- Workflow rows: one table of versioned JSON documents and their index
-- entries (see src/store/mod.rs); the QR verifier's tables; quotas.

CREATE TABLE yzt_rows (
    tbl     text   NOT NULL,
    key     text   NOT NULL,
    version bigint NOT NULL CHECK (version > 0),
    body    jsonb  NOT NULL,
    PRIMARY KEY (tbl, key)
);

CREATE TABLE yzt_index (
    tbl   text NOT NULL,
    idx   text NOT NULL,
    value text NOT NULL,
    key   text NOT NULL,
    PRIMARY KEY (tbl, idx, value, key)
);
CREATE INDEX yzt_index_by_row ON yzt_index (tbl, key);

CREATE TABLE yzt_sequences (
    name  text   PRIMARY KEY,
    value bigint NOT NULL
);

-- Uses left per holder, platform and institution; never below zero.
CREATE TABLE yzt_quotas (
    holder      text   NOT NULL,
    platform    text   NOT NULL,
    institution text   NOT NULL,
    uses        bigint NOT NULL CHECK (uses >= 0),
    PRIMARY KEY (holder, platform, institution)
);

-- QR transactions: pending until consumed once; kept until purged a grace
-- period after expiry so that replays are told apart from unknown ids.
CREATE TABLE yzt_qr_transactions (
    tid        bytea   PRIMARY KEY CHECK (length(tid) = 16),
    used       boolean NOT NULL DEFAULT false,
    expires_at bigint  NOT NULL,
    challenge  text    NOT NULL,
    message    bytea,
    -- The decrypt action's ephemeral private key, sealed with SM4-GCM.
    ephemeral  bytea
);
CREATE INDEX yzt_qr_transactions_expiry ON yzt_qr_transactions (expires_at);

-- One charge per transaction.
CREATE TABLE yzt_charges (
    tid         bytea  PRIMARY KEY CHECK (length(tid) = 16),
    holder      text   NOT NULL,
    platform    text   NOT NULL,
    institution text   NOT NULL,
    expires_at  bigint NOT NULL
);
CREATE INDEX yzt_charges_expiry ON yzt_charges (expires_at);

CREATE TABLE yzt_scan_records (
    id   bigserial PRIMARY KEY,
    body jsonb     NOT NULL
);

CREATE TABLE yzt_operation_log (
    id      bigserial PRIMARY KEY,
    account text      NOT NULL,
    body    jsonb     NOT NULL
);
CREATE INDEX yzt_operation_log_account ON yzt_operation_log (account, id);
