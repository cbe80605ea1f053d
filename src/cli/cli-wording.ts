// The constructs' messages speak TypeScript: prop paths (`availableGpus`) and code
// (`ModelCache.ephemeral()`). A CLI user wrote flags or config-file keys, so before a message
// reaches them it is reworded here: to the flag, or, for a value from the config file, to the key
// and the YAML that sets it.

/** Code in the constructs' messages, with what a flag user and a config-file user write instead. */
const CODE_PHRASES: ReadonlyArray<{ readonly code: RegExp; readonly flags: string; readonly config: string }> = [
  {
    code: /ModelCache\.newClaim\(\{ accessMode: ModelCacheAccessMode\.READ_WRITE_MANY \}\)/g,
    flags: '--cache-access-mode ReadWriteMany (with a --storage-class that offers it)',
    config: 'modelCache: { accessMode: ReadWriteMany }',
  },
  { code: /\(((?:vllm|additionalModels\[\d+\])\.modelCache)\)/g, flags: '(the model cache)', config: '($1)' },
  { code: /ModelCache\.ephemeral\(\)/g, flags: '--ephemeral-cache', config: 'modelCache: { ephemeral: true }' },
  { code: /an existing RWX claim/g, flags: 'an existing ReadWriteMany claim (--existing-cache-claim NAME)', config: 'an existing ReadWriteMany claim (modelCache: { existingClaim: NAME })' },
  { code: /set monitoring \(e\.g\. monitoring: \{\}\) too/g, flags: 'add --monitoring too', config: 'add monitoring: {} too' },
  { code: /Give the monitoring options as a mapping, e\.g\. monitoring: \{\} for the defaults/g, flags: 'Add --monitoring', config: 'Give the monitoring options as a mapping, e.g. monitoring: {} for the defaults' },
  { code: /It cannot exceed gpus \(/g, flags: 'It cannot exceed --gpus (', config: 'It cannot exceed vllm.gpus (' },
  { code: /with gpus: (\d+) and nodes: (\d+)/g, flags: 'with --gpus $1 --nodes $2', config: 'with gpus: $1 and nodes: $2' },
  { code: /Lower tensorParallelSize or raise gpus/g, flags: 'Lower --tensor-parallel-size or raise --gpus', config: 'Lower vllm.tensorParallelSize or raise vllm.gpus' },
  {
    code: /openAiApiKey: SecretKeyReference\.fromSecret\("([^"]*)", "([^"]*)"\), or turn openAiApi off/g,
    flags: '--openai-api-key-secret $1/$2, or drop --openai-api',
    config: 'h2ogpt.openAiApiKey: { secretName: $1, key: $2 }, or turn h2ogpt.openAiApi off',
  },
  { code: /SecretKeyReference\.fromSecret\("([^"]*)", "([^"]*)"\)/g, flags: '$1/$2', config: '{ secretName: $1, key: $2 }' },
];

/**
 * The message as a flag user should read it: code becomes the flags that do the same, and each
 * prop path or camelCase prop name that a flag sets becomes that flag.
 */
export function toFlagWording(message: string, flagOfField: ReadonlyMap<string, string>): string {
  // A flag that was not given has no value: "none" says so in a flag user's words.
  let text = message.replace(/^(Invalid [^:]+): undefined\./, '$1: none.');
  for (const phrase of CODE_PHRASES) text = text.replace(phrase.code, phrase.flags);
  const names = new Map<string, string>();
  // A dotted path or a camelCase name is a prop; a bare lower-case word (gpus, name, version)
  // could be English, so only the phrases above reword those.
  const isProp = (name: string) => name.includes('.') || /[a-z][A-Z]/.test(name);
  for (const [field, flag] of flagOfField) {
    if (isProp(field)) names.set(field, flag);
    const last = field.split('.').pop()!;
    if (isProp(last) && !names.has(last)) names.set(last, flag);
  }
  const fields = [...names.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  if (fields.length === 0) return text;
  const pattern = new RegExp(`(?<![\\w.-])(?:(?:vllm|h2ogpt|autoscaling|monitoring|exposure|additionalModels\\[\\d+\\])\\.)?(${fields.join('|')})(?![\\w-])`, 'g');
  return text.replace(pattern, (whole, field: string) => names.get(whole) ?? names.get(field) ?? whole);
}

/** The message as a config-file user should read it: code becomes the YAML that does the same. */
export function toConfigWording(message: string): string {
  let text = message;
  for (const phrase of CODE_PHRASES) text = text.replace(phrase.code, phrase.config);
  return text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
