-- Schema 3: a QR response changes nothing until it is verified, and
-- everything a verified response changes commits in one call of
-- yzt_qr_settle (one statement, one round trip, one transaction): the
-- code used, one use of the package charged (never below zero), the scan
-- record, the operation-log line, the page's verdict with what the action
-- hands over, and the verdict itself with the SM3 of the response, so
-- that the same response sent again gets the same verdict.

ALTER TABLE yzt_qr_transactions
    -- the platform whose code it is (for the bound on waiting codes)
    ADD COLUMN platform      text,
    -- SM3 of the secret of the browser that asked for the code, if any
    ADD COLUMN viewer        bytea CHECK (viewer IS NULL OR length(viewer) = 32),
    -- the verdict of the response that used the code: 0 accepted, or the
    -- package's refusal (1017 not opened, 1018 used up)
    ADD COLUMN verdict       smallint,
    ADD COLUMN remaining     bigint,
    ADD COLUMN response_hash bytea CHECK (response_hash IS NULL OR length(response_hash) = 32);

-- The codes still waiting for an answer, counted per platform at issue.
CREATE INDEX yzt_qr_waiting ON yzt_qr_transactions (platform, expires_at) WHERE NOT used;

-- A transaction is charged at most once because it is used at most once,
-- in the same row and the same transaction: the separate charge rows go.
DROP TABLE yzt_charges;

CREATE FUNCTION yzt_qr_settle(
    p_tid bytea, p_hash bytea,
    p_holder text, p_platform text, p_institution text,
    p_record jsonb, p_account text, p_log jsonb,
    p_detail text, p_key bytea)
RETURNS TABLE (o_now boolean, o_verdict smallint, o_remaining bigint, o_hash bytea)
LANGUAGE plpgsql AS $$
DECLARE
    t yzt_qr_transactions%ROWTYPE;
    left_uses bigint;
    v smallint;
BEGIN
    -- The transaction's row first, then the package's: every settle locks
    -- in that order, so two never wait for each other in a cycle.
    SELECT * INTO t FROM yzt_qr_transactions WHERE tid = p_tid FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF t.used THEN
        RETURN QUERY SELECT false, t.verdict, t.remaining, t.response_hash;
        RETURN;
    END IF;
    UPDATE yzt_quotas SET uses = uses - 1
     WHERE holder = p_holder AND platform = p_platform AND institution = p_institution
       AND uses > 0
    RETURNING uses INTO left_uses;
    IF FOUND THEN
        INSERT INTO yzt_scan_records (body) VALUES (p_record);
        INSERT INTO yzt_operation_log (account, body) VALUES (p_account, p_log);
        UPDATE yzt_qr_transactions
           SET used = true, verdict = 0, remaining = left_uses, response_hash = p_hash,
               stage = 2, detail = p_detail, document_key = p_key,
               ephemeral = NULL, message = NULL
         WHERE tid = p_tid;
        RETURN QUERY SELECT true, 0::smallint, left_uses, p_hash;
    ELSE
        v := CASE WHEN EXISTS (SELECT 1 FROM yzt_quotas
                                WHERE holder = p_holder AND platform = p_platform
                                  AND institution = p_institution)
                  THEN 1018 ELSE 1017 END;
        UPDATE yzt_qr_transactions
           SET used = true, verdict = v, remaining = NULL, response_hash = p_hash,
               stage = 3, detail = NULL, document_key = NULL,
               ephemeral = NULL, message = NULL
         WHERE tid = p_tid;
        RETURN QUERY SELECT true, v, NULL::bigint, p_hash;
    END IF;
END
$$;
