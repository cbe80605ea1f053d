import { spawnSync } from 'child_process';
import { join } from 'path';
import { podTemplates } from '../src/analyzer/analyze';
import { H2oGptStackProps, ModelCache, ModelCacheAccessMode, SecretKeyReference, StartupStrategy } from '../src/internal';
import { Manifest } from './helpers';
import { allowedMatrix, defaultAppOutput, Output } from './support/matrix';

// Issue #9: every pod of every mode meets Pod Security "restricted" and the hardening rules, checked
// twice: by the rules written out below from the standard
// (kubernetes.io/docs/concepts/security/pod-security-standards), and by an independent scanner.

const VARIANTS: Array<[string, Partial<H2oGptStackProps>]> = [
  ['defaults', {}],
  ['everything on', {
    namespace: 'ai',
    vllm: {
      model: 'm', replicas: 2, huggingFaceToken: SecretKeyReference.fromSecret('hf-token', 'token'),
      apiKey: SecretKeyReference.fromSecret('vllm-api-key', 'key'),
      modelCache: ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_MANY }),
    },
    // A second model: its vLLM pod must meet the same profile.
    additionalModels: [{ id: 'coder', model: 'c', port: 8001, apiKey: SecretKeyReference.fromSecret('coder-key', 'key'), modelCache: ModelCache.ephemeral() }],
    h2ogpt: { replicas: 2, openAiApi: true, openAiApiKey: SecretKeyReference.fromSecret('h2ogpt-api-key', 'key'), saveDirClaimName: 'chat-save' },
    trafficPolicy: { restrictEgress: true },
  }],
  // A group's leader and workers, under each mode's group metadata.
  ['a model across two nodes', { vllm: { model: 'meta-llama/Llama-3.1-405B-Instruct', gpus: 8, nodes: 2 }, trafficPolicy: { restrictEgress: true } }],
];

const outputs: Output[] = [defaultAppOutput(), ...allowedMatrix(VARIANTS)];

// Volume types "restricted" allows.
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** Violations of "restricted" and of this project's hardening rules in one object's pods. */
function violations(object: Manifest): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(object)) {
    const spec = pod.spec;
    const at = (path: string) => `${object.kind}/${object.metadata.name} ${pod.specPath}${path}`;
    for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[host]) problems.push(at(`.${host} is true`));
    (spec.volumes ?? []).forEach((v: any, i: number) => {
      const type = Object.keys(v).find((k) => k !== 'name');
      if (!RESTRICTED_VOLUMES.includes(type!)) problems.push(at(`.volumes[${i}] is of type ${type}`));
    });
    const podContext = spec.securityContext ?? {};
    if (podContext.runAsUser === 0) problems.push(at('.securityContext.runAsUser is 0'));
    if (podContext.runAsNonRoot !== true) problems.push(at('.securityContext.runAsNonRoot is not true'));
    if (podContext.seccompProfile?.type !== 'RuntimeDefault') problems.push(at('.securityContext.seccompProfile is not RuntimeDefault'));
    if (spec.automountServiceAccountToken !== false) problems.push(at('.automountServiceAccountToken is not false'));
    if (!spec.serviceAccountName || spec.serviceAccountName === 'default') problems.push(at('.serviceAccountName is not its own'));
    for (const list of ['initContainers', 'containers'] as const) {
      (spec[list] ?? []).forEach((c: any, i: number) => {
        const where = (path: string) => at(`.${list}[${i}] (${c.name})${path}`);
        const context = c.securityContext ?? {};
        if (context.privileged) problems.push(where(' is privileged'));
        if (context.allowPrivilegeEscalation !== false) problems.push(where(' may escalate privileges'));
        if (!(context.capabilities?.drop ?? []).includes('ALL')) problems.push(where(' does not drop ALL capabilities'));
        for (const cap of context.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') problems.push(where(` adds capability ${cap}`));
        if (context.runAsNonRoot === false || context.runAsUser === 0) problems.push(where(' runs as root'));
        if (context.readOnlyRootFilesystem !== true) problems.push(where(' has a writable root file system'));
        if ((c.ports ?? []).some((p: any) => p.hostPort)) problems.push(where(' uses a host port'));
      });
    }
  }
  return problems;
}

type Findings = Record<string, Array<{ rule: string; message: string; object: string }>>;

