// Machine-wide settings a host run may change, and how to put them back.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const VM = '/proc/sys/vm/';
const KSM = '/sys/kernel/mm/ksm/';
const THP = '/sys/kernel/mm/transparent_hugepage/';

/** Every knob a probe step or config may write. Order matters on restore (see restoreKnobs). */
export const KNOBS: string[] = [
  ...['overcommit_memory', 'overcommit_ratio', 'overcommit_kbytes', 'user_reserve_kbytes', 'admin_reserve_kbytes', 'nr_hugepages', 'nr_overcommit_hugepages'].map((k) => VM + k),
  ...['run', 'sleep_millisecs', 'pages_to_scan', 'max_page_sharing', 'merge_across_nodes', 'use_zero_pages', 'smart_scan'].map((k) => KSM + k),
  ...['enabled', 'defrag', 'shmem_enabled'].map((k) => THP + k),
];

export type Snapshot = Record<string, string>;

/** sysfs choice files read as "always [madvise] never": the bracketed word is the value. */
function readKnob(path: string): string {
  const raw = readFileSync(path, 'utf8').trim();
  return /\[(\w+)\]/.exec(raw)?.[1] ?? raw;
}

export function snapshotKnobs(paths = KNOBS): Snapshot {
  const s: Snapshot = {};
  for (const p of paths) if (existsSync(p)) s[p] = readKnob(p);
  return s;
}

/** The order to write a snapshot back in: whichever of ratio and kbytes was non-zero goes last. */
export function restoreOrder(snap: Snapshot): string[] {
  const paths = Object.keys(snap);
  const ratio = paths.find((p) => p.endsWith('/overcommit_ratio'));
  const kbytes = paths.find((p) => p.endsWith('/overcommit_kbytes'));
  const last = kbytes && snap[kbytes] !== '0' ? kbytes : ratio;
  return [...paths.filter((p) => p !== last), ...(last ? [last] : [])];
}

/**
 * Writes every knob back. overcommit_ratio and overcommit_kbytes zero each other when written,
 * so the one that was non-zero goes last. Returns the knobs that did not take their old value.
 */
export function restoreKnobs(snap: Snapshot): string[] {
  const paths = Object.keys(snap);
  for (const p of restoreOrder(snap)) {
    try {
      if (readKnob(p) !== snap[p]) writeFileSync(p, snap[p]!);
    } catch {
      // reported below when the value did not come back
    }
  }
  return paths.filter((p) => readKnob(p) !== snap[p]).map((p) => `${p}: ${readKnob(p)} (was ${snap[p]})`);
}
