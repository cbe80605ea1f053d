import { checkDnsLabel } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { policyNameSuffixes } from '../mesh/mesh-policy';
import { VllmServerOptions } from '../workloads/vllm-server';
import { MAX_NAME_LENGTH, NAME_SUFFIXES, roomFor, stackVllmName } from '../common/names';

/** A further model of an `H2oGptStack`: a vLLM server of its own, which h2oGPT lists beside the first. */
export interface AdditionalModelOptions extends VllmServerOptions {
  /**
   * The model's short name in the stack, a DNS label: its vLLM objects are named
   * `<name>-vllm-<id>`, and its pods' `app.kubernetes.io/instance` is `<name>-<id>`.
   */
  readonly id: string;
}

// A further server named `<another server>-<suffix>` would collide with that server's policy
// objects under a mesh that names them so (Linkerd's): refused under every mesh, so that a change
// of mesh cannot break a stack.
const POLICY_SUFFIXES: string[] = policyNameSuffixes();


/** Each further model's id, checked against the stack name and the others. Internal. */
export function checkAdditionalModelIds(stackName: string, models: AdditionalModelOptions[] | undefined): string[] {
  if (models === undefined) return [];
  if (!Array.isArray(models)) {
    throw new ConfigurationError('additionalModels', typeof models, 'Give a list, e.g. [{ id: "coder", model: "Qwen/Qwen2.5-Coder-1.5B-Instruct" }].');
  }
  const room = roomFor(stackVllmName(stackName, ''), NAME_SUFFIXES.modelCache);
  const ids: string[] = [];
  models.forEach((model, i) => {
    const field = `additionalModels[${i}].id`;
    if (model === null || typeof model !== 'object') {
      throw new ConfigurationError(`additionalModels[${i}]`, model, 'Give the model as a mapping, e.g. { id: "coder", model: "Qwen/Qwen2.5-Coder-1.5B-Instruct" }.');
    }
    const id = checkDnsLabel(field, model.id);
    if (id.length > room) {
      throw new ConfigurationError(field, id, `Its vLLM server is named "${stackVllmName(stackName, id)}", and with its "${NAME_SUFFIXES.modelCache}" claim that must fit in ${MAX_NAME_LENGTH} characters: use at most ${room} characters, or a shorter stack name.`);
    }
    if (ids.includes(id)) {
      throw new ConfigurationError(field, id, `additionalModels[${ids.indexOf(id)}] has that id already: give each model its own.`);
    }
    ids.push(id);
  });
  // A server's group is `<server>-group` (its LeaderWorkerSet, and LWS's headless Service, which
  // LWS would take over from a Service of that name) and `<server>-group-<n>` (its leaders and
  // their NetworkPolicies): no other server may be named so, whatever its nodes, so that a change
  // of nodes cannot break a stack.
  ids.forEach((id, i) => {
    const owner = ['', ...ids].find((other) => new RegExp(`^${other === '' ? '' : `${other}-`}group(-\\d+)?$`).test(id));
    if (owner !== undefined) {
      const server = owner === '' ? 'the first vLLM server' : `additionalModels[${ids.indexOf(owner)}]`;
      throw new ConfigurationError(`additionalModels[${i}].id`, id,
        `"${stackVllmName(stackName, id)}" is a name ${server} takes for its multi-node group (its LeaderWorkerSet and leaders): choose an id that does not end a server's name with -group or -group-<n>.`);
    }
  });
  // Checked once all are known, whichever comes first: the first server, then each by its id.
  ids.forEach((id, i) => {
    const owner = ['', ...ids].find((other) => POLICY_SUFFIXES.some((suffix) => id === (other === '' ? suffix : `${other}-${suffix}`)));
    if (owner !== undefined) {
      const server = owner === '' ? 'the first vLLM server' : `additionalModels[${ids.indexOf(owner)}]`;
      throw new ConfigurationError(`additionalModels[${i}].id`, id,
        `"${stackVllmName(stackName, id)}" is already the name of one of ${server}'s policy objects: choose an id that does not end a server's name with -${POLICY_SUFFIXES.join(', -')}.`);
    }
  });
  return ids;
}
