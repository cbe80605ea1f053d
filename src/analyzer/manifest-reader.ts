import { CORE_SCHEMA, loadAll, mergeTag } from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { ManifestError } from '../common/errors';

export { ManifestError };

// Manifests are read one document at a time with js-yaml's YAML 1.2 core schema plus merge keys:
// the `yaml` package's semantics with `merge: true` (timestamps as strings, YAML 1.2 booleans;
// test/manifest-reader.test.ts holds the two to each other), at about nine times its speed. Merge
// keys because kubectl honours them (docs/app-facts.md §2): `initContainers` brought in by
// `<<: *anchor` are there for the kubelet, so they must be there for the analysis. A document is
// parsed, analyzed and dropped, so memory does not grow with the file.
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/** A Kubernetes object read from a manifest, with where it came from. */
export interface SourcedObject {
  readonly object: any;
  /** File name, or "<stdin>". */
  readonly source: string;
}

/** One document's text and the 0-based line it starts on. */
interface DocumentText {
  readonly text: string;
  readonly line: number;
}

// `---` at the start of a line, alone or followed by white space, starts a document wherever it
// stands, block scalars included (YAML 1.2 §9.1.2, "c-forbidden"): splitting there is exact.
const isDocumentStart = (text: string, at: number) => text.startsWith('---', at)
  && (at + 3 === text.length || ' \t\r\n'.includes(text[at + 3]));

/** The documents of a stream, split at their start markers without parsing them. */
function* documentTexts(text: string): Generator<DocumentText> {
  // Directives belong to the document after them and need the parser's view: read such a stream whole.
  if (text.startsWith('%') || text.includes('\n%')) {
    yield { text, line: 0 };
    return;
  }
  let start = 0;
  let startLine = 0;
  let line = 0;
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at);
    if (at > start && isDocumentStart(text, at)) {
      yield { text: text.slice(start, at), line: startLine };
      start = at;
      startLine = line;
    }
    if (end < 0) break;
    at = end + 1;
    line++;
  }
  yield { text: text.slice(start), line: startLine };
}

/** Nodes a document may stand for once its aliases are expanded; Kubernetes objects are far smaller. */
const MAX_EXPANDED_NODES = 1_000_000;

/**
 * Whether `value` stays within `budget` nodes when every alias is expanded. js-yaml shares an
 * aliased node rather than copying it, but whatever walks the object later (a command joined,
 * a report) expands it: a "billion laughs" document must be refused here.
 */
function withinExpandedSize(value: unknown, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  if (value === null || typeof value !== 'object') return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (!withinExpandedSize(child, budget)) return false;
  }
  return true;
}

function parse(document: DocumentText, source: string): unknown[] {
  let values: unknown[];
  try {
    values = loadAll(document.text, { schema: SCHEMA, maxAliases: 10_000, filename: source });
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    // A flow sequence closed at its key's indentation (`command: [` ... `]`, as Helm charts write
    // it) is accepted by the Go YAML parser kubectl and Helm use, and refused by js-yaml; the `yaml`
    // package reads it as Go does (test/manifest-reader.test.ts).
    const lenient = /indentation/.test(reason) ? lenientParse(document.text) : undefined;
    if (lenient) return lenient;
    if (!mark) throw new ManifestError(source, `YAML syntax error: ${reason}`);
    throw new ManifestError(source, `YAML syntax error: ${reason}`, document.line + mark.line + 1, mark.column + 1);
  }
  // Only a document with an anchor can have aliases to expand.
  if (document.text.includes('&') && !values.every((value) => withinExpandedSize(value, { left: MAX_EXPANDED_NODES }))) {
    const anchorLine = document.text.slice(0, document.text.indexOf('&')).split('\n').length;
    throw new ManifestError(source, `YAML syntax error: its aliases expand to more than ${MAX_EXPANDED_NODES} nodes (a "billion laughs" document)`, document.line + anchorLine, 1);
  }
  return values;
}

/** The documents as the `yaml` package reads them (core schema, merge keys), or undefined on any error. */
function lenientParse(text: string): unknown[] | undefined {
  const documents = parseAllDocuments(text, { merge: true, schema: 'core', uniqueKeys: true });
  if (!Array.isArray(documents) || documents.some((d) => d.errors.length > 0)) return undefined;
  try {
    return documents.map((d) => d.toJS({ maxAliasCount: 10_000 }));
  } catch {
    return undefined;
  }
}

/**
 * The objects of multi-document YAML (or JSON), one at a time, flattening `kind: List` (nested
 * too). Throws a ManifestError naming the source, line and column of a syntax error when the
 * reader reaches it.
 */
export function* manifestObjects(text: string, source: string, only?: (documentText: string) => boolean): Generator<SourcedObject> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Documents go to the parser in batches of about 64 KiB: one call per document costs a quarter
  // more than one for the whole stream, and a batch still keeps memory flat.
  let batch: DocumentText[] = [];
  let batchLength = 0;
  const parseBatch = function* (): Generator<SourcedObject> {
    if (batch.length === 0) return;
    const joined = { text: batch.map((d) => d.text).join(''), line: batch[0].line };
    batch = [];
    batchLength = 0;
    for (const value of parse(joined, source)) yield* flatten(value, source);
  };
  for (const document of documentTexts(body)) {
    if (only && !only(document.text)) {
      yield* parseBatch(); // a skipped document breaks the run of lines a batch covers
      continue;
    }
    batch.push(document);
    batchLength += document.text.length;
    if (batchLength >= BATCH_CHARACTERS) yield* parseBatch();
  }
  yield* parseBatch();
}

const BATCH_CHARACTERS = 64 * 1024;

/** Every object of multi-document YAML (or JSON); see `manifestObjects`. */
export function readManifests(text: string, source: string): SourcedObject[] {
  return [...manifestObjects(text, source)];
}

/**
 * The Namespace objects of a stream, parsing only the documents that could hold one: the
 * analyzer needs them before the pods, wherever they stand. A Namespace's document (or the List
 * holding it) always contains the word, so the filter drops none.
 */
export function namespaceObjects(text: string, source: string): SourcedObject[] {
  if (!text.includes('Namespace')) return []; // no document can hold one: skip the split
  return [...manifestObjects(text, source, (documentText) => documentText.includes('Namespace'))]
    .filter(({ object }) => object?.kind === 'Namespace');
}

/** The ConfigMaps and Secrets of one stream, where init containers' scripts and envFrom come from. */
export function scriptSourceObjects(text: string, source: string): SourcedObject[] {
  if (!text.includes('ConfigMap') && !text.includes('Secret')) return [];
  return [...manifestObjects(text, source, (documentText) => documentText.includes('ConfigMap') || documentText.includes('Secret'))]
    .filter(({ object }) => object?.kind === 'ConfigMap' || object?.kind === 'Secret');
}

/** One parsed object, or the items of a `kind: List` (nested too), each with its source. */
export function* flatten(value: unknown, source: string): Generator<SourcedObject> {
  if (value === null || value === undefined) return; // empty documents
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ManifestError(source, `expected Kubernetes objects, found ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  }
  const object = value as { kind?: unknown; items?: unknown };
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) {
    for (const item of object.items) yield* flatten(item, source);
    return;
  }
  yield { object, source };
}
