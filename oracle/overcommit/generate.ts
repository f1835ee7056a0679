// Random overcommit sequences for differential fuzzing: every op of the schema, every
// backing and policy mode, sizes from one page to past the commit limit, and the error
// paths a kernel answers (ranges over holes, growth without room, shrinking past the heap,
// unknown policy values). Names are tracked per process so every step refers to a mapping
// or process an earlier step made.
import { expr, fillSteps, inProc, type GeneratedCase, type GenerateOptions, type GenStep, type SequenceGenerator } from '../core/generate.ts';
import type { Random } from '../core/random.ts';

/** Base pages per default huge page (2 MiB), the size hugetlb mappings come in. */
const HPAGE = 512;

interface GMap {
  pages: number;
  hugetlb: boolean;
}

interface GProc {
  maps: Map<string, GMap>;
  /**
   * Net pages brk steps added to the heap. It may go below 0 by up to BELOW_HEAP: shrinking
   * into the C library's own heap, whose data the process needs (the guests' static probe
   * dies of SIGSEGV once its last pages go).
   */
  heap: number;
}

/** How far brk steps may take the break below where the scenario found it, in all. */
const BELOW_HEAP = 4;

/** Pages a host keeps free under a mode-2 limit for everything else running there (80 MB). */
const CUSHION = 20480;

class State {
  procs = new Map<string, GProc>([['main', { maps: new Map(), heap: 0 }]]);
  nextMap = 0;
  nextProc = 0;
  constructor(
    readonly rng: Random,
    public mode: 0 | 1 | 2,
    readonly disposable: boolean,
  ) {}

  proc(): [string, GProc] {
    const names = [...this.procs.keys()];
    const name = names.length > 1 && this.rng.chance(0.35) ? this.rng.pick(names.slice(1)) : 'main';
    return [name, this.procs.get(name)!];
  }
}

/** The room mode 2 leaves, in pages: what is under CommitLimit, before the reserves. */
const ROOM = 'floor((CommitLimit - Committed_AS) / 4)';

function size(s: State, hugetlb: boolean): number | { expr: string } {
  const r = s.rng;
  if (hugetlb) return HPAGE * r.int(1, 3);
  const kind = r.weighted({ small: 5, medium: 3, large: 2, edge: s.mode === 2 ? 2 : 0, wild: s.mode === 0 ? 0.5 : 0.1 });
  let pages: number;
  switch (kind) {
    case 'small': pages = r.int(1, 32); break;
    case 'medium': pages = r.int(33, 2048); break;
    case 'large': pages = r.int(4096, 65536); break;
    // Around what mode 2 still admits: the room left under CommitLimit, give or take the
    // reserves. A host others use is never taken closer than the cushion, only past it.
    case 'edge':
      return s.disposable || r.chance(0.5)
        ? expr(`max(1, ${ROOM} + ${r.int(s.disposable ? -40000 : 1, 400)})`)
        : expr(`max(1, ${ROOM} - floor(user_reserve_kbytes / 4) - ${CUSHION + r.int(0, 20000)})`);
    // Around mode 0's bound on one request: all of RAM and swap.
    default: return expr(`floor((MemTotal + SwapTotal) / 4) + ${r.int(-1, 1)}`);
  }
  return s.mode === 2 && !s.disposable ? expr(`max(1, min(${pages}, ${ROOM} - floor(user_reserve_kbytes / 4) - ${CUSHION}))`) : pages;
}

/** A range inside a mapping of n pages: {} (all of it) or an offset and a length. */
function range(s: State, m: GMap, defaultAll: boolean): Record<string, number> {
  const r = s.rng;
  const n = m.pages;
  if (defaultAll && r.chance(0.3)) return {};
  const unit = m.hugetlb && r.chance(0.85) ? HPAGE : 1;
  const units = Math.max(1, Math.floor(n / unit));
  const off = r.int(0, units - 1) * unit;
  const pages = Math.min(n - off, r.int(1, Math.max(1, Math.min(units, 64))) * unit);
  return pages > 0 ? { offset: off, pages } : { offset: 0, pages: n };
}

const PROTS = ['rw', 'r', 'none'] as const;

