-- What the page showing a QR code sees, kept beside the transaction so
-- that every verifier instance answers alike: the stage (0 pending,
-- 1 scanned, 2 authorised, 3 refused; the first verdict is final), what
-- to show about the verdict (JSON, no secrets), and an accepted decrypt
-- code's document key, sealed with SM4-GCM, until it is taken once.
ALTER TABLE yzt_qr_transactions
    ADD COLUMN stage        smallint NOT NULL DEFAULT 0 CHECK (stage BETWEEN 0 AND 3),
    ADD COLUMN detail       text,
    ADD COLUMN document_key bytea;
