import { spawn, spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  CpuThrottle, fastSettings, printedSchedule, runnableForms, sleep, startWaiter, TestServer, WaiterForm, waiterForms,
} from './waiter-harness';

// The waiter under faults, as a real process, in every form a target image runs it in
// (issue #6). Servers listen on 127.0.0.1 only and every test closes what it opened. Each form
// has its own test file (test/waiter-*.test.ts), so jest runs them side by side, and within a file
// the fault and redirect cases run concurrently: they are real waits, not CPU.

/**
 * The contention test's CPU bandwidth, in % of one CPU: the six waiters keep their cadence with it,
 * and the old script lost time in 5 of 6 runs here (a busy loop on their CPU instead: 3 of 5).
 */
const CONTENTION_QUOTA_PERCENT = 30;

const unshareWorks = spawnSync('unshare', ['-n', 'true']).status === 0;

/** The number of the attempt the waiter found the URL ready at. */
function readyAttempt(stderr: string): number {
  return Number(/attempt (\d+): \S+ is ready/.exec(stderr)?.[1]);
}

/** The servers one test opened; the test closes them all, pass or fail. */
interface Servers {
  server(...args: Parameters<typeof TestServer.start>): Promise<TestServer>;
  /** A port nothing listens on (yet), which no other test can be given (TestServer.unusedPort). */
  freePort(): Promise<TestServer>;
}

/**
 * A test body with servers of its own. Each test owns and closes its servers (no shared afterEach),
 * so the sleep-bound cases below can run side by side with `test.concurrent`.
 */
function withServers(body: (servers: Servers) => Promise<void>): () => Promise<void> {
  return async () => {
    const opened: TestServer[] = [];
    const server = async (...args: Parameters<typeof TestServer.start>) => {
      const s = await TestServer.start(...args);
      opened.push(s);
      return s;
    };
    // Outside the ephemeral range, so no concurrent test's server can be given it (TestServer.unusedPort).
    const freePort = async () => {
      const s = await TestServer.unusedPort();
      opened.push(s);
      return s;
    };
    try {
      await body({ server, freePort });
    } finally {
      await Promise.all(opened.map((s) => s.close()));
    }
  };
}

/** The suite's parts; a slow form runs its faults from a file of their own, beside the rest. */
export type WaiterSuitePart = 'interface' | 'faults' | 'replies' | 'redirects' | 'backoff schedule';
const ALL_PARTS: WaiterSuitePart[] = ['interface', 'faults', 'replies', 'redirects', 'backoff schedule'];

/** Defines the suite (or `parts` of it) for the runnable form whose name starts with `prefix`. */
export function waiterSuite(prefix: string, parts: WaiterSuitePart[] = ALL_PARTS): void {
  const forms = runnableForms().filter((f) => f.name.startsWith(prefix));
  if (forms.length === 0) {
    // The summary jest prints lists this title (test/support/skip-reporter.js).
    const why = waiterForms().filter((f) => f.name.startsWith(prefix)).map((f) => f.missing).join('; ');
    test.skip(`cannot run here: waiter form "${prefix}" (${why})`, () => undefined);
    return;
  }
  describe.each(forms.map((f) => [f.name, f] as [string, WaiterForm]))('waiter, %s', (_name, form) => suiteFor(form, parts));
}

