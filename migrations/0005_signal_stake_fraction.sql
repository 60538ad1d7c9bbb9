-- Issue 12 item 4 (one name, one meaning): `kelly_fraction` is the operator's Kelly multiplier k in
-- the settings (0.25); what a signal records is the fraction of bankroll its sizing staked, k·f*.
-- The column is renamed for what it holds; its CHECK (0..1) keeps applying under the new name.

ALTER TABLE signals RENAME COLUMN kelly_fraction TO stake_fraction;
ALTER TABLE signals RENAME CONSTRAINT signals_kelly_fraction_check TO signals_stake_fraction_check;
