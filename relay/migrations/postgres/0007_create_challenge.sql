-- A new challenge in one round trip (relay/src/store/postgres/challenges.rs): the
-- device row's lock, the challenge window (the generic cell rate algorithm of
-- relay/src/rate.rs, in Unix milliseconds), the pending count, the insert, the
-- window's update. (The wake-up of the device's long-polls on the other instances
-- is sent after the commit, in a batch: relay/src/store/postgres/wake_sender.rs.)
-- In READ COMMITTED each statement here takes a new snapshot, so the count after
-- the lock sees every creation committed before it: two instances together
-- never overshoot the limits. Returns created, unknown_device, window_used or
-- too_many_pending; a duplicate id or push id raises unique_violation.
CREATE FUNCTION assent_create_challenge(
    p_challenge_id TEXT, p_push_id TEXT, p_tenant_id TEXT, p_device_id TEXT,
    p_challenge TEXT, p_created_at BIGINT, p_expires_at BIGINT,
    p_max_pending BIGINT, p_window_limit BIGINT, p_window_secs BIGINT
) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    tat BIGINT;
    next_tat BIGINT;
    cost BIGINT;
    start_ms BIGINT;
    now_ms BIGINT := p_created_at * 1000;
    pending BIGINT;
BEGIN
    SELECT challenge_tat INTO tat FROM devices
    WHERE device_id = p_device_id AND tenant_id = p_tenant_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'unknown_device';
    END IF;
    next_tat := tat;
    IF p_window_limit > 0 AND p_window_secs > 0 THEN
        cost := GREATEST((p_window_secs * 1000) / p_window_limit, 1);
        start_ms := GREATEST(tat, now_ms);
        IF start_ms + cost - now_ms > cost * p_window_limit THEN
            RETURN 'window_used';
        END IF;
        next_tat := start_ms + cost;
    END IF;
    SELECT COUNT(*) INTO pending FROM challenges
    WHERE device_id = p_device_id AND state = 'pending' AND expires_at > p_created_at;
    IF pending >= p_max_pending THEN
        RETURN 'too_many_pending';
    END IF;
    INSERT INTO challenges (challenge_id, push_id, tenant_id, device_id, challenge,
                            created_at, expires_at, state, answer, answered_at)
    VALUES (p_challenge_id, p_push_id, p_tenant_id, p_device_id, p_challenge,
            p_created_at, p_expires_at, 'pending', NULL, NULL);
    IF next_tat <> tat THEN
        UPDATE devices SET challenge_tat = next_tat WHERE device_id = p_device_id;
    END IF;
    RETURN 'created';
END
$$;
