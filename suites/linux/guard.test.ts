// The host guard on stand-in knob files with made-up knobs and file systems: a run killed with
// SIGKILL leaves a journal, and the next start puts every knob back, a pair of knobs that zero
// each other included; mounts of the mechanisms' file systems left under <state>/mnt go too.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostGuard, replayJournal, type MountOps } from '../../tools/linux/guard.ts';
import { KNOBS, restoreKnobs, restoreOrder, restorePlan, snapshotKnobs } from '../../tools/linux/knobs.ts';
import { allKnobs, probeMechanisms, type ProbeKnob } from '../../tools/probe/registry.ts';
import { ROOT, EXAMPLE, tempDir } from '../helpers.ts';

/** Made-up knobs: frob_ratio and frob_bytes zero each other when written, as a ratio and an absolute limit would. */
const PAIRS: Record<string, string> = { frob_ratio: 'frob_bytes', frob_bytes: 'frob_ratio' };

/** Stand-in knob files in a fresh folder, and their definitions as the registry would give them. */
function fakeKnobs(values: Record<string, string>) {
  const dir = tempDir('mmspec-knobs-');
  const paths = Object.keys(values).map((k) => join(dir, k));
  for (const [k, v] of Object.entries(values)) writeFileSync(join(dir, k), `${v}\n`);
  const defs: ProbeKnob[] = Object.keys(values).map((name) => ({ name, path: join(dir, name), ...(PAIRS[name] ? { zeroes: PAIRS[name] } : {}) }));
  const read = () => Object.fromEntries(Object.keys(values).map((k) => [k, readFileSync(join(dir, k), 'utf8').trim()]));
  return { dir, paths, defs, read, write: (k: string, v: string) => writeFileSync(join(dir, k), v) };
}

/** No mount table: the knob tests touch no mounts. */
const NO_MOUNTS: MountOps = { table: '/nonexistent/mounts', unmount: () => {}, fstypes: [] };

