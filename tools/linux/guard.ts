// Host runs change machine-wide settings. The guard makes that safe: one run at a time
// (a lock file), every knob snapshotted into an on-disk journal before anything changes,
// and restored on success, failure, SIGINT and SIGTERM — or, after SIGKILL, by the next start.
// The same goes for the mounts the probe makes under <state dir>/mnt (of the file systems the
// mechanisms declare, tools/probe/<name>/mechanism.json).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allKnobs, probeMechanisms, type ProbeKnob } from '../probe/registry.ts';
import { restoreKnobs, snapshotKnobs, type Snapshot } from './knobs.ts';
import { STATE_DIR, journalPath } from './state.ts';

interface Journal {
  pid: number;
  started: string;
  knobs: Snapshot;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where to read the mount table, how to unmount, and what (injectable for tests). */
export interface MountOps {
  table: string;
  unmount: (path: string) => void;
  /** The file system types to unmount; by default those the mechanisms mount (the registry). */
  fstypes?: string[];
}

export const MOUNTS: MountOps = {
  table: '/proc/self/mounts',
  unmount: (path) => {
    spawnSync('umount', ['-l', path], { stdio: 'ignore' });
  },
};

/** A mount-table field: spaces, tabs, newlines and backslashes come as octal escapes. */
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Lazily unmounts every mount of a file system the mechanisms mount still mounted under dir/mnt
 * (the probe's mount points) and removes the mount points. Returns the ones it found.
 */
export function releaseMounts(dir = STATE_DIR, ops: MountOps = MOUNTS): string[] {
  const root = join(dir, 'mnt') + '/';
  const fstypes = new Set(ops.fstypes ?? probeMechanisms().flatMap((m) => m.mounts));
  let table: string;
  try {
    table = readFileSync(ops.table, 'utf8');
  } catch {
    return [];
  }
  const found = table
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] !== undefined && fstypes.has(f[2]) && f[1] !== undefined)
    .map((f) => unescapeMount(f[1]!))
    .filter((p) => p.startsWith(root))
    .reverse(); // the latest mount first
  for (const p of found) {
    try {
      ops.unmount(p);
      rmdirSync(p);
    } catch {
      // still mounted or not empty: leave the directory
    }
  }
  return found;
}

const lockPath = (dir: string) => join(dir, 'host.lock');

/**
 * Restores what a run that died without cleaning up left behind. Returns what it did, for the log.
 * knobs (names and pairs, for the restore order) are the registry's unless given.
 */
export function replayJournal(dir = STATE_DIR, mounts: MountOps = MOUNTS, knobs: ProbeKnob[] = allKnobs()): string | null {
  const file = journalPath(dir);
  if (!existsSync(file)) return null;
  const j = JSON.parse(readFileSync(file, 'utf8')) as Journal;
  if (alive(j.pid) && j.pid !== process.pid) return null; // still running: its own guard restores
  const unmounted = releaseMounts(dir, mounts); // first: a pool shrinks only once its pages are free
  const stuck = restoreKnobs(j.knobs, knobs);
  rmSync(file);
  return `restored ${Object.keys(j.knobs).length} settings left by an interrupted run (pid ${j.pid}, ${j.started})${unmounted.length ? `, unmounted ${unmounted.length} mounts` : ''}${stuck.length ? `; not restored: ${stuck.join(', ')}` : ''}`;
}

export class HostGuard {
  private snap?: Snapshot;
  private handlers: [NodeJS.Signals | 'exit', () => void][] = [];

  constructor(
    private readonly dir = STATE_DIR,
    /** The knobs to snapshot and restore: the registry's (every mechanism's) unless given. */
    private readonly knobs: ProbeKnob[] = allKnobs(),
    private readonly log: (s: string) => void = (s) => process.stderr.write(`mmspec: ${s}\n`),
    private readonly mounts: MountOps = MOUNTS,
  ) {}

  /** Takes the lock, replays a stale journal, snapshots the knobs and journals them. */
  acquire(): void {
    mkdirSync(this.dir, { recursive: true });
    const lock = lockPath(this.dir);
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, 'utf8'));
      if (pid && alive(pid) && pid !== process.pid) throw new Error(`another mmspec host run holds ${lock} (pid ${pid}); wait for it to end`);
      rmSync(lock);
    }
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    const replayed = replayJournal(this.dir, this.mounts, this.knobs);
    if (replayed) this.log(replayed);
    this.snap = snapshotKnobs(this.knobs.map((k) => k.path));
    writeFileSync(journalPath(this.dir), JSON.stringify({ pid: process.pid, started: new Date().toISOString(), knobs: this.snap }, null, 2));
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const h = () => {
        this.release();
        // A command that stops gracefully on a signal (fuzz) listens too: it ends the run.
        if (process.listenerCount(sig) === 0) process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
      };
      process.once(sig, h);
      this.handlers.push([sig, h]);
    }
    const onExit = () => this.release();
    process.once('exit', onExit);
    this.handlers.push(['exit', onExit]);
  }

  /** Unmounts the probe's mounts, restores every knob, drops the journal and the lock. Safe to call more than once. */
  release(): void {
    if (!this.snap) return;
    const unmounted = releaseMounts(this.dir, this.mounts);
    if (unmounted.length) this.log(`unmounted what was left mounted: ${unmounted.join(', ')}`);
    const stuck = restoreKnobs(this.snap, this.knobs);
    if (stuck.length) this.log(`could not restore: ${stuck.join(', ')}`);
    this.snap = undefined;
    rmSync(journalPath(this.dir), { force: true });
    rmSync(lockPath(this.dir), { force: true });
    for (const [ev, h] of this.handlers) process.removeListener(ev, h);
    this.handlers = [];
  }
}
