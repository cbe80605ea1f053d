#!/usr/bin/env node
// After `cdk8s synth`: keep only Kubernetes manifests in the output folder. cdk8s writes
// construct-metadata.json there for its validation plugins; kubectl cannot decode it, so
// `kubectl apply -f <folder>` would fail. It moves to .cdk8s/ (ignored by git) for anyone who wants it.
const { existsSync, mkdirSync, renameSync } = require('fs');
const { basename, join, resolve } = require('path');

const out = resolve(process.argv[2] ?? 'dist');
const metadata = join(out, 'construct-metadata.json');
if (existsSync(metadata)) {
  const keep = resolve(__dirname, '..', '.cdk8s');
  mkdirSync(keep, { recursive: true });
  renameSync(metadata, join(keep, `${basename(out)}.construct-metadata.json`));
}