describe('host guard', () => {
  it('restores knobs after a run killed with SIGKILL, through the journal', async () => {
    const k = fakeKnobs({ frob_mode: '0', frob_ratio: '50', frob_bytes: '0', frob_enabled: 'always [madvise] never' });
    const state = tempDir('mmspec-state-');
    // A run that takes the guard, changes the knobs and is then killed outright.
    const script = `
      import { HostGuard } from ${JSON.stringify(join(ROOT, 'tools/linux/guard.ts'))};
      import { writeFileSync } from 'node:fs';
      new HostGuard(${JSON.stringify(state)}, ${JSON.stringify(k.defs)}, () => {}, { table: ${JSON.stringify(NO_MOUNTS.table)}, unmount: () => {}, fstypes: [] }).acquire();
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

    expect(k.read()).toMatchObject({ frob_mode: '2', frob_bytes: '123456', frob_ratio: '0', frob_enabled: 'never' });
    expect(existsSync(join(state, 'host-journal.json'))).toBe(true);
    expect(replayJournal(state, NO_MOUNTS, k.defs)).toMatch(/restored 4 settings left by an interrupted run/);
    expect(k.read()).toEqual({ frob_mode: '0', frob_ratio: '50', frob_bytes: '0', frob_enabled: 'madvise' });
    expect(existsSync(join(state, 'host-journal.json'))).toBe(false);
  });

  it('restores on release and refuses a second concurrent run', () => {
    const k = fakeKnobs({ frob_ratio: '0', frob_bytes: '2097152' });
    const state = tempDir('mmspec-state-');
    const g = new HostGuard(state, k.defs, () => {}, NO_MOUNTS);
    g.acquire();
    // Another live process holding the lock: simulate with our parent's pid.
    writeFileSync(join(state, 'host.lock'), String(process.ppid));
    expect(() => new HostGuard(state, k.defs, () => {}, NO_MOUNTS).acquire()).toThrow(/another mmspec host run holds/);
    writeFileSync(join(state, 'host.lock'), String(process.pid));
    k.write('frob_bytes', '0');
    k.write('frob_ratio', '50');
    g.release();
    expect(k.read()).toEqual({ frob_ratio: '0', frob_bytes: '2097152' });
    expect(existsSync(join(state, 'host.lock'))).toBe(false);
  });

  it("unmounts the mechanisms' file systems left mounted under <state>/mnt, on release and on replay, and nothing else", () => {
    const state = tempDir('mmspec-state-');
    const other = tempDir('mmspec-other-');
    const mine = ['101-s1-h-aaaaaa', '101-s1-with space-bbbbbb'].map((d) => join(state, 'mnt', d));
    for (const d of [...mine, join(state, 'mnt', 'tmpfs-cccccc'), join(other, 'x')]) mkdirSync(d, { recursive: true });
    const esc = (p: string) => p.replace(/ /g, '\\040');
    const table = join(state, 'mounts');
    // frobfs is a file system a mechanism mounts; tmpfs is not (here), and other/ is not the probe's.
    const lines = [
      'proc /proc proc rw,nosuid 0 0',
      `none ${esc(mine[0]!)} frobfs rw,relatime,pagesize=2M 0 0`,
      `none ${join(state, 'mnt', 'tmpfs-cccccc')} tmpfs rw 0 0`,
      `none ${join(other, 'x')} frobfs rw,relatime,pagesize=2M 0 0`,
      `none ${esc(mine[1]!)} frobfs rw,relatime,pagesize=2M,size=4194304 0 0`,
    ];
    writeFileSync(table, lines.join('\n') + '\n');
    const unmounted: string[] = [];
    const ops: MountOps = { table, unmount: (p) => unmounted.push(p), fstypes: ['frobfs'] };
    const k = fakeKnobs({ frob_pool: '0' });
    const logged: string[] = [];
    const g = new HostGuard(state, k.defs, (s) => logged.push(s), ops);
    g.acquire();
    g.release();
    expect(unmounted).toEqual([mine[1], mine[0]]);
    expect(mine.map(existsSync)).toEqual([false, false]);
    expect(existsSync(join(state, 'mnt', 'tmpfs-cccccc'))).toBe(true);
    expect(existsSync(join(other, 'x'))).toBe(true);
    expect(logged.join('\n')).toContain(`unmounted what was left mounted: ${mine[1]}, ${mine[0]}`);

    // A run killed outright: the next start finds its journal and the mounts still listed.
    unmounted.length = 0;
    writeFileSync(join(state, 'host-journal.json'), JSON.stringify({ pid: 2 ** 30, started: 'then', knobs: {} }));
    expect(replayJournal(state, ops, k.defs)).toMatch(/unmounted 2 mounts/);
    expect(unmounted).toEqual([mine[1], mine[0]]);
    expect(existsSync(join(state, 'host-journal.json'))).toBe(false);

    // Told no file system, it unmounts nothing.
    unmounted.length = 0;
    writeFileSync(join(state, 'host-journal.json'), JSON.stringify({ pid: 2 ** 30, started: 'then', knobs: {} }));
    expect(replayJournal(state, { ...ops, fstypes: [] }, k.defs)).not.toMatch(/unmounted/);
    expect(unmounted).toEqual([]);
  });

  it('writes the originally non-zero one of two knobs that zero each other last', () => {
    const k = fakeKnobs({ frob_ratio: '0', frob_bytes: '0', frob_mode: '0' });
    const [ratio, bytes, mode] = k.paths as [string, string, string];
    const snap = (r: string, b: string) => ({ [ratio]: r, [bytes]: b, [mode]: '0' });
    expect(restoreOrder(snap('50', '0'), k.defs)).toEqual([bytes, mode, ratio]);
    expect(restoreOrder(snap('0', '2097152'), k.defs)).toEqual([ratio, mode, bytes]);
    expect(restoreOrder(snap('0', '0'), k.defs)).toEqual([ratio, bytes, mode]);
    // Knobs not declared to zero each other keep their order.
    expect(restoreOrder(snap('50', '0'), k.defs.map((d) => ({ name: d.name, path: d.path })))).toEqual([ratio, bytes, mode]);
  });

  it('writes a knob\'s `first` value before its group is put back, and its own value last; a missing optional knob is left alone', () => {
    // frob_run must be 2 while frob_limit is written (a daemon stopped and its work undone), and
    // go back to its value after; quux_mode belongs to another group.
    const k = fakeKnobs({ frob_run: '0', frob_limit: '256', frob_sleep: '20', quux_mode: '1' });
    const defs: ProbeKnob[] = [
      { name: 'frob_run', path: k.paths[0]!, first: '2', optional: true, mechanism: 'frob' },
      { name: 'frob_limit', path: k.paths[1]!, optional: true, mechanism: 'frob' },
      { name: 'frob_sleep', path: k.paths[2]!, optional: true, mechanism: 'frob' },
      { name: 'frob_gone', path: join(k.dir, 'frob_gone'), optional: true, mechanism: 'frob' },
      { name: 'quux_mode', path: k.paths[3]!, mechanism: 'quux' },
    ];
    const snap = snapshotKnobs(defs.map((d) => d.path));
    expect(Object.keys(snap)).not.toContain(join(k.dir, 'frob_gone')); // absent on this machine: not saved
    const read = (p: string) => readFileSync(p, 'utf8').trim();
    // Nothing changed: nothing is written, not even the `first` value.
    expect(restorePlan(snap, read, defs)).toEqual([]);
    // Only another group changed: frob's `first` value is not written.
    k.write('quux_mode', '0');
    expect(restorePlan(snap, read, defs)).toEqual([[k.paths[3], '1']]);
    k.write('quux_mode', '1');
    // frob changed: run=2 first, then the others, then run's own value.
    k.write('frob_limit', '512');
    k.write('frob_run', '1');
    expect(restorePlan(snap, read, defs)).toEqual([[k.paths[0], '2'], [k.paths[1], '256'], [k.paths[0], '0']]);
    expect(restoreKnobs(snap, defs)).toEqual([]);
    expect(k.read()).toEqual({ frob_run: '0', frob_limit: '256', frob_sleep: '20', quux_mode: '1' });
    // The `first` knob is written last in the order too.
    expect(restoreOrder(snap, defs).at(-1)).toBe(k.paths[0]);
  });

  it("by default guards the registry's knobs: every mechanism's, the worked example's included", () => {
    const example = probeMechanisms().find((m) => m.name === EXAMPLE)!.knobs;
    expect(example.length).toBeGreaterThan(0);
    expect(KNOBS).toEqual(allKnobs().map((x) => x.path));
    for (const x of example) expect(KNOBS).toContain(x.path);
  });
});
