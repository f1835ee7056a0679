// The host guard on stand-in knob files: a run killed with SIGKILL leaves a journal, and the
// next start puts every knob back, the coupled overcommit_ratio/kbytes pair included.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostGuard, replayJournal, type MountOps } from '../../tools/linux/guard.ts';
import { restoreOrder } from '../../tools/linux/knobs.ts';
import { ROOT } from '../helpers.ts';

function fakeKnobs(values: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'mmspec-knobs-'));
  const paths = Object.keys(values).map((k) => join(dir, k));
  for (const [k, v] of Object.entries(values)) writeFileSync(join(dir, k), `${v}\n`);
  const read = () => Object.fromEntries(Object.keys(values).map((k) => [k, readFileSync(join(dir, k), 'utf8').trim()]));
  return { dir, paths, read, write: (k: string, v: string) => writeFileSync(join(dir, k), v) };
}

describe('host guard', () => {
  it('restores knobs after a run killed with SIGKILL, through the journal', async () => {
    const k = fakeKnobs({ overcommit_memory: '0', overcommit_ratio: '50', overcommit_kbytes: '0', enabled: 'always [madvise] never' });
    const state = mkdtempSync(join(tmpdir(), 'mmspec-state-'));
    // A run that takes the guard, changes the knobs and is then killed outright.
    const script = `
      import { HostGuard } from ${JSON.stringify(join(ROOT, 'tools/linux/guard.ts'))};
      import { writeFileSync } from 'node:fs';
      new HostGuard(${JSON.stringify(state)}, ${JSON.stringify(k.paths)}).acquire();
      writeFileSync(${JSON.stringify(k.paths[0])}, '2');
      writeFileSync(${JSON.stringify(k.paths[2])}, '123456');
      writeFileSync(${JSON.stringify(k.paths[1])}, '0');
      writeFileSync(${JSON.stringify(k.paths[3])}, 'never');
      console.log('changed');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout!.once('data', () => r()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    expect(k.read()).toMatchObject({ overcommit_memory: '2', overcommit_kbytes: '123456' });
    expect(existsSync(join(state, 'host-journal.json'))).toBe(true);
    expect(replayJournal(state)).toMatch(/restored 4 settings left by an interrupted run/);
    expect(k.read()).toEqual({ overcommit_memory: '0', overcommit_ratio: '50', overcommit_kbytes: '0', enabled: 'madvise' });
    expect(existsSync(join(state, 'host-journal.json'))).toBe(false);
  });

  it('restores on release and refuses a second concurrent run', () => {
    const k = fakeKnobs({ overcommit_ratio: '0', overcommit_kbytes: '2097152' });
    const state = mkdtempSync(join(tmpdir(), 'mmspec-state-'));
    const g = new HostGuard(state, k.paths, () => {});
    g.acquire();
    // Another live process holding the lock: simulate with our parent's pid.
    writeFileSync(join(state, 'host.lock'), String(process.ppid));
    expect(() => new HostGuard(state, k.paths, () => {}).acquire()).toThrow(/another mmspec host run holds/);
    writeFileSync(join(state, 'host.lock'), String(process.pid));
    k.write('overcommit_kbytes', '0');
    k.write('overcommit_ratio', '50');
    g.release();
    expect(k.read()).toEqual({ overcommit_ratio: '0', overcommit_kbytes: '2097152' });
    expect(existsSync(join(state, 'host.lock'))).toBe(false);
  });

  it('unmounts the hugetlbfs mounts left under <state>/mnt, on release and on replay, and nothing else', () => {
    const state = mkdtempSync(join(tmpdir(), 'mmspec-state-'));
    const other = mkdtempSync(join(tmpdir(), 'mmspec-other-'));
    const mine = ['101-s1-h-aaaaaa', '101-s1-with space-bbbbbb'].map((d) => join(state, 'mnt', d));
    for (const d of [...mine, join(state, 'mnt', 'tmpfs-cccccc'), join(other, 'x')]) mkdirSync(d, { recursive: true });
    const esc = (p: string) => p.replace(/ /g, '\\040');
    const table = join(state, 'mounts');
    const lines = [
      'proc /proc proc rw,nosuid 0 0',
      `none ${esc(mine[0]!)} hugetlbfs rw,relatime,pagesize=2M 0 0`,
      `none ${join(state, 'mnt', 'tmpfs-cccccc')} tmpfs rw 0 0`,
      `none ${join(other, 'x')} hugetlbfs rw,relatime,pagesize=2M 0 0`,
      `none ${esc(mine[1]!)} hugetlbfs rw,relatime,pagesize=2M,size=4194304 0 0`,
    ];
    writeFileSync(table, lines.join('\n') + '\n');
    const unmounted: string[] = [];
    const ops: MountOps = { table, unmount: (p) => unmounted.push(p) };
    const k = fakeKnobs({ nr_hugepages: '0' });
    const logged: string[] = [];
    const g = new HostGuard(state, k.paths, (s) => logged.push(s), ops);
    g.acquire();
    g.release();
    expect(unmounted).toEqual([mine[1], mine[0]]);
    expect(mine.map(existsSync)).toEqual([false, false]);
    expect(existsSync(join(state, 'mnt', 'tmpfs-cccccc'))).toBe(true);
    expect(existsSync(join(other, 'x'))).toBe(true);
    expect(logged.join('\n')).toMatch(/unmounted hugetlbfs left mounted/);

    // A run killed outright: the next start finds its journal and the mounts still listed.
    unmounted.length = 0;
    writeFileSync(join(state, 'host-journal.json'), JSON.stringify({ pid: 2 ** 30, started: 'then', knobs: {} }));
    expect(replayJournal(state, ops)).toMatch(/unmounted 2 hugetlbfs mounts/);
    expect(unmounted).toEqual([mine[1], mine[0]]);
    expect(existsSync(join(state, 'host-journal.json'))).toBe(false);
  });

  it('writes the originally non-zero one of ratio and kbytes last, since each zeroes the other', () => {
    const vm = '/proc/sys/vm/';
    const snap = (ratio: string, kbytes: string) => ({ [`${vm}overcommit_ratio`]: ratio, [`${vm}overcommit_kbytes`]: kbytes, [`${vm}overcommit_memory`]: '0' });
    expect(restoreOrder(snap('50', '0')).at(-1)).toBe(`${vm}overcommit_ratio`);
    expect(restoreOrder(snap('0', '2097152')).at(-1)).toBe(`${vm}overcommit_kbytes`);
    expect(restoreOrder(snap('0', '2097152'))).toHaveLength(3);
  });
});
