import { spawn, spawnSync } from 'child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { MeshMode, StartupStrategy } from '../src/internal';
import { kernelSuiteUnavailable, pidsWithNetns, sweepStale } from './support/kernel-harness';
import { renderCell } from './support/render';

// Issue #22: a replay killed halfway (kill -9, as a jest worker dies on a crash or a timeout)
// leaves no network namespace and no process behind. The replay runs in a process of its own
// (test/support/kernel-replay-child.ts); its reaper, which holds a pipe only that process writes
// to, clears what it made once the pipe closes.

const unavailable = kernelSuiteUnavailable('the kernel cleanup test');

(unavailable ? test.skip : test)('a replay killed with SIGKILL halfway leaves no namespace, process or file behind', async () => {
  const work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-kernel-cleanup-'));
  // A classic sidecar with CNI and an init-container wait: the waiter loops until it is stopped.
  const mesh = MeshMode.istioSidecar();
  writeFileSync(join(work, 'replay.json'), JSON.stringify({
    mode: { mesh: mesh.mesh, dataplane: mesh.dataplane, cni: mesh.cni, mtls: mesh.mtls },
    objects: renderCell(mesh, StartupStrategy.INIT_CONTAINER).objects,
  }));
  const child = spawn(process.execPath, ['-r', join(__dirname, 'support', 'ts-hook.js'), join(__dirname, 'support', 'kernel-replay-child.ts'), join(work, 'replay.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let held: number[] = [];
  try {
    let output = '';
    child.stderr!.on('data', (d) => { output += d; });
    const halfway = await new Promise<{ inodes: number[]; reaper: { pid: number; dir: string } }>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        output += d;
        const line = output.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.on('close', (code) => reject(new Error(`the replay ended (${code}) before its waiter ran: ${output}`)));
    });
    const prefix = `k8h${child.pid}-`;
    // Hold the namespaces open, so their inode numbers cannot be given to new ones (the kernel suite
    // makes namespaces beside this test) while the check below reads them.
    held = ['p', 'v', 'n'].map((role) => openSync(`/run/netns/${prefix}1-${role}`, 'r'));
    expect(pidsWithNetns(halfway.inodes).length).toBeGreaterThanOrEqual(2); // vLLM's stand-in and the waiter, at least
    child.kill('SIGKILL');
    // The reaper exits once it has cleared everything: wait for that. The bound stops a hang only.
    for (const until = Date.now() + 45_000; existsSync(`/proc/${halfway.reaper.pid}`);) {
      if (Date.now() > until) throw new Error(`the reaper (pid ${halfway.reaper.pid}) did not finish`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { stdout } = await new Promise<{ stdout: string }>((resolve) => {
      const list = spawn('ip', ['netns', 'list']);
      let out = '';
      list.stdout.on('data', (d) => { out += d; });
      list.on('close', () => resolve({ stdout: out }));
    });
    expect(stdout.split('\n').filter((line) => line.startsWith(prefix))).toEqual([]);
    expect(pidsWithNetns(halfway.inodes)).toEqual([]);
    expect(existsSync(halfway.reaper.dir)).toBe(false);
    expect(existsSync(`/etc/netns/${prefix}1-p`)).toBe(false);
  } finally {
    child.kill('SIGKILL');
    held.forEach((fd) => closeSync(fd));
    rmSync(work, { recursive: true, force: true });
  }
});

(unavailable ? test.skip : test)('a later run removes the namespaces a crashed run left, and no one else\'s', () => {
  // A pid that has exited: its namespaces are leftovers. This process's own are not.
  const gone = spawnSync('true').pid;
  const stale = `k8h${gone}-1-p`;
  const live = `k8h${process.pid}-250-p`;
  spawnSync('ip', ['netns', 'add', stale]);
  spawnSync('ip', ['netns', 'add', live]);
  try {
    sweepStale();
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]);
    expect(left).not.toContain(stale);
    expect(left).toContain(live);
  } finally {
    spawnSync('ip', ['netns', 'del', stale]);
    spawnSync('ip', ['netns', 'del', live]);
  }
});
