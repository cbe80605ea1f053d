import { LineCounter, parseAllDocuments } from 'yaml';
import { analyzeObjects, MeshMode, readManifests, reportJson, reportText } from '../src/internal';
import { analyzeManifests, ReportWriter } from '../src/analyzer/analyze';
import { ManifestError } from '../src/common/errors';
import { manifestObjects, namespaceObjects } from '../src/analyzer/manifest-reader';
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';

// The reader moved from the `yaml` package's document API to js-yaml, one document at a time,
// for speed and flat memory (issue #13). These hold it to the old reader's YAML 1.2 semantics
// on tricky input (with merge keys, which kubectl honours: issue #23), and its errors to the same
// file, line and column.

/** The reader this project used before: `yaml`'s documents, flattened the same way. */
function reference(text: string): unknown[] {
  const lineCounter = new LineCounter();
  const out: unknown[] = [];
  const flatten = (value: any): void => {
    if (value === null || value === undefined) return;
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) value.items.forEach(flatten);
    else out.push(value);
  };
  for (const document of parseAllDocuments(text, { lineCounter, merge: true })) {
    const error = document.errors[0];
    if (error) {
      const at = lineCounter.linePos(error.pos[0]);
      throw Object.assign(new Error('reference error'), { line: at.line, col: at.col });
    }
    flatten(document.toJS({ maxAliasCount: 1000 }));
  }
  return out;
}

const CASES: Array<[string, string]> = [
  ['anchors and aliases', 'a: &x {b: 1, c: [1, 2]}\nd: *x\ne:\n  - &y hello\n  - *y\n'],
  ['merge keys merge, as kubectl reads them', 'base: &b {x: 1, y: 0}\nm:\n  <<: *b\n  y: 2\nn:\n  <<: [*b, {z: 3}]\n'],
  ['timestamps stay strings', 'a: 2024-01-01\nb: 2024-01-01T10:00:00Z\nc: 2001-12-14 21:59:43.10 -5\n'],
  ['YAML 1.2 scalars', 'a: yes\nb: no\nc: on\nd: ~\ne: 0o14\nf: 014\ng: 0x1F\nh: .inf\ni: -.Inf\nj: .nan\nk: 1e3\nl: +12\nm: TRUE\nn: Null\no: 1_000\np: 0b101\nq: "12"\nr: 12.50\n'],
  ['multi-line strings', 'a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n\n  para\nc: |+\n  keep\n\nd: "double \\n escaped \\u00e9"\ne: \'single \'\' quote\'\nf: plain\n  continued\n'],
  ['--- edge cases', '---\n---\n--- # comment\na: 1\n---\nb: "---"\nc: --- not a marker\nd: |\n  --- indented, so content\n...\n---\ne: 2\n---{f: 3}\n'],
  ['a --- line inside a block scalar ends the document', 'a: |\n  one\n---\nb: 2\n'],
  ['a document end marker, then a bare document', 'a: 1\n...\nb: 2\n'],
  ['kind: List, nested', 'kind: List\nitems:\n  - kind: Pod\n    metadata: {name: a}\n  - kind: ConfigMapList\n    items:\n      - {kind: ConfigMap, metadata: {name: b}}\n'],
  ['JSON', '{"kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "x", "image": "y:1"}]}}\n'],
  ['directives', '%YAML 1.2\n---\na: 1\n---\nb: 2\n'],
  ['a byte-order mark and CRLF line ends', '\ufeffa: 1\r\nb:\r\n  - 2\r\n---\r\nc: 3\r\n'],
  ['comments and empty documents', '# only a comment\n---\n\n---\n# another\na: 1 # trailing\n'],
  ['flow styles and quoted keys', '{"kind": Namespace, metadata: {name: "ns-a", labels: {istio.io/dataplane-mode: ambient}}}\n---\n"kind": Pod\n\'metadata\': {name: p}\n'],
  ['explicit tags', 'a: !!str 123\nb: !!int "7"\n'],
];

