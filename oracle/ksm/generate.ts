// Random KSM sequences for differential fuzzing: small mappings (now and then a larger one)
// filled from a small palette of contents (so that pages meet their twins), made mergeable
// and unmergeable over whole and partial ranges, written, read, unmapped, forked and exited,
// with whole passes of ksmd in between, and the knobs' rules (max_page_sharing and
// merge_across_nodes refused while KSM pages exist, use_zero_pages, smart_scan, chain
// pruning at every lookup, unmerge-all).
// Names are tracked per process as the probe keeps them: a fork's child inherits its parent's
// mappings, and a mapping unmapped whole is forgotten.
import { fillSteps, inProc, type GeneratedCase, type GenerateOptions, type GenStep, type SequenceGenerator } from '../core/generate.ts';
import { inRange } from '../core/kernel.ts';
import type { Random } from '../core/random.ts';
import { KSM_SWITCHES } from './switches.ts';

/** The kernels without smart scan. */
const NO_SMART_SCAN = KSM_SWITCHES.find((sw) => sw.name === 'no-smart-scan')!.kernels;

interface GProc {
  maps: Map<string, number>;
}

class State {
  /** Whether the kernel has the smart_scan knob (when the kernel is unknown: it may). */
  smartScan = true;
  procs = new Map<string, GProc>([['main', { maps: new Map() }]]);
  n = { map: 0, proc: 0 };
  constructor(readonly rng: Random) {}
}

/** A content pattern from a small palette: pages of one sequence often hold equal contents. */
function pattern(r: Random): Record<string, unknown> {
  switch (r.weighted({ zero: 2, byte: 5, unique: 3 })) {
    case 'zero':
      return { pattern: 'zero' };
    case 'byte':
      return { pattern: 'byte', value: r.pick([0x11, 0x22, 0x5a]) };
    default:
      return r.chance(0.6) ? { pattern: 'unique', value: r.int(0, 2), period: r.int(1, 4) } : { pattern: 'unique', value: r.int(0, 2) };
  }
}

/** A range of a mapping of n pages: all of it, or part. */
function range(r: Random, n: number): Record<string, number> {
  if (r.chance(0.55)) return {};
  const offset = r.int(0, n - 1);
  return { offset, pages: r.int(1, n - offset) };
}

function step(s: State): GenStep {
  const r = s.rng;
  const names = [...s.procs.keys()];
  const pname = names.length > 1 && r.chance(0.35) ? r.pick(names.slice(1)) : 'main';
  const p = s.procs.get(pname)!;
  const at = inProc(pname);
  const maps = [...p.maps.entries()];
  const anyMap = maps.length ? r.pick(maps) : null;
  const op = r.weighted({
    mmap: maps.length < 4 ? 4 : 0.5,
    fill: anyMap ? 6 : 0,
    write: anyMap ? 2.5 : 0,
    read: anyMap ? 0.8 : 0,
    madvise: anyMap ? 4 : 0,
    munmap: anyMap ? 1 : 0,
    settle: 6,
    fork: s.procs.size < 3 ? 1 : 0,
    exit: s.procs.size > 1 ? 0.8 : 0,
    knob: 1.5,
    prctl: 0.6,
    unmerge_all: 0.3,
  });
  switch (op) {
    case 'mmap': {
      const name = `m${s.n.map++}`;
      // Now and then a larger one: more than 128 pages is where a probe's bookkeeping (a sort
      // buffer from the heap) would show up as rmap items of its own.
      const pages = r.chance(0.1) ? r.int(13, 300) : r.int(1, 12);
      p.maps.set(name, pages);
      const args: Record<string, unknown> = { as: name, pages };
      if (r.chance(0.08)) args.shared = true;
      return at({ op: 'mmap', args });
    }
    case 'fill': {
      const [map, n] = anyMap!;
      return at({ op: 'fill', args: { map, ...range(r, n), ...pattern(r) } });
    }
    case 'write': {
      const [map, n] = anyMap!;
      return at({ op: 'write', args: { map, offset: r.int(0, n - 1), value: r.pick([0, 1, 0x11, 0x22, 0x5a, r.int(0, 255)]) } });
    }
    case 'read': {
      const [map, n] = anyMap!;
      return at({ op: 'read', args: { map, ...range(r, n) } });
    }
    case 'madvise': {
      const [map, n] = anyMap!;
      return at({ op: 'madvise', args: { map, ...range(r, n), advice: r.chance(0.78) ? 'mergeable' : 'unmergeable' } });
    }
    case 'munmap': {
      const [map, n] = anyMap!;
      const rg = range(r, n);
      if (rg.offset === undefined || (rg.offset === 0 && rg.pages === n)) p.maps.delete(map); // forgotten when unmapped whole
      return at({ op: 'munmap', args: { map, ...rg } });
    }
    case 'settle':
      return { op: 'settle', args: { scans: r.weighted({ one: 3, two: 4, three: 2, many: 1 }) === 'many' ? r.int(4, 8) : r.int(1, 3) } };
    case 'fork': {
      const name = `c${s.n.proc++}`;
      s.procs.set(name, { maps: new Map(p.maps) });
      return at({ op: 'fork', args: { as: name } });
    }
    case 'exit': {
      const name = r.pick(names.slice(1));
      s.procs.delete(name);
      return { op: 'exit', args: {}, proc: name };
    }
    case 'prctl':
      return r.chance(0.75) ? at({ op: 'set_memory_merge', args: { value: r.pick([1, 1, 0]) } }) : at({ op: 'get_memory_merge', args: {} });
    case 'unmerge_all':
      return { op: 'unmerge_all', args: {} };
    default:
      return knob(r, s.smartScan);
  }
}

function knob(r: Random, smartScan: boolean): GenStep {
  const name = r.weighted({ max_page_sharing: 3, use_zero_pages: 2, smart_scan: smartScan ? 1 : 0, merge_across_nodes: 1, stable_node_chains_prune_millisecs: 1, run: 0.5, pages_to_scan: 0.3, sleep_millisecs: 0.3 });
  let value: number;
  switch (name) {
    case 'max_page_sharing': value = r.pick([1, 2, 3, 4, 256]); break;
    case 'use_zero_pages': case 'smart_scan': value = r.pick([0, 1, 1, 2]); break;
    case 'merge_across_nodes': value = r.pick([0, 1, 2]); break;
    case 'stable_node_chains_prune_millisecs': value = r.pick([0, 3_600_000]); break;
    case 'run': value = r.pick([0, 3]); break;
    case 'pages_to_scan': value = r.pick([1, 100, 10000]); break;
    default: value = r.pick([0, 10, 20]);
  }
  return { op: 'ksm_set', args: { name, value } };
}

function generate(rng: Random, opts: GenerateOptions): GeneratedCase {
  const config: Record<string, unknown> = {};
  if (rng.chance(0.45)) config.max_page_sharing = rng.int(2, 4);
  if (rng.chance(0.3)) config.use_zero_pages = 1;
  const s = new State(rng);
  s.smartScan = !opts.kernel || !inRange(opts.kernel, NO_SMART_SCAN);
  if (rng.chance(0.2) && s.smartScan) config.smart_scan = 0;
  if (rng.chance(0.25)) config.stable_node_chains_prune_millisecs = 0;
  return { config, steps: fillSteps([], opts.length, () => step(s)) };
}

export const ksmGenerator: SequenceGenerator = {
  generate,
  doc: 'Documentation/admin-guide/mm/ksm.rst',
  cite: { section: 'Overview', quote: 'looking for pages of identical content which can be replaced by a single write-protected page' },
};
