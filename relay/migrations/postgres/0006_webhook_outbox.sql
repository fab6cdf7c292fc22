-- Webhook events waiting for delivery (relay/src/webhook/dispatch.rs): written when the
-- event happens, deleted once delivered or given up, so a restart or another instance
-- delivers what one instance could not. Never a secret: the signing secret stays in
-- tenant_settings and is read at each delivery.
--
-- event_type and subject (the one id the event names: a challenge id, an eid or a
-- device id) are what webhook::payload rebuilds the body from, with event_id and
-- created_at (Unix seconds), so every attempt sends the same bytes.
-- next_attempt_at and claimed_until are Unix milliseconds on the relay's clock.
-- A dispatcher claims due rows by setting claimed_until (its lease) and claim_token
-- (random per claim); only the holder of the token may delete or reschedule the row.
CREATE TABLE webhook_outbox (
    event_id         TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT,
    claim_token      TEXT
);

CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, claimed_until);
CREATE INDEX webhook_outbox_tenant ON webhook_outbox (tenant_id);
