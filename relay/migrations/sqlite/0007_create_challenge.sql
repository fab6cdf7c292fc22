-- Nothing for SQLite: migration 0007 creates a PostgreSQL function (a new challenge in
-- one round trip); the single SQLite writer does the same steps in one job. Kept so
-- both backends have the same migration numbers.
SELECT 1;
