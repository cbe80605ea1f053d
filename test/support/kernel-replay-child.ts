import { readFileSync } from 'fs';
import { replayStartup, reaperOf } from './kernel-harness';

// A process that replays one startup and reports when its waiter runs, for the test that kills a
// replay halfway (test/kernel-cleanup.test.ts). Arguments: a JSON file with the mode and objects.
const { mode, objects } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
void replayStartup(1, mode, objects, {
  onWaiting: (inodes) => process.stdout.write(`${JSON.stringify({ inodes, reaper: reaperOf() })}\n`),
});