function step(s: State): GenStep | null {
  const r = s.rng;
  const [pname, p] = s.proc();
  const withProc = inProc(pname);
  const maps = [...p.maps.entries()];
  const anyMap = maps.length ? r.pick(maps) : null;
  const op = r.weighted({
    mmap: maps.length < 6 ? 5 : 1,
    touch: anyMap ? 5 : 0,
    munmap: anyMap ? 2.5 : 0,
    mprotect: anyMap ? 3 : 0,
    mremap: anyMap ? 2 : 0,
    madvise: anyMap ? 1 : 0,
    brk: 1.5,
    fork: s.procs.size < 4 ? 1 : 0,
    exit: s.procs.size > 1 ? 1 : 0,
    sysctl: 1,
  });
  switch (op) {
    case 'mmap': {
      const backing = r.weighted({ anon: 6, file: 1.5, zero: 1.5, hugetlb: 1 });
      const hugetlb = backing === 'hugetlb';
      const name = `m${s.nextMap++}`;
      const pages = size(s, hugetlb);
      const args: Record<string, unknown> = { as: name, pages };
      if (backing !== 'anon') args.backing = backing;
      if (r.chance(0.3)) args.shared = true;
      const prot = r.weighted({ rw: 7, r: 2, none: 1 });
      if (prot !== 'rw' || r.chance(0.2)) args.prot = prot;
      if (r.chance(0.15)) args.noreserve = true;
      // A size read from the observation is known only to the kernel: such mappings are
      // not used again, so a refused one leaves no dangling name behind.
      if (typeof pages === 'number') p.maps.set(name, { pages, hugetlb });
      return withProc({ op: 'mmap', args });
    }
    case 'touch': {
      const [name, m] = anyMap!;
      const rg = range(s, m, false);
      const pages = Math.min(rg.pages ?? 1, m.hugetlb ? HPAGE * 2 : 16);
      const args: Record<string, unknown> = { map: name, offset: rg.offset ?? 0, pages };
      if (r.chance(0.3)) args.write = false;
      return withProc({ op: 'touch', args });
    }
    case 'munmap': {
      const [name, m] = anyMap!;
      const rg = range(s, m, true);
      const whole = (rg.offset ?? 0) === 0 && (rg.pages ?? m.pages) === m.pages;
      if (whole) p.maps.delete(name); // the probe forgets a mapping unmapped whole
      return withProc({ op: 'munmap', args: { map: name, ...rg } });
    }
    case 'mprotect': {
      const [name, m] = anyMap!;
      return withProc({ op: 'mprotect', args: { map: name, ...range(s, m, true), prot: r.pick(PROTS) } });
    }
    case 'madvise': {
      const [name, m] = anyMap!;
      return withProc({ op: 'madvise', args: { map: name, ...range(s, m, true), advice: r.pick(['dontfork', 'dofork'] as const) } });
    }
    case 'mremap': {
      const [name, m] = anyMap!;
      const unit = m.hugetlb ? HPAGE : 1;
      const grow = r.chance(0.6);
      const pages = grow ? m.pages + unit * r.int(1, m.hugetlb ? 2 : s.mode === 2 && !s.disposable ? 256 : 4096) : Math.max(unit, m.pages - unit * r.int(1, Math.max(1, m.pages / unit - 1)));
      const args: Record<string, unknown> = { map: name, pages };
      if (r.chance(0.25)) args.maymove = false;
      // Whether it moved, grew or failed, the probe keeps the name; it takes the new size
      // only when the call succeeds, which later steps cannot know: keep the smaller.
      m.pages = Math.min(m.pages, pages);
      return withProc({ op: 'mremap', args });
    }
    case 'brk': {
      const shrink = p.heap > 0 && r.chance(0.4);
      const pages = shrink ? -r.int(1, p.heap + (r.chance(0.1) ? BELOW_HEAP : 0)) : r.int(1, r.chance(0.8) || (s.mode === 2 && !s.disposable) ? 256 : 16384);
      // Below the start the count goes on (a later shrink goes no deeper than BELOW_HEAP in all).
      p.heap += pages;
      return withProc({ op: 'brk', args: { pages } });
    }
    case 'fork': {
      const name = `c${s.nextProc++}`;
      s.procs.set(name, { maps: new Map([...p.maps].map(([k, v]) => [k, { ...v }])), heap: p.heap });
      return withProc({ op: 'fork', args: { as: name } });
    }
    case 'exit': {
      const name = r.pick([...s.procs.keys()].slice(1));
      s.procs.delete(name);
      return { op: 'exit', args: {}, proc: name };
    }
    default:
      return sysctl(s);
  }
}

function sysctl(s: State): GenStep {
  const r = s.rng;
  const name = r.weighted({ overcommit_memory: 3, overcommit_ratio: 2, overcommit_kbytes: 2, nr_hugepages: 1, user_reserve_kbytes: 1, admin_reserve_kbytes: 1 });
  // On a host others use, mode 2 is entered only at the start, with room to spare.
  const tight = !s.disposable && s.mode === 2;
  let value: number | { expr: string };
  switch (name) {
    case 'overcommit_memory':
      value = r.chance(0.05) ? 3 : r.int(0, s.disposable ? 2 : 1);
      if (value <= 2) s.mode = value as 0 | 1 | 2;
      break;
    case 'overcommit_ratio': value = tight ? r.pick([50, 100]) : r.pick([0, 1, 5, 50, 100, r.int(0, 200)]); break;
    case 'overcommit_kbytes': value = expr(`Committed_AS + ${4 * r.int(tight ? 32768 : 1024, 131072)}`); break;
    case 'nr_hugepages': value = r.int(0, 6); break;
    default: value = r.pick([0, 4096, 8192, 131072, r.int(0, 262144)]);
  }
  return { op: 'sysctl', args: { name, value } };
}

function generate(rng: Random, opts: GenerateOptions): GeneratedCase {
  const mode = ({ m0: 0, m1: 1, m2: 2 } as const)[rng.weighted({ m0: 4, m1: 1, m2: 4 })];
  const config: Record<string, unknown> = { overcommit_memory: mode };
  if (rng.chance(0.25)) config.nr_hugepages = rng.int(1, 6);
  const s = new State(rng, mode, opts.disposable);
  const steps: GenStep[] = [];
  // Mode 2 with a limit a little above what is committed now, so that requests meet it.
  if (mode === 2) {
    const room = rng.int(opts.disposable ? 2048 : 32768, 98304);
    if (rng.chance(0.8)) steps.push({ op: 'sysctl', args: { name: 'overcommit_kbytes', value: expr(`Committed_AS + ${4 * room}`) } });
    else if (opts.disposable) config.overcommit_ratio = rng.pick([1, 2, 5, 50]);
    else config.overcommit_ratio = 50;
  }
  return { config, steps: fillSteps(steps, opts.length, () => step(s)) };
}

export const overcommitGenerator: SequenceGenerator = {
  generate,
  doc: 'Documentation/mm/overcommit-accounting.rst',
  cite: { section: 'How It Works', quote: 'The overcommit is based on the following rules' },
};
