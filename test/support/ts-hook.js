// Lets a plain `node -r ./test/support/ts-hook.js file.ts` run the test support's TypeScript, with
// the transform jest uses (@swc/jest's options in package.json), for tests that need a process of
// their own to kill.
const { readFileSync } = require('fs');
const { transformSync } = require('@swc/core');

const options = require('../../package.json').jest.transform['^.+\\.ts$'][1];
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
