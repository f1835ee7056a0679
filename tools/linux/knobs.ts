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
 * non-zero goes last, and a knob with a `first` value goes after all of them. The knobs (their
 * names and pairs) are the registry's unless given.
 */
export function restoreOrder(snap: Snapshot, knobs: ProbeKnob[] = allKnobs()): string[] {
  const paths = Object.keys(snap);
  const find = finder(paths, knobs);
  const last: string[] = [];
  const final: string[] = [];
  for (const k of knobs) {
    const p = find(k.name);
    const q = k.zeroes ? find(k.zeroes) : undefined;
    if (p && k.first !== undefined) final.push(p);
    else if (p && q && snap[p] !== '0' && snap[q] === '0') last.push(p);
  }
  return [...paths.filter((p) => !last.includes(p) && !final.includes(p)), ...last, ...final];
}

/** A knob is found by its path, or (stand-in files in tests) by a path ending in its name. */
function finder(paths: string[], knobs: ProbeKnob[]) {
  return (name: string) => {
    const k = knobs.find((x) => x.name === name);
    return paths.find((p) => p === k?.path || p.endsWith(`/${name}`));
  };
}

/**
 * The writes that put a snapshot back, in order: for each knob declared with a `first` value
 * whose group (its mechanism) has a knob that differs from the snapshot, that value; then every
 * knob that differs, in restoreOrder (so the `first` knobs' own values come last).
 */
export function restorePlan(snap: Snapshot, current: (path: string) => string | undefined, knobs: ProbeKnob[] = allKnobs()): [string, string][] {
  const find = finder(Object.keys(snap), knobs);
  const groupOf = (path: string) => knobs.find((k) => find(k.name) === path)?.mechanism ?? '';
  const busy = new Set(Object.keys(snap).filter((p) => current(p) !== snap[p]).map(groupOf));
  const plan: [string, string][] = [];
  for (const k of knobs) {
    const p = find(k.name);
    if (p && k.first !== undefined && busy.has(k.mechanism ?? '')) plan.push([p, k.first]);
  }
  const firstWritten = new Set(plan.map(([p]) => p));
  for (const p of restoreOrder(snap, knobs)) if (firstWritten.has(p) || current(p) !== snap[p]) plan.push([p, snap[p]!]);
  return plan;
}

/**
 * Writes every knob back, in restorePlan's order. Returns the knobs that did not take their old value.
 */
export function restoreKnobs(snap: Snapshot, knobs: ProbeKnob[] = allKnobs()): string[] {
  const paths = Object.keys(snap);
  const current = (p: string) => {
    try {
      return readKnob(p);
    } catch {
      return undefined;
    }
  };
  for (const [p, v] of restorePlan(snap, current, knobs)) {
    try {
      if (current(p) !== v) writeFileSync(p, v);
    } catch {
      // reported below when the value did not come back
    }
  }
  return paths.filter((p) => current(p) !== snap[p]).map((p) => `${p}: ${current(p)} (was ${snap[p]})`);
}
