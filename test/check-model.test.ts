import { modelContainer } from '../src/analyzer/container-model';
import { analyzeObjects, MeshMode, MtlsMode } from '../src/internal';

// The classes of issue #24, each on a pod made for it: what check's model of an init container
// sees (docs/check-model.md), under Istio with CNI (capture), Linkerd with CNI, and both without
// CNI under STRICT mTLS (plaintext). The mesh facts each rests on are in docs/mesh-facts.md §2, §2b, §12.

const ISTIO_CNI = MeshMode.istioSidecar({ cni: true, mtls: MtlsMode.STRICT, version: '1.26' });
const LINKERD_CNI = MeshMode.linkerdSidecar({ cni: true, mtls: MtlsMode.STRICT, version: '2.18' });
const ISTIO_PLAIN = MeshMode.istioSidecar({ cni: false, mtls: MtlsMode.STRICT, version: '1.26' });
const LINKERD_PLAIN = MeshMode.linkerdSidecar({ cni: false, mtls: MtlsMode.STRICT, version: '2.18' });

function finding(init: any, mesh: MeshMode, extra: any[] = [], spec: any = {}) {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
    spec: { initContainers: [{ name: 'init', image: 'busybox:1.36', ...init }], containers: [{ name: 'app', image: 'example/app:1' }], ...spec },
  };
  const report = analyzeObjects([pod, ...extra].map((object) => ({ object, source: 'test' })), mesh);
  return report.pods.find((p) => p.name === 'p')!.initContainers[0];
}
const sh = (script: string) => ({ command: ['sh', '-c', script] });

describe('network use a word list could not see', () => {
  test.each([
    ['tcp://', { command: ['dockerize', '-wait', 'tcp://db:5432', '-timeout', '60s'] }, 'db:5432'],
    ['gs://', sh('gsutil cp gs://models/llama /data/'), 'storage.googleapis.com:443'],
    ['s3:// in a Python one-liner', { command: ['python3', '-c', 'import boto3; boto3.client("s3").download_file("b", "k", "/d")'] }, undefined],
    ['hf:// through an unknown program', { command: ['/app/fetch', 'hf://Qwen/Qwen2.5-1.5B'] }, 'huggingface.co:443'],
    ['a migration tool with its URL in env', { command: ['migrate', '-path', '/m', 'up'], env: [{ name: 'DATABASE_URL', value: 'postgres://app@pg.data:5433/app' }] }, 'pg.data:5433'],
    ['pip install', sh('pip install -r /req.txt && cp -r /deps /shared'), 'pypi.org:443'],
    ['huggingface-cli download', sh('huggingface-cli download Qwen/Qwen2.5-1.5B --local-dir /models'), 'huggingface.co:443'],
    ['python manage.py migrate', { command: ['python', 'manage.py', 'migrate', '--noinput'] }, undefined],
    ['an unknown program given host and port', { command: ['/opt/venv/bin/python3', '/app/probe.py', 'cache-server', '81'] }, 'cache-server:81'],
  ])('%s: captured, so a deadlock under CNI', (_what, init, target) => {
    for (const mesh of [ISTIO_CNI, LINKERD_CNI]) {
      const f = finding(init, mesh);
      expect(f.verdict).toBe('deadlock');
      if (target) expect(f.reason).toContain(target);
    }
  });

  test('an image whose entrypoint calls the Kubernetes API, with no tool in the spec (k8s-sidecar, kubernetes-entrypoint)', () => {
    const f = finding({ image: 'quay.io/kiwigrid/k8s-sidecar:1.30.0', env: [{ name: 'METHOD', value: 'LIST' }, { name: 'LABEL', value: 'grafana_dashboard' }] }, ISTIO_CNI);
    expect(f.verdict).toBe('deadlock');
    expect(f.reason).toMatch(/^calls the Kubernetes API \(quay\.io\/kiwigrid\/k8s-sidecar:1\.30\.0's in-cluster config\) \(inferred from k8s-sidecar lists ConfigMaps/);
    expect(finding({ image: 'quay.io/airshipit/kubernetes-entrypoint:v1.0.0' }, LINKERD_CNI).reason).toMatch(/^waits on the Kubernetes API/);
  });

  test('a script mounted from a ConfigMap in the same input is read; without the ConfigMap it is unknown', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'scripts', namespace: 'ns' }, data: { 'wait.sh': '#!/bin/sh\nuntil nc -z postgres 5432; do sleep 2; done\n' } };
    const init = { command: ['/bin/sh', '/scripts/wait.sh'], volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }] };
    const spec = { volumes: [{ name: 'scripts', configMap: { name: 'scripts', defaultMode: 0o755 } }] };
    expect(finding(init, ISTIO_CNI, [configMap], spec)).toMatchObject({ verdict: 'deadlock', reason: expect.stringMatching(/^waits on postgres:5432 \(inferred from nc\)/) });
    // Run as a program through a subPath mount, too.
    const bySubPath = { command: ['/usr/local/bin/wait.sh'], volumeMounts: [{ name: 'scripts', mountPath: '/usr/local/bin/wait.sh', subPath: 'wait.sh' }] };
    expect(finding(bySubPath, ISTIO_CNI, [configMap], spec).verdict).toBe('deadlock');
    expect(finding(init, ISTIO_CNI, [], spec)).toMatchObject({ verdict: 'unknown', reason: expect.stringMatching(/^unknown: it runs the script \/scripts\/wait\.sh, which is not in the input; review/) });
  });
});

