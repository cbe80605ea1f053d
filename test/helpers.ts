import { randomBytes } from 'crypto';
import { rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';

// One output folder per test file for every app made here, removed when the file ends. cdk8s's
// Testing.app() makes a folder per app and never removes it: about 2,000 per run of the suite.
// Only named here: app.synth() makes it when a test writes files, so a file that is skipped whole
// (whose afterAll never runs) leaves nothing behind.
const OUTDIR = join(tmpdir(), `cdk8s-h2ogpt-test-${process.pid}-${randomBytes(6).toString('hex')}`);
afterAll(() => rmSync(OUTDIR, { recursive: true, force: true }));

/** An app for a test, whose synth() writes into this test file's scratch folder. */
export function testApp(): App {
  return new App({ outdir: OUTDIR });
}

/** A manifest object as synthesized. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: any; annotations?: any }; spec?: any; data?: any; automountServiceAccountToken?: boolean };

/** A chart with stable names, like the one users get from the default app. */
export function newChart(namespace?: string): { app: App; chart: Chart } {
  const app = testApp();
  const chart = new Chart(app, 'test', { disableResourceNameHashes: true, namespace });
  return { app, chart };
}

/** Builds constructs in a fresh chart and returns what synthesis emits. */
export function synth(build: (chart: Chart) => unknown, namespace?: string): Manifest[] {
  const { chart } = newChart(namespace);
  build(chart);
  return Testing.synth(chart) as Manifest[];
}

export function find(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export function podSpec(deployment: Manifest): any {
  return deployment.spec.template.spec;
}

/**
 * An h2oGPT pod's waiting init containers, in order: every init container but the workspace's
 * preparation, which uses no network and is always last (test/h2ogpt.test.ts asserts that).
 */
export function waitInitContainers(spec: any): any[] {
  const inits: any[] = spec.initContainers ?? [];
  return inits.filter((c) => c.name !== 'prepare-workspace');
}

export function container(deployment: Manifest, name: string): any {
  const c = podSpec(deployment).containers.find((x: any) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
}

export function envOf(c: any): Record<string, any> {
  return Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

/** Calls `build` in a fresh chart and returns the error it throws. */
export function errorOf(build: (scope: Construct) => unknown): Error {
  const { chart } = newChart();
  try {
    build(chart);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, but construction succeeded');
}
