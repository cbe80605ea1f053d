#!/usr/bin/env node
// Makes the CLI's V8 code caches (src/common/code-cache.ts): runs the bundled CLI once, as users
// do, so that V8 compiles what a run needs, then saves it beside the bundles. Run by
// scripts/bundle-cli.js in a fresh process: no V8 flags, as the bin runs.
const { mkdtempSync, rmSync, writeFileSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

globalThis[Symbol.for('cdk8s-h2ogpt.code-cache.recording')] = true;
const { main, writeCodeCaches } = require(join(__dirname, '..', 'lib', 'bundle', 'cli.js'));

// Pods whose init containers take the model's common paths: a shell loop, a URL, an unknown image.
const SAMPLE = `apiVersion: apps/v1
kind: Deployment
metadata: { name: app, namespace: team }
spec:
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      initContainers:
        - name: wait-db
          image: busybox:1.36
          command: ["sh", "-c", "until nc -z db.team.svc 5432; do echo waiting; sleep 2; done"]
        - name: wait-api
          image: curlimages/curl:8.5.0
          command: ["sh", "-c", "set -e; for i in 1 2 3; do curl -sf http://api:8080/healthz && exit 0 || sleep 1; done; exit 1"]
        - name: migrate
          image: example/migrate:1
          args: ["--url", "postgres://user:secret@db:5432/app"]
      containers:
        - { name: app, image: "example/app:2" }
`;

async function warm() {
  const work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-code-cache-'));
  let stderr = '';
  const io = { stdout: () => {}, stderr: (text) => { stderr += text; } }; // warnings of the sample stack are not the build's
  try {
    const manifest = join(work, 'pods.yaml');
    writeFileSync(manifest, SAMPLE);
    for (const args of [['check', manifest, '--mesh', 'istio-sidecar'], ['check', manifest, '--mesh', 'linkerd', '--format', 'json'], ['synth', '--out', join(work, 'out')]]) {
      const code = await main(args, io);
      if (code === 2) throw new Error(`cdk8s-h2ogpt ${args.join(' ')} exited 2: ${stderr}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const file of writeCodeCaches()) process.stdout.write(`code cache: ${file}\n`);
}

warm().catch((error) => {
  process.stderr.write(`warm-code-cache: ${error.stack ?? error}\n`);
  process.exit(1);
});