test('init containers brought in by a merge key are analyzed, as kubectl would create them (issue #23)', () => {
  const text = [
    'x-wait: &wait',
    '  initContainers:',
    '    - name: wait-for-vllm',
    '      image: busybox:1.36.1',
    '      command: [sh, -c, "until wget -q -O /dev/null http://vllm:8000/health; do sleep 1; done"]',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: chat}',
    'spec:',
    '  template:',
    '    metadata: {labels: {app: chat}}',
    '    spec:',
    '      <<: *wait',
    '      containers: [{name: app, image: "h2ogpt:1"}]',
    '',
  ].join('\n');
  const pod = analyzeObjects(readManifests(text, 'merged.yaml'), MeshMode.istioSidecar()).pods.find((p) => p.name === 'chat')!;
  expect(pod.initContainers.map((c) => c.name)).toEqual(['wait-for-vllm']);
  expect(pod.verdict).toBe('deadlock');
});

describe('manifest reader: same YAML 1.2 semantics as the yaml package', () => {
  test.each(CASES)('%s', (_label, text) => {
    expect(readManifests(text, 'case.yaml').map((o) => o.object)).toEqual(reference(text));
  });

  test('every fixture reads the same', () => {
    const dir = join(__dirname, 'fixtures');
    const files = [
      ...readdirSync(dir).filter((f) => f !== 'broken.yaml' && f.endsWith('.yaml')).map((f) => join(dir, f)),
      // Real charts' output, as Helm renders it (test/fixtures/real-world/).
      ...readdirSync(join(dir, 'real-world')).filter((f) => f.endsWith('.yaml') && !f.endsWith('.expected.yaml')).map((f) => join(dir, 'real-world', f)),
    ];
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect([file, readManifests(text, file).map((o) => o.object)]).toEqual([file, reference(text)]);
    }
  });

  test('a flow sequence closed at its key\'s indentation, as Helm charts write it, reads as Go\'s parser reads it (issue #24)', () => {
    // mattermost-helm writes `command: [` ... `]` this way; kubectl and Helm (go-yaml) accept it, js-yaml alone does not.
    const text = 'kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - name: w\n    command: [\n      "sh",\n      "-c",\n      "until curl http://x; do sleep 1; done"\n    ]\n';
    expect(readManifests(text, 't')[0].object.spec.initContainers[0].command).toEqual(['sh', '-c', 'until curl http://x; do sleep 1; done']);
    const mattermost = readFileSync(join(__dirname, 'fixtures', 'real-world', 'mattermost--jobserver.yaml'), 'utf8');
    const [deployment] = readManifests(mattermost, 'mattermost').filter((o) => o.object.kind === 'Deployment');
    expect(deployment.object.spec.template.spec.initContainers[0].command[0]).toBe('sh');
    // Any other syntax error still names its line.
    expect(() => readManifests('a: [\n  b\nc: d\n', 'bad')).toThrow(/bad:\d+:\d+: YAML syntax error/);
  });

  test.each([
    ['an unclosed flow sequence', 'a: 1\nb: [1, 2\nc: 3\n'],
    ['bad indentation in the third document', 'a: 1\n---\nb: 2\n---\nc:\n  - 1\n - 2\n'],
    ['a duplicate key after a long first document', `${'x: 1\n'.repeat(40)}---\nkind: Pod\nkind: Pod\n`],
    ['a tab as indentation', 'a:\n\t- 1\n'],
  ])('%s: the error names the same line as the yaml package, and the file', (_label, text) => {
    let expected: { line: number; col: number } | undefined;
    try {
      reference(text);
    } catch (error) {
      expected = error as any;
    }
    expect(expected).toBeDefined();
    let error: ManifestError | undefined;
    try {
      readManifests(text, 'bad.yaml');
    } catch (e) {
      error = e as ManifestError;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect(error!.message).toMatch(/^bad\.yaml:\d+:\d+: YAML syntax error: \S/);
    expect(error!.line).toBe(expected!.line);
  });

  test('where the two differ, on input no Kubernetes manifest has', () => {
    // `!!float 1` is 1 (YAML 1.2 says so; the yaml package gave the string "1").
    expect(readManifests('a: !!float 1\n', 's')[0].object).toEqual({ a: 1 });
    // Complex (non-scalar) keys have no JSON form: refused, at the mapping that holds one, where yaml stringified them.
    expect(() => readManifests('a: 1\n? [a, b]\n: c\n', 's')).toThrow(/^s:1:1: YAML syntax error: object-based map does not support complex keys/);
    // A document that is not an object is refused by both.
    expect(() => readManifests('--- |\n  a literal document\n', 's')).toThrow(/^s: expected Kubernetes objects, found "a literal document\\n"/);
  });

  test('a "billion laughs" document is refused, not expanded', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(() => readManifests(`${laughs.join('\n')}\n`, 'lol.yaml')).toThrow(/^lol\.yaml:\d+:\d+: YAML syntax error: /);
  });

  test('documents are read lazily, in batches: objects well before a syntax error arrive before it is reached', () => {
    const seen: string[] = [];
    const big = (kind: string) => `kind: ${kind}\ndata:\n${'  k: v\n'.repeat(1)}${Array.from({ length: 12_000 }, (_, i) => `  key${i}: value\n`).join('')}`;
    const text = `${big('A')}---\n${big('B')}---\nkind: [\n`;
    const errorLine = text.split('\n').length;
    expect(() => {
      for (const { object } of manifestObjects(text, 's')) seen.push(object.kind);
    }).toThrow(new RegExp(`^s:${errorLine}:1: YAML syntax error`));
    expect(seen).toEqual(['A', 'B']);
  });

  test('the Namespace pre-pass finds Namespaces in any form, and parses no other document', () => {
    const text = 'kind: Pod\nmetadata: {name: p, namespace: a}\n---\n{"kind": "Namespace", "metadata": {"name": "a"}}\n---\nkind: List\nitems: [{kind: Namespace, metadata: {name: b}}]\n---\nkind: [broken but never parsed\n';
    expect(namespaceObjects(text, 's').map((o) => o.object.metadata.name)).toEqual(['a', 'b']);
  });
});

