// Jest runs the longest test files first, so that no worker is left with one at the end. Jest
// does this by itself only once its cache holds timings; a clean clone (CI) has none, and then
// Jest orders by file size, which put the waiter suites (four-line files that spend 5-15 s in real
// timeouts) last and added about 8 s to the run. The committed durations come from
// `npm run bench:tests -- --update` (bench/test-suite.ts); a file not listed there yet runs first,
// as Jest runs a file it has no timing for, and a file that failed last time still runs first.
const Sequencer = require('@jest/test-sequencer').default;
const { relative } = require('path');
const durations = require('./test-durations.json');

class SlowestFirstSequencer extends Sequencer {
  time(test) {
    const committed = durations.seconds[relative(test.context.config.rootDir, test.path)];
    return committed === undefined ? super.time(test) : committed * 1000;
  }
}

module.exports = SlowestFirstSequencer;
