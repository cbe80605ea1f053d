import { LineCounter, parseAllDocuments } from 'yaml';
import { ManifestError } from '../common/errors';

export { ManifestError };

/** A Kubernetes object read from a manifest, with where it came from. */
export interface SourcedObject {
  readonly object: any;
  /** File name, or "<stdin>". */
  readonly source: string;
}

/**
 * Reads multi-document YAML (or JSON) into objects, flattening `kind: List` (nested too).
 * Throws a ManifestError naming the source, line and column of the first syntax error.
 */
export function readManifests(text: string, source: string): SourcedObject[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  const objects: SourcedObject[] = [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error) {
      const at = lineCounter.linePos(error.pos[0]);
      throw new ManifestError(source, `YAML syntax error: ${error.message.split('\n')[0]}`, at.line, at.col);
    }
    flatten(document.toJS({ maxAliasCount: 1000 }), source, objects);
  }
  return objects;
}

function flatten(value: unknown, source: string, into: SourcedObject[]): void {
  if (value === null || value === undefined) return; // empty documents
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ManifestError(source, `expected Kubernetes objects, found ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  }
  const object = value as { kind?: unknown; items?: unknown };
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) {
    for (const item of object.items) flatten(item, source, into);
    return;
  }
  into.push({ object, source });
}