function suiteFor(form: WaiterForm, parts: WaiterSuitePart[]): void {
  // Shadows jest's describe here: each part below is declared only when this file asked for it.
  const describe = (part: WaiterSuitePart, body: () => void) => (parts.includes(part) ? globalThis.describe(part, body) : undefined);
  describe('interface', () => {
    test('a missing WAIT_URL exits 64 before any attempt, naming the variable', async () => {
      const exit = await startWaiter(form, { env: {} }).exited;
      expect(exit.code).toBe(64);
      expect(exit.stderr).not.toMatch(/waiting for|attempt/);
      expect(exit.stderr).toMatch(/invalid setting WAIT_URL="": set it to the upstream's health URL/);
    });

    test.each([
      ['WAIT_URL', 'vllm:8000/health', /invalid setting WAIT_URL="vllm:8000\/health": expected an http:\/\/ or https:\/\/ URL/],
      ['WAIT_DEADLINE_SECONDS', 'soon', /invalid setting WAIT_DEADLINE_SECONDS="soon": expected a whole number of seconds/],
      ['WAIT_DEADLINE_SECONDS', '0', /invalid setting WAIT_DEADLINE_SECONDS="0": must be at least 1/],
      ['WAIT_INITIAL_DELAY_SECONDS', '0.5', /invalid setting WAIT_INITIAL_DELAY_SECONDS="0\.5": expected a whole number/],
      ['WAIT_MAX_DELAY_SECONDS', '-3', /invalid setting WAIT_MAX_DELAY_SECONDS="-3"/],
      ['WAIT_MAX_DELAY_SECONDS', '010', /invalid setting WAIT_MAX_DELAY_SECONDS="010": .*without leading zeros/],
      ['WAIT_ATTEMPT_TIMEOUT_SECONDS', '12345678', /invalid setting WAIT_ATTEMPT_TIMEOUT_SECONDS="12345678": at most 9999999/],
    ])('a malformed %s=%s exits 64 before any attempt, naming it', async (name, value, message) => {
      const exit = await startWaiter(form, { env: { ...fastSettings('http://127.0.0.1:1/health'), [name]: value } }).exited;
      expect(exit.code).toBe(64);
      expect(exit.stderr).not.toMatch(/waiting for|attempt/);
      expect(exit.stderr).toMatch(message);
    });

    test('a maximum below the initial delay is refused, naming both', async () => {
      const exit = await startWaiter(form, { env: fastSettings('http://127.0.0.1:1/', { WAIT_INITIAL_DELAY_SECONDS: '5', WAIT_MAX_DELAY_SECONDS: '2' }) }).exited;
      expect(exit.code).toBe(64);
      expect(exit.stderr).toMatch(/WAIT_MAX_DELAY_SECONDS="2": must be at least WAIT_INITIAL_DELAY_SECONDS \(5\)/);
    });

    (form.name.includes('busybox') ? test : test.skip)('busybox: https is refused, because busybox wget would follow redirects', async () => {
      const exit = await startWaiter(form, { env: fastSettings('https://127.0.0.1:1/health') }).exited;
      expect(exit.code).toBe(64);
      expect(exit.stderr).toMatch(/invalid setting WAIT_URL="https:\/\/127\.0\.0\.1:1\/health": https needs curl or GNU wget/);
    });

    test('every way out leaves its TMPDIR as it found it: a bad setting, https under busybox, a printed schedule, ready, the deadline', withServers(async ({ server }) => {
      const tmp = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-waiter-tmpdir-'));
      try {
        const up = await server(TestServer.status(200));
        const runs: Array<[Record<string, string>, number]> = [
          [{ ...fastSettings('http://127.0.0.1:1/health'), WAIT_DEADLINE_SECONDS: 'soon' }, 64],
          ...(form.name.includes('busybox') ? [[fastSettings('https://127.0.0.1:1/health'), 64] as [Record<string, string>, number]] : []),
          [{ ...fastSettings('http://127.0.0.1:1/health'), WAIT_PRINT_SCHEDULE: '3' }, 0],
          [fastSettings(up.url), 0],
          [fastSettings('http://127.0.0.1:1/health', { WAIT_DEADLINE_SECONDS: '1' }), 69],
        ];
        for (const [env, code] of runs) {
          const exit = await startWaiter(form, { env: { ...env, TMPDIR: tmp } }).exited;
          expect(`${JSON.stringify(env)}: exit ${exit.code}, left ${readdirSync(tmp).join(' ')}`).toBe(`${JSON.stringify(env)}: exit ${code}, left `);
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }));

    test('without arguments it exits 0 once the URL answers 2xx (init-container form)', withServers(async ({ server }) => {
      const up = await server(TestServer.status(204));
      const exit = await startWaiter(form, { env: fastSettings(up.url) }).exited;
      expect(exit.code).toBe(0);
      expect(exit.stderr).toMatch(/attempt 1: http:\/\/127\.0\.0\.1:\d+\/health is ready/);
      expect(up.requests.length).toBe(1);
    }));
  });

  describe('faults', () => {
    test.concurrent('1. nothing listening, then listening: the attempt after the server comes up succeeds', withServers(async ({ freePort }) => {
      const later = await freePort();
      // Pauses of 2 s: attempt 4 is refused only if listen() comes over 4 s after attempt 2's line.
      const waiter = startWaiter(form, { env: fastSettings(later.url, { WAIT_INITIAL_DELAY_SECONDS: '2', WAIT_MAX_DELAY_SECONDS: '2' }) });
      await waiter.waitForLog(/attempt 2: .* not ready \(connection refused\)/);
      await later.listen(later.port);
      const exit = await waiter.exited;
      expect(exit.code).toBe(0);
      // Attempt 3 may have been refused before listen() returned; attempt 4 at the latest succeeds.
      expect(readyAttempt(exit.stderr)).toBeGreaterThanOrEqual(3);
      expect(readyAttempt(exit.stderr)).toBeLessThanOrEqual(4);
      expect(later.requests.length).toBe(1);
    }));

    test.concurrent('2. 503 until T, then 200: the request after the switch succeeds', withServers(async ({ server }) => {
      const upstream = await server(TestServer.status(503));
      const waiter = startWaiter(form, { env: fastSettings(upstream.url) });
      await waiter.waitForLog(/attempt 2: .* not ready \(HTTP 503\)/);
      const before = upstream.requests.length;
      upstream.behaviour = TestServer.status(200);
      const exit = await waiter.exited;
      expect(exit.code).toBe(0);
      // The server answers 200 from the switch on: the first request it sees after it is the last.
      expect(upstream.requests.length).toBe(before + 1);
      expect(readyAttempt(exit.stderr)).toBe(before + 1);
    }));

    test.concurrent('3. flapping 503/200: one 2xx is enough', withServers(async ({ server }) => {
      let n = 0;
      const upstream = await server((req, res) => TestServer.status(n++ % 2 === 0 ? 503 : 200)(req, res));
      const exit = await startWaiter(form, { env: fastSettings(upstream.url) }).exited;
      expect(exit.code).toBe(0);
      expect(upstream.requests.length).toBe(2);
      expect(exit.stderr).toMatch(/attempt 1: .*HTTP 503.*\n.*attempt 2: .* is ready/);
    }));

    test.concurrent('4. a server that accepts and never answers: the attempt times out and it goes on', withServers(async ({ server }) => {
      const upstream = await server(TestServer.hang());
      const waiter = startWaiter(form, { env: fastSettings(upstream.url, { WAIT_ATTEMPT_TIMEOUT_SECONDS: '1' }) });
      // The server never answers, so a second attempt at all shows the first was bounded.
      await waiter.waitForLog(/attempt 1: .* not ready \(timeout after 1s\)/);
      await waiter.waitForLog(/attempt 2: .* not ready \(timeout/);
      upstream.behaviour = TestServer.status(200);
      const exit = await waiter.exited;
      expect(exit.code).toBe(0);
    }));

    (unshareWorks ? test.concurrent : test.concurrent.skip)('5. a host name that does not resolve: DNS failure, then the deadline', async () => {
      // A fresh network namespace has no route to any resolver, so nothing leaves this machine.
      const exit = await startWaiter(form, {
        env: fastSettings('http://vllm.invalid:8000/health', { WAIT_DEADLINE_SECONDS: '2' }),
        isolatedNetwork: true,
      }).exited;
      expect(exit.stderr).toMatch(/attempt 1: http:\/\/vllm\.invalid:8000\/health not ready \(DNS failure\)/);
      expect(exit.code).toBe(69);
    });

    test.concurrent('6. a connection reset mid-response is a failed attempt, not success', withServers(async ({ server }) => {
      const upstream = await server(TestServer.resetMidResponse());
      const waiter = startWaiter(form, { env: fastSettings(upstream.url) });
      await waiter.waitForLog(/attempt 1: .* not ready \((connection reset|connection closed without a reply|wget exit .*)\)/);
      await waiter.waitForLog(/attempt 2: .* not ready/);
      upstream.behaviour = TestServer.status(200);
      const exit = await waiter.exited;
      expect(exit.code).toBe(0);
      expect(exit.stderr).toMatch(/connection reset/);
    }));

    // busybox ash drops a TERM that reaches a just-forked subshell before it resets its traps. The
    // old script stopped its watchdog with TERM, so now and then a refused attempt waited out the
    // whole watchdog (attempt limit + 1 s). CPU contention widens the window: six waiters share a
    // CPU bandwidth limit (a cgroup that runs them QUOTA % of each 100 ms), so a subshell can be
    // frozen anywhere in its start, and no CPU is burnt to get there. Where no cgroup can be made
    // they share one CPU with a busy loop instead. Against the old script some of them lose several
    // seconds (point WAITER_SCRIPT_UNDER_TEST at it to see this test fail).
    (form.name.includes('busybox') ? test.concurrent : test.concurrent.skip)('6b. under CPU contention, attempts that fail at once never wait out their watchdog', withServers(async ({ freePort }) => {
      const nobody = await freePort();
      const throttle = CpuThrottle.create(CONTENTION_QUOTA_PERCENT);
      const hogs = throttle ? [] : [spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' })];
      try {
        // An attempt limit of 60 s: a lost stop makes its attempt wait out the whole watchdog
        // (61 s), far past the 10 s deadline, where a kept one ends at the deadline plus one
        // refused attempt. The bound between them is for the failure alone, whatever the load.
        const runs = await Promise.all(Array.from({ length: 6 }, () => startWaiter(form, {
          env: fastSettings(nobody.url, { WAIT_DEADLINE_SECONDS: '10', WAIT_ATTEMPT_TIMEOUT_SECONDS: '60' }),
          scriptPath: process.env.WAITER_SCRIPT_UNDER_TEST,
          killAfterMs: 120_000,
          ...(throttle ? { cgroup: throttle.dir } : { cpus: '0' }),
        }).exited));
        expect(runs.map((exit) => (exit.code === 69 && exit.elapsedMs < 40_000 ? 'kept every stop' : `exit ${exit.code} after ${exit.elapsedMs} ms`)))
          .toEqual(runs.map(() => 'kept every stop'));
        // Every attempt was refused at once and followed by a pause: the cadence, counted.
        for (const exit of runs) expect(Number(/after (\d+) attempts/.exec(exit.stderr)?.[1])).toBeGreaterThanOrEqual(2);
      } finally {
        for (const hog of hogs) hog.kill('SIGKILL');
        await throttle?.remove();
      }
    }), 150_000);

    test.concurrent('7. the deadline passes: exit 69 within deadline + one attempt, naming the URL', withServers(async ({ freePort }) => {
      const nobody = await freePort();
      const exit = await startWaiter(form, { env: fastSettings(nobody.url, { WAIT_DEADLINE_SECONDS: '3', WAIT_ATTEMPT_TIMEOUT_SECONDS: '1' }) }).exited;
      expect(exit.code).toBe(69);
      // Deadline 3 s on a second-granular clock: never before 2 s.
      expect(exit.elapsedMs).toBeGreaterThanOrEqual(2000);
      // Pauses of at least 1 s, each cut to what is left: at most 4 attempts in 3 s, and none
      // starts once no time is left (each pause line still had some).
      const attempts = Number(/after (\d+) attempts/.exec(exit.stderr)?.[1]);
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(4);
      expect([...exit.stderr.matchAll(/, (-?\d+)s left/g)].map((m) => Number(m[1])).filter((left) => left <= 0)).toEqual([]);
      expect(exit.stderr).toMatch(new RegExp(`gave up: ${nobody.url.replace(/[.]/g, '\\.')} was not ready within WAIT_DEADLINE_SECONDS=3s after \\d+ attempts; last result: connection refused`));
    }));

    test.concurrent('8. SIGTERM while waiting: it exits at once, not when the pause or attempt ends', withServers(async ({ server }) => {
      const upstream = await server(TestServer.status(503));
      for (const phase of ['pause', 'attempt'] as const) {
        upstream.behaviour = phase === 'pause' ? TestServer.status(503) : TestServer.hang();
        const waiter = startWaiter(form, { env: fastSettings(upstream.url, { WAIT_MAX_DELAY_SECONDS: '30', WAIT_INITIAL_DELAY_SECONDS: '20', WAIT_ATTEMPT_TIMEOUT_SECONDS: '30' }) });
        if (phase === 'pause') await waiter.waitForLog(/next attempt in/);
        else await waiter.waitForLog(/waiting for/).then(() => sleep(300));
        const sentAt = Date.now();
        waiter.child.kill('SIGTERM');
        const exit = await waiter.exited;
        // Before the pause (20-30 s) or the attempt (30 s) would have ended: a trap that ran only
        // then is the failure; the bound is half of that, for it alone, whatever the load.
        expect(Date.now() - sentAt).toBeLessThan(10_000);
        expect(exit.code).toBe(143);
        expect(exit.stderr).toMatch(/received SIGTERM while waiting for http/);
      }
    }));

    test.concurrent('8b. a pause sleeps in slices of at most 0.5 s, so a SIGTERM the shell misses just before `wait` costs one slice at most', withServers(async ({ server }) => {
      // bash can run a trap only once `wait` returns if the signal lands just before it blocks (1 in
      // 200 SIGTERMs under load with one sleep per pause): the slices bound that delay.
      const upstream = await server(TestServer.status(503));
      // WAITER_SCRIPT_UNDER_TEST: point it at the script before slices to see this test fail.
      const waiter = startWaiter(form, {
        env: fastSettings(upstream.url, { WAIT_MAX_DELAY_SECONDS: '30', WAIT_INITIAL_DELAY_SECONDS: '20' }),
        scriptPath: process.env.WAITER_SCRIPT_UNDER_TEST,
      });
      await waiter.waitForLog(/next attempt in/);
      const seen = new Map<string, string>(); // sleep PID -> its argument
      const pid = waiter.child.pid!;
      // Until three slices were seen; the bound (well inside the 20 s pause) stops a hang only.
      for (const until = Date.now() + 15_000; seen.size < 3 && Date.now() < until;) {
        const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
        for (const child of children) {
          const argv = (() => { try { return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0'); } catch { return []; } })();
          if (/(^|\/)sleep$/.test(argv[0] ?? '') || (argv[0]?.endsWith('busybox') && argv[1] === 'sleep')) seen.set(child, argv[argv.length - 2] ?? '');
        }
        await sleep(50);
      }
      waiter.child.kill('SIGTERM');
      expect((await waiter.exited).code).toBe(143);
      // Several slices within one 20-30 s pause, none longer than half a second.
      expect(seen.size).toBeGreaterThanOrEqual(3);
      expect([...seen.values()].filter((arg) => !(Number(arg) > 0 && Number(arg) <= 0.5))).toEqual([]);
    }));

    test.concurrent('9. once ready it execs the command: same PID, args and env intact, stdout passed, exit code kept', withServers(async ({ server }) => {
      const upstream = await server(TestServer.status(200));
      const waiter = startWaiter(form, {
        env: { ...fastSettings(upstream.url), PROBE_VAR: 'kept value' },
        args: ['sh', '-c', 'echo "pid=$$"; printf "<%s>" "$0" "$@"; echo; echo "env=$PROBE_VAR"; exit 7', 'zero', 'a b', ' c '],
      });
      const exit = await waiter.exited;
      expect(exit.code).toBe(7);
      expect(exit.stdout).toBe(`pid=${waiter.child.pid}\n<zero><a b>< c >\nenv=kept value\n`);
      expect(exit.stderr).toMatch(/starting: sh -c/);
    }));
  });

  // Replies and environments that must not count as ready (issue #23).
  describe('replies', () => {
    test.concurrent.each([
      ['an SSH banner', 'SSH-2.0-OpenSSH_9.2p1\r\n'],
      ['junk bytes', 'ok\n'],
      ['a status line with no HTTP version', '200 OK\r\n\r\n'],
    ])('%s is not an HTTP reply: not ready, with every client', (_name, bytes) => withServers(async ({ server }) => {
      const junk = await server(TestServer.raw(bytes));
      const exit = await startWaiter(form, { env: fastSettings(junk.url, { WAIT_DEADLINE_SECONDS: '2' }) }).exited;
      expect(exit.stderr).not.toMatch(/is ready/);
      expect(exit.code).toBe(69);
      expect(junk.requests.length).toBeGreaterThanOrEqual(1);
    })());

    test.concurrent('a status line whose words are glob patterns is judged as words, never expanded against the file system', withServers(async ({ server }) => {
      // Expanded, /*/*/*/*/*/*/*/* walked the whole tree outside the attempt's watchdog (371 s for a
      // 1 s deadline, 280 MB for a /sys pattern): the deadline below then passes long before the exit.
      const globbing = await server(TestServer.raw('HTTP/1.0 /*/*/*/*/*/*/*/* x\r\n\r\n'));
      const exit = await startWaiter(form, { env: fastSettings(globbing.url, { WAIT_DEADLINE_SECONDS: '1' }), killAfterMs: 45_000 }).exited;
      expect(exit.code).toBe(69);
      expect(exit.stderr).not.toMatch(/is ready/);
    }), 60_000);

    test.concurrent('a ~/.curlrc or ~/.wgetrc that follows redirects changes nothing: a redirect is still not ready', withServers(async ({ server }) => {
      const elsewhere = await server(TestServer.status(200));
      const redirecting = await server((_req, res) => { res.writeHead(302, { location: elsewhere.url }); res.end(); });
      const home = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-waiter-home-'));
      try {
        writeFileSync(join(home, '.curlrc'), 'location\n');
        writeFileSync(join(home, '.wgetrc'), 'max_redirect = 20\n');
        const exit = await startWaiter(form, { env: { ...fastSettings(redirecting.url, { WAIT_DEADLINE_SECONDS: '2' }), HOME: home, CURL_HOME: home } }).exited;
        expect(exit.code).toBe(69);
        expect(elsewhere.requests).toEqual([]);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }));

    test.concurrent.each(['http_proxy', 'HTTP_PROXY', 'all_proxy'])('%s set in the environment: the check goes to the URL, never to the proxy', (variable) => withServers(async ({ server, freePort }) => {
      const proxy = await server(TestServer.status(200)); // a proxy that says "ready" to anything
      const down = await freePort();
      const exit = await startWaiter(form, { env: { ...fastSettings(down.url, { WAIT_DEADLINE_SECONDS: '2' }), [variable]: `http://127.0.0.1:${proxy.port}` } }).exited;
      expect(exit.code).toBe(69);
      expect(exit.stderr).toMatch(/connection refused/);
      expect(proxy.requests).toEqual([]);
    })());
  });

  describe('redirects', () => {
    test.concurrent.each([301, 302, 303, 307, 308])('10. a %i from the health URL means not ready, and the Location is never requested', (code) => withServers(async ({ server }) => {
      const elsewhere = await server(TestServer.status(200));
      const redirecting = await server((_req, res) => { res.writeHead(code, { location: elsewhere.url }); res.end(); });
      const exit = await startWaiter(form, { env: fastSettings(redirecting.url, { WAIT_DEADLINE_SECONDS: '2' }) }).exited;
      expect(exit.code).toBe(69);
      expect(redirecting.requests.length).toBeGreaterThanOrEqual(2);
      expect(elsewhere.requests).toEqual([]);
      expect(exit.stderr).toMatch(new RegExp(`attempt 1: .* not ready \\(HTTP ${code} \\(redirect, not followed\\)\\)`));
    }));
  });

  describe('backoff schedule', () => {
    test.each([[1, 3], [2, 30], [5, 5]])('initial %i s, cap %i s: never below the initial delay, never above the cap', (initial, cap) => {
      const pauses = printedSchedule(form, { initial, max: cap }, 40);
      expect(pauses).toHaveLength(40);
      for (const p of pauses) {
        expect(p).toBeGreaterThanOrEqual(initial * 1000);
        expect(p).toBeLessThanOrEqual(cap * 1000);
      }
      expect(pauses[0]).toBeLessThanOrEqual(Math.min(cap, 2 * initial) * 1000);
      // Exponential: once the ceiling reaches the cap, pauses sit in [cap/2, cap].
      for (const p of pauses.slice(10)) expect(p).toBeGreaterThanOrEqual(Math.max(initial * 1000, cap * 500));
    });

    test('jittered: 100 waiters do not poll in lockstep', () => {
      const firstPauses = Array.from({ length: 100 }, () => printedSchedule(form, { initial: 1, max: 3 }, 3));
      // Distinct schedules, and first pauses spread over their whole range [1 s, 2 s].
      expect(new Set(firstPauses.map((s) => s.join(','))).size).toBeGreaterThan(95);
      const firsts = firstPauses.map((s) => s[0]);
      expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(700);
      // Within any 100 ms window, at most a handful of the 100 waiters retry together.
      const buckets = new Map<number, number>();
      for (const f of firsts) buckets.set(Math.floor(f / 100), (buckets.get(Math.floor(f / 100)) ?? 0) + 1);
      expect(Math.max(...buckets.values())).toBeLessThanOrEqual(25);
    });
  });
}
