import { checkDnsLabel } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { VllmServerOptions } from '../workloads/vllm-server';

/** A further model of an `H2oGptStack`: a vLLM server of its own, which h2oGPT lists beside the first. */
export interface AdditionalModelOptions extends VllmServerOptions {
  /**
   * The model's short name in the stack, a DNS label: its vLLM objects are named
   * `<name>-vllm-<id>`, and its pods' `app.kubernetes.io/instance` is `<name>-<id>`.
   */
  readonly id: string;
}

// Names the first server's Linkerd policy objects take (`<name>-vllm-<suffix>`, mesh-policy.ts):
// a further server with one of these ids would collide with them.
const RESERVED_IDS = ['h2ogpt', 'prometheus', 'plaintext', 'health', 'all'];

/** The longest suffix VllmServer adds to its name: `-model-cache`. */
const VLLM_NAME_ROOM = 63 - '-model-cache'.length;

/** Each further model's id, checked against the stack name and the others. Internal. */
export function checkAdditionalModelIds(stackName: string, models: AdditionalModelOptions[] | undefined): string[] {
  if (models === undefined) return [];
  if (!Array.isArray(models)) {
    throw new ConfigurationError('additionalModels', typeof models, 'Give a list, e.g. [{ id: "coder", model: "Qwen/Qwen2.5-Coder-1.5B-Instruct" }].');
  }
  const room = VLLM_NAME_ROOM - `${stackName}-vllm-`.length;
  const ids: string[] = [];
  models.forEach((model, i) => {
    const field = `additionalModels[${i}].id`;
    if (model === null || typeof model !== 'object') {
      throw new ConfigurationError(`additionalModels[${i}]`, model, 'Give the model as a mapping, e.g. { id: "coder", model: "Qwen/Qwen2.5-Coder-1.5B-Instruct" }.');
    }
    const id = checkDnsLabel(field, model.id);
    if (id.length > room) {
      throw new ConfigurationError(field, id, `Its vLLM server is named "${stackName}-vllm-${id}", and with its "-model-cache" claim that must fit in 63 characters: use at most ${room} characters, or a shorter stack name.`);
    }
    if (RESERVED_IDS.includes(id)) {
      throw new ConfigurationError(field, id, `"${stackName}-vllm-${id}" is already the name of one of the first vLLM server's policy objects: choose another id (not ${RESERVED_IDS.join(', ')}).`);
    }
    if (ids.includes(id)) {
      throw new ConfigurationError(field, id, `additionalModels[${ids.indexOf(id)}] has that id already: give each model its own.`);
    }
    ids.push(id);
  });
  return ids;
}
