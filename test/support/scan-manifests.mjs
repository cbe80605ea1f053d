// Runs an independent Kubernetes scanner, @monokle/validation, over manifests read as JSON from
// stdin ({ "<label>": [objects...], ... }) and prints its findings as JSON on stdout. Its
// pod-security-standards plugin (PSS1xx baseline, PSS2xx restricted) and practices plugin (KBP1xx
// hardening) run offline. It is an ES module, so jest runs it as a child process.
import { createDefaultMonokleValidator } from '@monokle/validation';

const RULES = [
  ...[101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 201, 202, 203, 204, 205, 206].map((n) => `PSS${n}`),
  ...Array.from({ length: 17 }, (_, i) => `KBP${100 + i}`),
];

let text = '';
for await (const chunk of process.stdin) text += chunk; // readFileSync(0) fails with EAGAIN on a large pipe
const input = JSON.parse(text);
const validator = createDefaultMonokleValidator();
await validator.preload({
  plugins: { 'pod-security-standards': true, practices: true },
  rules: Object.fromEntries(RULES.map((id) => [id, 'err'])),
});

const findings = {};
for (const [label, objects] of Object.entries(input)) {
  // One file per object, so a finding's file names its object.
  const resources = objects.map((content, i) => ({
    id: `${label}#${i}`,
    fileId: `${label}#${i}`,
    filePath: `object-${i}.yaml`,
    fileOffset: 0,
    name: content.metadata.name,
    apiVersion: content.apiVersion,
    kind: content.kind,
    namespace: content.metadata.namespace,
    content,
    text: '',
  }));
  const response = await validator.validate({ resources });
  findings[label] = response.runs.flatMap((run) => run.results.map((result) => {
    const file = result.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '';
    const resource = resources[Number(/object-(\d+)\.yaml/.exec(file)?.[1])];
    return { rule: result.ruleId, message: result.message.text, object: resource ? `${resource.kind}/${resource.name}` : file };
  }));
}
process.stdout.write(JSON.stringify(findings));
