import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { readManifests } from '../src/internal';
import { filled, parseShell, parseShellAsWritten } from '../src/analyzer/shell-syntax';

// parseShell parses each shape of a script once and fills its plain words in: that must give the
// very tree a parse of the script as written gives, for every script of the fixtures and corpus.

function scriptsOf(value: unknown, out: string[]): void {
  if (typeof value === 'string') {
    if (/[\n;|&$]|\bdo\b|\bthen\b/.test(value)) out.push(value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => scriptsOf(v, out));
  } else if (value && typeof value === 'object') {
    Object.values(value).forEach((v) => scriptsOf(v, out));
  }
}

const dirs = [join(__dirname, 'fixtures'), join(__dirname, 'fixtures', 'real-world')];
const scripts: string[] = [];
for (const dir of dirs) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.endsWith('.expected.yaml') && f !== 'broken.yaml')) {
    for (const { object } of readManifests(readFileSync(join(dir, file), 'utf8'), file)) scriptsOf(object, scripts);
  }
}
const extra = [
  'local r="$(redis-cli -h h PING)"; export A=b; declare -r C=1; readonly D=2; let x=1',
  'until nc -z db-1.team.svc 5432; do sleep 2; done',
  'f() { local -r cmd="${1:?cmd is missing}"; echo "$cmd"; }; f a b',
  'case "$A" in a|b) one;; *) two;; esac; for i in 1 2; do echo $i; done',
  'if [ -f /x ]; then foo; elif bar; then baz; else qux; fi # a comment with do and done',
  'echo a\\ b; echo "q $(echo "in $(date)")" \'lit\' x=$(( 1 + 2 ))',
  'curl -s http://api:8080/ready >/dev/null 2>&1 || exit 1; exec 3<>/dev/tcp/db/5432; cmd 2> err.log &',
  'A=b B=c cmd arg; arr=(a b c); echo {a,b} ~/x; [ a = b ] && echo yes; for x in a b; do echo $x; done',
  'while read -r line; do echo "$line"; done < /etc/hosts; cat file | grep x | wc -l',
];

test('the fixtures and corpus hold enough scripts to mean something', () => {
  expect(scripts.length).toBeGreaterThan(60);
});

test.each([...new Set([...scripts, ...extra])].map((s, i) => [i, s] as const))('script %i parses to the same tree through its shape', (_i, script) => {
  const written = parseShellAsWritten(script);
  const shaped = parseShell(script);
  if (written instanceof Error) {
    expect(shaped).toBeInstanceOf(Error);
  } else {
    expect(filled(shaped)).toEqual(written);
  }
});