/** Runs a generator to its end, handing each value to `each`; returns its return value. */
function drain<T, R>(generator: Generator<T, R, void>, each: (value: T) => void): R {
  for (let step = generator.next(); ; step = generator.next()) {
    if (step.done) return step.value;
    each(step.value);
  }
}

describe('the streaming report', () => {
  const inputs = readdirSync(join(__dirname, 'fixtures')).filter((f) => f !== 'broken.yaml' && f.endsWith('.yaml'))
    .map((name) => ({ text: readFileSync(join(__dirname, 'fixtures', name), 'utf8'), source: name }));

  test.each([
    ['Istio sidecar', MeshMode.istioSidecar()],
    ['Linkerd without CNI', MeshMode.linkerdSidecar({ cni: false })],
    ['ambient', MeshMode.istioAmbient()],
  ])('under %s: text and JSON are byte for byte the whole-report forms, and the verdicts agree', (_label, mesh) => {
    const whole = analyzeObjects(inputs.flatMap(({ text, source }) => readManifests(text, source)), mesh);
    for (const format of ['text', 'json'] as const) {
      const chunks: string[] = [];
      const writer = new ReportWriter(mesh, format, (chunk) => chunks.push(chunk));
      const objects = drain(analyzeManifests(inputs, mesh), (pod) => writer.pod(pod));
      writer.end();
      expect(objects).toBeGreaterThan(10);
      expect(writer.failed).toBe(whole.failed);
      expect(chunks.join('')).toBe(format === 'text' ? reportText(whole) : `${JSON.stringify(reportJson(whole), null, 2)}\n`);
    }
  });

  test('with no pods at all, both forms still match', () => {
    const mesh = MeshMode.none();
    for (const format of ['text', 'json'] as const) {
      const chunks: string[] = [];
      const writer = new ReportWriter(mesh, format, (chunk) => chunks.push(chunk));
      expect(drain(analyzeManifests([{ text: 'kind: ConfigMap\nmetadata: {name: c}\n', source: 's' }], mesh), (pod) => writer.pod(pod))).toBe(1);
      writer.end();
      const empty = { mesh, pods: [], failed: false };
      expect(chunks.join('')).toBe(format === 'text' ? reportText(empty) : `${JSON.stringify(reportJson(empty), null, 2)}\n`);
    }
  });
});