/** The scanner's findings per output label. */
function scan(labelled: Array<{ label: string; objects: Manifest[] }>): Findings {
  const input = JSON.stringify(Object.fromEntries(labelled.map((o) => [o.label, o.objects])));
  const result = spawnSync(process.execPath, [join(__dirname, 'support', 'scan-manifests.mjs')], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`scanner failed (exit ${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

// What the tests below give the scanner besides the matrix: UIDs above 10000, the runAsRoot
// opt-out, and a pod that breaks every rule.
const HIGH_IDS = { runAsUser: 20000, runAsGroup: 20000 };
const [highIdsOutput] = allowedMatrix([['high ids', { vllm: { model: 'm', ...HIGH_IDS }, h2ogpt: HIGH_IDS }]]);
const [rootOutput] = allowedMatrix([['vLLM as root', { vllm: { model: 'm', runAsRoot: true } }]]);
const rootVllm = rootOutput.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat-vllm')!;
const badPod: Manifest = JSON.parse(JSON.stringify(rootOutput.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat')!));
{
  const spec = badPod.spec.template.spec;
  spec.hostNetwork = true;
  spec.automountServiceAccountToken = true;
  spec.volumes.push({ name: 'host', hostPath: { path: '/' } });
  spec.containers[0].securityContext = { privileged: true, capabilities: { add: ['NET_ADMIN'] } };
}
const SCANNED_ALONE = { 'high': highIdsOutput.objects, 'root': [rootVllm], 'bad': [badPod] };

let findings: Findings | undefined;
/**
 * Everything the tests scan, in one run of the scanner: loading its plugins takes about 0.6 CPU-s
 * (measured here), and each input is still scanned under its own label.
 */
function scanned(): Findings {
  findings ??= scan([...outputs, ...Object.entries(SCANNED_ALONE).map(([label, objects]) => ({ label, objects }))]);
  return findings;
}

// Findings accepted on purpose, each documented in the README's security model:
// - KBP104/KBP105 ask for UIDs and GIDs of 10000 or more. The defaults are 1000: h2oGPT's image user
//   is h2ogpt (1000), and vLLM runs as 1000 as KServe does. runAsUser and runAsGroup move either
//   workload above 10000; a test below shows the findings go.
// - KBP112 asks for Secrets as files, not environment variables. The programs read these values
//   only from the environment: vLLM's VLLM_API_KEY, h2oGPT's $(VLLM_API_KEY) in its inference
//   server string and its H2OGPT_OPENAI_API_KEY. The values still never enter a manifest.
const ACCEPTED_FINDINGS = new Set(['KBP104', 'KBP105', 'KBP112']);

describe('Pod Security "restricted" and hardening, every pod of every mode', () => {
  test('the matrix covers every allowed mode x strategy in both variants', () => {
    expect(outputs.length).toBeGreaterThan(100);
    expect(outputs.filter((o) => o.label.includes(StartupStrategy.PROXY_UID_BYPASS)).length).toBeGreaterThan(0);
  });

  test('the rules written out from the standard: no violation anywhere', () => {
    const problems = outputs.flatMap((o) => o.objects.flatMap(violations).map((p) => `${o.label}: ${p}`));
    expect(problems).toEqual([]);
  });

  test('the independent scanner (@monokle/validation, PSS and KBP rules): no finding beyond the documented low-UID ones', () => {
    const all = scanned();
    expect(Object.keys(all).sort()).toEqual([...outputs.map((o) => o.label), ...Object.keys(SCANNED_ALONE)].sort());
    const matrix = outputs.map((o) => [o.label, all[o.label]] as const);
    const unexpected = matrix.flatMap(([label, list]) => list
      .filter((f) => !ACCEPTED_FINDINGS.has(f.rule))
      .map((f) => `${label}: ${f.object}: ${f.rule} ${f.message}`));
    expect(unexpected).toEqual([]);
    // No "restricted" or "baseline" finding at all, accepted or not.
    expect(matrix.flatMap(([, list]) => list).filter((f) => f.rule.startsWith('PSS'))).toEqual([]);
  });

  test('UIDs and GIDs above 10000 clear the scanner\'s low-UID findings', () => {
    // The waiter init container keeps nobody (65534); nothing low is left.
    expect(scanned().high.filter((f) => f.rule === 'KBP104' || f.rule === 'KBP105')).toEqual([]);
  });
});

describe('both checks can fail', () => {
  test('the documented runAsRoot opt-out is flagged by the written rules', () => {
    expect(violations(rootVllm)).toEqual([
      'Deployment/chat-vllm spec.template.spec.securityContext.runAsUser is 0',
      'Deployment/chat-vllm spec.template.spec.securityContext.runAsNonRoot is not true',
      'Deployment/chat-vllm spec.template.spec.containers[0] (vllm) has a writable root file system',
    ]);
  });

  test('and by the scanner', () => {
    const rules = scanned().root.map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['PSS203', 'KBP102']));
  });

  test('a privileged, capability-adding, host-path pod is flagged on every count', () => {
    const problems = violations(badPod);
    for (const expected of [/hostNetwork is true/, /volumes\[\d+\] is of type hostPath/, /automountServiceAccountToken is not false/,
      /\(h2ogpt\) is privileged/, /\(h2ogpt\) may escalate privileges/, /\(h2ogpt\) does not drop ALL/, /\(h2ogpt\) adds capability NET_ADMIN/]) {
      expect(problems.some((p) => expected.test(p))).toBe(true);
    }
    const rules = scanned().bad.map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['PSS102', 'PSS103', 'PSS104', 'PSS105', 'PSS202']));
  });
});
