-- The relay's per-device challenge window (relay/src/rate.rs), kept with the device so
-- that a restart does not refill it and several instances share it: the generic cell
-- rate algorithm's theoretical arrival time, in Unix milliseconds (0: never used).
ALTER TABLE devices ADD COLUMN challenge_tat BIGINT NOT NULL DEFAULT 0;
