// Machine-wide settings a host run may change, and how to put them back. The list is the
// mechanisms' own (tools/probe/<name>/mechanism.json), as the probe's restore uses it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { allKnobs, type ProbeKnob } from '../probe/registry.ts';

/** Every knob a probe step or config may write, in restore order (see restoreOrder). */
export const KNOBS: string[] = allKnobs().map((k) => k.path);

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

/**
 * The order to write a snapshot back in: the knobs' own order, except that of two knobs that
 * zero each other when written (a ratio and an absolute limit of the same thing), the one that was
 * non-zero goes last. The knobs (their names and pairs) are the registry's unless given.
 */
export function restoreOrder(snap: Snapshot, knobs: ProbeKnob[] = allKnobs()): string[] {
  const paths = Object.keys(snap);
  // A knob is found by its path, or (stand-in files in tests) by a path ending in its name.
  const find = (name: string) => {
    const k = knobs.find((x) => x.name === name);
    return paths.find((p) => p === k?.path || p.endsWith(`/${name}`));
  };
  const last: string[] = [];
  for (const k of knobs) {
    const p = find(k.name);
    const q = k.zeroes ? find(k.zeroes) : undefined;
    if (p && q && snap[p] !== '0' && snap[q] === '0') last.push(p);
  }
  return [...paths.filter((p) => !last.includes(p)), ...last];
}

/**
 * Writes every knob back, in restoreOrder. Returns the knobs that did not take their old value.
 */
export function restoreKnobs(snap: Snapshot, knobs: ProbeKnob[] = allKnobs()): string[] {
  const paths = Object.keys(snap);
  for (const p of restoreOrder(snap, knobs)) {
    try {
      if (readKnob(p) !== snap[p]) writeFileSync(p, snap[p]!);
    } catch {
      // reported below when the value did not come back
    }
  }
  return paths.filter((p) => readKnob(p) !== snap[p]).map((p) => `${p}: ${readKnob(p)} (was ${snap[p]})`);
}
