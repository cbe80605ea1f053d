// Loaded by `npm run bench:tests` into every test file (jest --setupFilesAfterEnv): appends the
// CPU seconds the file's tests took in the jest worker, and in the processes they started and
// waited for (from /proc/self/stat), to the file named by BENCH_CPU_LOG. Module loading and
// top-level code run before beforeAll, so they count as neither.
const { appendFileSync, readFileSync } = require('fs');
const { relative } = require('path');

const cpu = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { self: (Number(fields[11]) + Number(fields[12])) / 100, children: (Number(fields[13]) + Number(fields[14])) / 100 };
};

let start;
beforeAll(() => { start = cpu(); });
afterAll(() => {
  const end = cpu();
  const file = relative(process.cwd(), expect.getState().testPath);
  appendFileSync(process.env.BENCH_CPU_LOG, `${JSON.stringify({ file, self: end.self - start.self, children: end.children - start.children })}\n`);
});
