#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (or `npm ci && npm run synth`) produces lib/.
require('../lib/cli/cli').run();
