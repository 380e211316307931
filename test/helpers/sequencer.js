/**
 * Runs files named `*.last.test.ts` after all others: they stop the shared stack.
 */
const Sequencer = require('@jest/test-sequencer').default;

class LastLastSequencer extends Sequencer {
  sort(tests) {
    const isLast = (test) => /\.last\.test\.ts$/.test(test.path);
    const sorted = [...tests].sort((a, b) => a.path.localeCompare(b.path));
    return [...sorted.filter((t) => !isLast(t)), ...sorted.filter(isLast)];
  }
}
module.exports = LastLastSequencer;
