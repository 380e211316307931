import type { TemporalOptions } from '../../src/stack';

/**
 * The dev server settings the tests need: continue-as-new suggested after few events so a
 * test can force it without running for weeks.
 */
export const TEST_TEMPORAL_OPTIONS: TemporalOptions = {
  dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 },
};