describe('meaning, not text', () => {
  test('a client named inside a here-document is data, not a call; a here-document fed to a shell is a script', () => {
    expect(finding(sh('cat > /etc/app/probe.sh <<EOF\ncurl -f http://api:8080/health\nEOF\nchmod +x /etc/app/probe.sh'), ISTIO_CNI).verdict).toBe('ok');
    expect(finding(sh('sh <<EOF\nuntil curl -f http://api:8080/health; do sleep 1; done\nEOF'), ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('a dead branch calls nothing; a branch on an unknown value may', () => {
    const env = [{ name: 'WAIT', value: 'false' }];
    expect(finding({ ...sh('if [ "$WAIT" = "true" ]; then until nc -z db 5432; do sleep 1; done; fi'), env }, ISTIO_CNI).verdict).toBe('ok');
    expect(finding({ ...sh('if false; then wget -q http://db:80; fi; echo ready'), env }, ISTIO_CNI).verdict).toBe('ok');
    const secret = [{ name: 'WAIT', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
    expect(finding({ ...sh('if [ "$WAIT" = "true" ]; then until nc -z db 5432; do sleep 1; done; fi'), env: secret }, ISTIO_CNI).verdict).toBe('deadlock');
  });

  test.each([
    ['`|| true`', 'curl -sf http://api:8080/seed || true'],
    ['a last command that succeeds, without set -e', 'curl -sf http://api:8080/seed; echo Done'],
    ['a pipe without pipefail', 'curl -sf http://api:8080/seed | tee /tmp/seed.log'],
  ])('a failure the script swallows (%s) is no deadlock', (_what, script) => {
    expect(finding(sh(script), ISTIO_CNI).verdict).toBe('ok');
  });

  test.each([
    ['set -e', 'set -e; curl -sf http://api:8080/seed; echo Done'],
    ['sh -ec', undefined],
    ['pipefail', 'set -o pipefail; curl -sf http://api:8080/seed | tee /tmp/seed.log'],
    ['`|| exit 1`', 'curl -sf http://api:8080/seed || exit 1; echo Done'],
  ])('the same failure is fatal with %s', (_what, script) => {
    const init = script === undefined ? { command: ['sh', '-ec', 'curl -sf http://api:8080/seed; echo Done'] } : sh(script);
    expect(finding(init, ISTIO_CNI)).toMatchObject({ verdict: 'deadlock', reason: expect.stringMatching(/it fails and restarts, forever/) });
  });

  test('literal env values resolve $HOST and $(VAR), so the target is named', () => {
    const env = [{ name: 'DB_HOST', value: 'postgres.data.svc' }, { name: 'DB_PORT', value: '5433' }, { name: 'URL', value: 'http://$(DB_HOST):8080/ready' }];
    expect(finding({ ...sh('until pg_isready -h "$DB_HOST" -p ${DB_PORT:-5432}; do sleep 2; done'), env }, ISTIO_CNI).reason).toMatch(/^waits on postgres\.data\.svc:5433 /);
    expect(finding({ command: ['sh', '-c', 'until wget -q -O- $(URL); do sleep 2; done'], env }, ISTIO_CNI).reason).toMatch(/^waits on postgres\.data\.svc:8080 /);
  });
});

describe('destinations and transports', () => {
  test('a name lookup is UDP, which neither mesh redirects by default: ok under capture', () => {
    for (const mesh of [ISTIO_CNI, LINKERD_CNI]) {
      const f = finding(sh('until nslookup postgres.data.svc.cluster.local; do sleep 2; done'), mesh);
      expect(f).toMatchObject({ verdict: 'ok', reason: expect.stringMatching(/UDP \(a name lookup, or nc -u\), which neither mesh redirects by default/) });
      expect(finding(sh('until getent hosts postgres; do sleep 2; done'), mesh).verdict).toBe('ok');
    }
  });

  test('loopback stays in the pod: ok under capture', () => {
    expect(finding(sh('until curl -sf http://127.0.0.1:8080/ready; do sleep 1; done'), ISTIO_CNI).verdict).toBe('ok');
  });

  test.each([
    ['a public host', sh('curl -fsSL https://github.com/org/repo/releases/download/v1/tool -o /shared/tool'), 'github.com:443'],
    ['the Kubernetes API', sh('kubectl get configmap app-config -o yaml > /shared/config.yaml'), 'the Kubernetes API'],
    ['the metadata address', sh('curl -sf http://169.254.169.254/latest/meta-data/instance-id > /shared/id'), '169.254.169.254:80'],
  ])('%s: captured under CNI (deadlock), but STRICT mTLS does not govern it, so no "fails" without CNI', (_what, init, target) => {
    expect(finding(init, ISTIO_CNI)).toMatchObject({ verdict: 'deadlock', reason: expect.stringContaining(target) });
    for (const mesh of [ISTIO_PLAIN, LINKERD_PLAIN]) {
      const f = finding(init, mesh);
      expect(f.verdict).not.toBe('fails');
      expect(f.reason).toMatch(/STRICT mTLS does not govern/);
    }
  });

  test('a bare TCP connect completes against a STRICT proxy; a protocol exchange does not', () => {
    for (const mesh of [ISTIO_PLAIN, LINKERD_PLAIN]) {
      expect(finding(sh('until nc -z postgres 5432; do sleep 2; done'), mesh)).toMatchObject({ verdict: 'ok', reason: expect.stringMatching(/a bare TCP connect completes/) });
      expect(finding(sh('until pg_isready -h postgres; do sleep 2; done'), mesh).verdict).toBe('fails');
    }
  });
});

describe('an honest third answer', () => {
  test('an unknown program, or an unknown image entrypoint, is "unknown" with the reason, never "ok"', () => {
    expect(finding({ command: ['/app/bin/prepare'] }, ISTIO_CNI)).toMatchObject({ verdict: 'unknown', reason: 'unknown: it runs /app/bin/prepare, which check does not know; review what it calls' });
    expect(finding({ image: 'registry.example.com/team/init:1.2' }, ISTIO_CNI)).toMatchObject({
      verdict: 'unknown', reason: 'unknown: it runs the entrypoint of image registry.example.com/team/init:1.2, which check does not know; review what it calls',
    });
    // A base image with no command does nothing; a known local tool is ok.
    expect(finding({ image: 'busybox:1.36' }, ISTIO_CNI).verdict).toBe('ok');
    expect(finding(sh('chown -R 1000:1000 /data && sysctl -w vm.max_map_count=262144'), ISTIO_CNI).verdict).toBe('ok');
    // A deadlock the model does find is not hidden by an unknown program beside it.
    expect(finding(sh('/app/bin/prepare; until nc -z db 5432; do sleep 1; done'), ISTIO_CNI).verdict).toBe('deadlock');
  });
});

describe('bash /dev/tcp', () => {
  test('reading from /dev/tcp is a bare connect (passes STRICT); writing to it is an exchange (rejected); both are captured', () => {
    const connect = sh('until bash -c "</dev/tcp/redis/6379"; do sleep 1; done');
    const write = { command: ['bash', '-c', 'until echo PING > /dev/tcp/redis/6379; do sleep 1; done'] };
    expect(finding(connect, ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(write, ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(connect, ISTIO_PLAIN).verdict).toBe('ok');
    expect(finding(write, ISTIO_PLAIN).verdict).toBe('fails');
  });
});

describe('details the independent reading brought up', () => {
  test('wait-for-it HOST:PORT -- CMD runs CMD after a timeout unless --strict: only with --strict does the wait decide', () => {
    expect(finding({ command: ['wait-for-it', 'db:5432', '--', 'echo', 'ready'] }, ISTIO_CNI).verdict).toBe('ok');
    expect(finding({ command: ['wait-for-it', 'db:5432', '--strict', '--', 'echo', 'ready'] }, ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding({ command: ['wait-for-it', 'db:5432', '-t', '0'] }, ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('helm template renders locally, unless --validate or a remote chart makes it call out', () => {
    expect(finding(sh('helm template r /charts/app > /out/app.yaml'), ISTIO_CNI).verdict).toBe('ok');
    expect(finding(sh('helm template r /charts/app --validate > /out/app.yaml'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('helm template r oci://registry.example.com/charts/app > /out/app.yaml'), ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('jenkins-plugin-cli --list still fetches the update center; only --version and --help stay local', () => {
    expect(finding({ command: ['jenkins-plugin-cli', '--list'] }, ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding({ command: ['jenkins-plugin-cli', '--version'] }, ISTIO_CNI).verdict).toBe('ok');
  });

  test('a bare `echo -n >/dev/tcp/...` writes no bytes: a connect, which STRICT lets through', () => {
    expect(finding({ command: ['bash', '-c', 'until echo -n > /dev/tcp/db/5432; do sleep 1; done'] }, ISTIO_PLAIN).verdict).toBe('ok');
  });
});

describe('inputs meant to break the model', () => {
  test('a script that does not parse, a function that calls itself twice, and a deep nest end in "unknown", at once', () => {
    expect(finding(sh('if then fi ('), ISTIO_CNI)).toMatchObject({ verdict: 'unknown', reason: expect.stringMatching(/^unknown: its script does not parse \(/) });
    expect(finding(sh('f() { f; f; }; f'), ISTIO_CNI).verdict).toBe('unknown'); // the depth limit or the step budget, whichever comes first
    expect(finding(sh(`${'true; '.repeat(30_000)}nc -z db 5432`), ISTIO_CNI).reason).toMatch(/takes more than 20000 steps/);
    expect(finding(sh(`${'if true; then '.repeat(200)}nc -z db 5432${'; fi'.repeat(200)}`), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('eval "$CMD"'), ISTIO_CNI).verdict).toBe('unknown');
  });
});

describe('many calls in one script', () => {
  test('every distinct call is found once, past the size where the model indexes them, and a repeat is the same call', () => {
    const hosts = Array.from({ length: 40 }, (_, i) => `db-${i}`);
    const script = [...hosts, ...hosts].map((h) => `nc -z ${h} 5432 || true`).join('; ') + '; nc -z db-39 5432';
    const model = modelContainer({ name: 'init', image: 'busybox:1.36', command: ['sh', '-c', script] });
    expect(model.calls.map((c) => c.host)).toEqual(hosts);
    // Only the last call's failure fails the container: the others are swallowed.
    expect([...model.simulate((c) => c.host === 'db-39')]).toEqual(['fail']);
    expect([...model.simulate((c) => c.host === 'db-0')]).toEqual(['ok']);
  });

  test('the same command line is read again when the variables it reads have changed (PGHOST), and kept when it reads none', () => {
    const model = modelContainer({ name: 'init', image: 'postgres:16', command: ['sh', '-c', 'for h in a b; do PGHOST=db-$h psql -c "select 1" || true; nc -z db-c 5432 || true; done'] });
    expect(model.calls.map((c) => `${c.program} ${c.host}:${c.port}`)).toEqual(['psql db-a:5432', 'nc db-c:5432', 'psql db-b:5432']);
  });
});

describe('package runners', () => {
  test('npx, bundle exec and poetry run are looked through to the program they run', () => {
    expect(finding(sh('npx prisma migrate deploy'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('bundle exec rake db:migrate'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('poetry run alembic upgrade head'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('npx --yes envsub /in.tmpl /out.conf'), ISTIO_CNI).verdict).toBe('unknown');
    expect(finding(sh('bundle install && bundle exec cp a b'), ISTIO_CNI).verdict).toBe('deadlock'); // bundle install fetches gems
  });
});

// Cases an adversarial review found wrong (bash semantics checked with bash); each failed before its fix.
describe('bash semantics the review held the model to', () => {
  const bash = (script: string) => ({ image: 'bash:5.2', command: ['bash', '-c', script] });

  test.each([
    'until redis-cli -h redis-master ping | grep -q PONG; do sleep 1; done',
    'until curl -s http://api:8080/health | grep -q UP; do sleep 2; done',
    'until curl -sI http://api:8080/ | head -1 | grep -q 200; do sleep 2; done',
  ])('a wait that greps a call\'s output: empty output when the call fails, so grep fails too (%s)', (script) => {
    expect(finding(sh(script), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh(script), LINKERD_CNI).verdict).toBe('deadlock');
  });

  test('set -euo pipefail and bash -euo pipefail -c turn pipefail on', () => {
    expect(finding(bash('set -euo pipefail\ncurl -s http://api:8080/x | jq . > /data/x\necho done'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding({ command: ['bash', '-euo', 'pipefail', '-c', 'curl -s http://api:8080/x | jq . > /data/x; echo done'] }, ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding({ command: ['sh', '-ce', 'curl -sf http://api:8080/x; echo done'] }, ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding({ command: ['bash', '-cx', 'until nc -z db 5432; do sleep 1; done'] }, ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('a loop with a counter ends: the calls after it are seen, and a bounded wait is no endless one', () => {
    expect(finding(sh('i=0\nwhile [ $i -lt 3 ]; do echo $i; i=$((i+1)); done\ncurl -sf http://api:8080/ -o /x'), ISTIO_CNI).verdict).toBe('deadlock');
    // It gives up after 30 tries and the script goes on: no deadlock.
    expect(finding(sh('i=0\nwhile [ $i -lt 30 ]; do nc -z db 5432 && break; i=$((i+1)); sleep 2; done\necho continuing'), ISTIO_CNI).verdict).toBe('ok');
    // It gives up with exit 1: the kubelet restarts it, forever.
    expect(finding(sh('n=0\nuntil nc -z db 5432; do n=$((n+1)); [ $n -ge 30 ] && exit 1; sleep 2; done'), ISTIO_CNI))
      .toMatchObject({ verdict: 'deadlock', reason: expect.stringMatching(/it retries until it gives up, then restarts, forever$/) });
  });

  test('set -e is ignored inside a condition, functions included, and for a failure before the last command of an && list', () => {
    expect(finding(sh('set -e\nis_ready() { curl -sf http://api:8080/health; }\nif is_ready; then echo up; else echo "api down, continuing"; fi'), ISTIO_CNI).verdict).toBe('ok');
    expect(finding(sh('set -e\ncurl -sf http://api:8080/x -o /data/x && echo fetched\necho done'), ISTIO_CNI).verdict).toBe('ok');
    expect(finding(sh('set -e\necho start && curl -sf http://api:8080/x -o /data/x\necho done'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('set -e\ncurl -sf http://api:8080/warm &\necho started'), ISTIO_CNI).verdict).toBe('ok');
  });

  test('$? carries the last status', () => {
    expect(finding(sh('check() { nc -z db 5432; return $?; }\nuntil check; do sleep 1; done'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('nc -z db 5432\nwhile [ $? -ne 0 ]; do sleep 1; nc -z db 5432; done'), ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding(sh('curl -sf http://api:8080/x -o /tmp/x\nrc=$?\nif [ $rc -ne 0 ]; then exit $rc; fi'), ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('timeout ends a wait that would run forever; || true then swallows it', () => {
    expect(finding(sh("timeout 30 sh -c 'until nc -z db 5432; do sleep 2; done' || true"), ISTIO_CNI).verdict).toBe('ok');
    expect(finding(sh("timeout 30 sh -c 'until nc -z db 5432; do sleep 2; done'"), ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('connect-only checks stay connects: nc -zw1, and cat </dev/null >/dev/tcp', () => {
    expect(finding(sh('until nc -zw1 db 5432; do sleep 1; done'), ISTIO_PLAIN).verdict).toBe('ok');
    expect(finding(sh('until nc -zvw3 db 5432; do sleep 1; done'), ISTIO_PLAIN).verdict).toBe('ok');
    const portCheck = { image: 'bash:5.2', command: ['bash', '-c', "until timeout 1 bash -c 'cat < /dev/null > /dev/tcp/db/5432'; do sleep 1; done"] };
    expect(finding(portCheck, ISTIO_PLAIN).verdict).toBe('ok');
    expect(finding(portCheck, ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('python reads its script from a here-document', () => {
    const init = { image: 'python:3.12', command: ['sh', '-c', 'python3 - <<EOF\nimport requests\nrequests.get("http://api:8080/").raise_for_status()\nEOF'] };
    expect(finding(init, ISTIO_CNI).verdict).toBe('deadlock');
  });

  test('for binds its variable over a literal list', () => {
    const init = sh('for url in https://example.com/a.tgz https://example.com/b.tgz; do curl -fsSLO $url; done');
    expect(finding(init, ISTIO_PLAIN).verdict).not.toBe('fails');
    expect(finding(init, ISTIO_CNI).reason).toContain('example.com:443');
  });

  test('a URL with a variable the spec does not give keeps what it names: loopback with an unknown port is loopback', () => {
    const env = [{ name: 'PORT', valueFrom: { fieldRef: { fieldPath: 'metadata.annotations[\'port\']' } } }];
    expect(finding({ ...sh('until curl -sf http://localhost:$PORT/health; do sleep 1; done'), env }, ISTIO_CNI).verdict).toBe('ok');
    const secret = [{ name: 'API_SERVICE', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
    expect(finding({ ...sh('until curl -sf http://$API_SERVICE:8080/health; do sleep 1; done'), env: secret }, ISTIO_CNI).reason).toMatch(/^waits on \$API_SERVICE:8080 /);
  });

  test('the kubectl image judges its arguments; a command given as a string is refused by Kubernetes, and check does not crash on it', () => {
    expect(finding({ image: 'bitnami/kubectl:1.30', args: ['version', '--client'] }, ISTIO_CNI).verdict).toBe('ok');
    expect(finding({ image: 'bitnami/kubectl:1.30', args: ['get', 'pods'] }, ISTIO_CNI).verdict).toBe('deadlock');
    expect(finding({ command: 'sh -c "nc -z db 5432"' }, ISTIO_CNI).verdict).toBe('unknown');
  });

  test('reasons say what happens: a swallowed failure, a name lookup, a bounded wait', () => {
    expect(finding(sh('curl -sf http://api:8080/seed || true'), ISTIO_CNI).reason).toMatch(/^calls api:8080 \(inferred from curl\), which fails here \(.*\), but the script goes on without it$/);
    expect(finding(sh('until nslookup db.data.svc.cluster.local; do sleep 1; done'), ISTIO_CNI).reason).toMatch(/^calls a lookup of db\.data\.svc\.cluster\.local \(inferred from nslookup\), but it is UDP/);
  });
});
