-- Push delivery: when the device's current push token was registered (the
-- relay's time; an APNs 410 older than this is about an earlier
-- registration), and what happened to each challenge's push (NULL: no push
-- was tried, or it is still in flight; 'sent', 'failed', 'dead_token').
ALTER TABLE devices ADD COLUMN push_token_at BIGINT;
ALTER TABLE challenges ADD COLUMN push TEXT;
