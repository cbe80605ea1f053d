import { ConfigurationError } from '../common/errors';

/** A LoRA adapter vLLM serves beside its base model, under a model name of its own. */
export interface LoraAdapter {
  /**
   * The model name clients (and h2oGPT's model list) use for the adapter, e.g. "sql-lora":
   * letters, digits, '.', '_' and '-'.
   */
  readonly name: string;
  /**
   * Where vLLM loads it from: a Hugging Face repository id, downloaded with the base model's token
   * into the same model cache, or an absolute path to a folder in the image or the cache.
   */
  readonly source: string;
}

const ADAPTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// A Hugging Face id, [org/]name: the shape of a model's id (VllmServer) and of an adapter's.
const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** Whether `source` is a Hub id ([org/]name) or an absolute folder that does not climb out with "..". */
export function isModelSource(source: string): boolean {
  return HUB_ID.test(source) || (source.startsWith('/') && !source.split('/').includes('..'));
}

/**
 * Whether `source` can be an adapter's: a model source without whitespace, "=" or ",", which
 * vLLM's `--lora-modules NAME=PATH` parser splits on or reads as JSON (docs/group-facts.md §5).
 */
function isAdapterSource(source: string): boolean {
  return isModelSource(source) && !/[\s=,]/.test(source);
}

/** The adapters, checked: a list of { name, source }, each name new among them and not the base model's. */
export function checkLoraAdapters(field: string, adapters: LoraAdapter[] | undefined, servedModelName: string): LoraAdapter[] {
  if (adapters === undefined) return [];
  if (!Array.isArray(adapters)) {
    throw new ConfigurationError(field, typeof adapters, 'Give a list, e.g. [{ name: "sql-lora", source: "yard1/llama-2-7b-sql-lora-test" }].');
  }
  const names: string[] = [];
  return adapters.map((adapter, i) => {
    if (adapter === null || typeof adapter !== 'object') {
      throw new ConfigurationError(`${field}[${i}]`, adapter, 'Give each adapter as { name, source }, e.g. { name: "sql-lora", source: "yard1/llama-2-7b-sql-lora-test" }.');
    }
    const { name, source } = adapter;
    if (typeof name !== 'string' || !ADAPTER_NAME.test(name)) {
      throw new ConfigurationError(`${field}[${i}].name`, name, 'Use 1-128 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit, e.g. "sql-lora": clients send it as the model name.');
    }
    if (name === servedModelName || names.includes(name)) {
      const earlier = name === servedModelName ? 'The base model is' : `The adapter from "${adapters[names.indexOf(name)].source}" is`;
      throw new ConfigurationError(`${field}[${i}].name`, name, `${earlier} served under that name already, and h2oGPT tells models apart by it: give each adapter its own.`);
    }
    if (typeof source !== 'string' || !isAdapterSource(source)) {
      throw new ConfigurationError(`${field}[${i}].source`, source, 'Use a Hugging Face repository id as org/name, e.g. "yard1/llama-2-7b-sql-lora-test", or an absolute path to an adapter folder, without "..", spaces, "=" or ",".');
    }
    names.push(name);
    return { name, source };
  });
}
