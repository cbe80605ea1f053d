// Loaded by `npm run bench:tests` into every test file (jest --setupFilesAfterEnv), after Jest's
// environment and before the file itself: appends to the file named by BENCH_CPU_LOG the CPU
// seconds (from /proc/self/stat) the file took in the jest worker while loading its imports and
// running its top-level code (`load`, until its first beforeAll), while running its tests (`self`),
// and in the processes its tests started and waited for (`children`).
const { appendFileSync, readFileSync } = require('fs');
const { relative } = require('path');

const cpu = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { self: (Number(fields[11]) + Number(fields[12])) / 100, children: (Number(fields[13]) + Number(fields[14])) / 100 };
};

const loaded = cpu();
let start;
beforeAll(() => { start = cpu(); });
afterAll(() => {
  const end = cpu();
  const file = relative(process.cwd(), expect.getState().testPath);
  appendFileSync(process.env.BENCH_CPU_LOG, `${JSON.stringify({ file, load: start.self - loaded.self, self: end.self - start.self, children: end.children - start.children })}\n`);
});
