// Random hugetlb sequences for differential fuzzing: pools with and without surplus pages,
// mounts with size= and min_size=, files and memfds mapped shared and private, with and
// without reservations, faults past the file's end and past the pool, fork and COW,
// truncation, hole punching and preallocation, and pool resizing while pages are in use.
// Sizes are huge pages. Names are tracked per process as the probe keeps them: a fork's
// child inherits its parent's mappings, files and mounts.
import { fillSteps, inProc, type GeneratedCase, type GenerateOptions, type GenStep, type SequenceGenerator } from '../core/generate.ts';
import type { Random } from '../core/random.ts';

interface GFile {
  mount: string | null;
  open: boolean;
  linked: boolean;
}

interface GProc {
  maps: Map<string, number>;
  files: Map<string, GFile>;
  mounts: Set<string>;
}

class State {
  procs = new Map<string, GProc>([['main', { maps: new Map(), files: new Map(), mounts: new Set() }]]);
  n = { map: 0, file: 0, mount: 0, proc: 0 };
  constructor(
    readonly rng: Random,
    readonly disposable: boolean,
  ) {}
}

function step(s: State): GenStep | null {
  const r = s.rng;
  const names = [...s.procs.keys()];
  const pname = names.length > 1 && r.chance(0.3) ? r.pick(names.slice(1)) : 'main';
  const p = s.procs.get(pname)!;
  const at = inProc(pname);
  const maps = [...p.maps.entries()];
  const files = [...p.files.entries()];
  const openFiles = files.filter(([, f]) => f.open);
  const op = r.weighted({
    mmap: maps.length < 5 ? 5 : 1,
    touch: maps.length ? 6 : 0,
    munmap: maps.length ? 2 : 0,
    mount: p.mounts.size < 2 ? 1 : 0.1,
    umount: p.mounts.size ? 0.4 : 0,
    create: p.mounts.size ? 1.5 : 0,
    memfd_create: 1,
    close: openFiles.length ? 0.8 : 0,
    unlink: files.some(([, f]) => f.mount && f.linked) ? 0.6 : 0,
    ftruncate: openFiles.length ? 1 : 0,
    fallocate: openFiles.length ? 1.2 : 0,
    statfs: p.mounts.size ? 0.5 : 0,
    fork: s.procs.size < 3 ? 0.8 : 0,
    exit: s.procs.size > 1 ? 0.7 : 0,
    sysctl: 0.8,
  });
  switch (op) {
    case 'mmap': {
      const name = `m${s.n.map++}`;
      const pages = r.int(1, 4);
      const args: Record<string, unknown> = { as: name, pages };
      const withFile = openFiles.length && r.chance(0.65);
      if (withFile) {
        args.file = r.pick(openFiles)[0];
        if (r.chance(0.3)) args.offset = r.int(0, 3);
      }
      if (r.chance(withFile ? 0.6 : 0.4)) args.shared = true;
      if (r.chance(0.2)) args.noreserve = true;
      if (r.chance(0.15)) args.prot = 'r';
      p.maps.set(name, pages);
      return at({ op: 'mmap', args });
    }
    case 'touch': {
      const [name, n] = r.pick(maps);
      const offset = r.int(0, n - 1);
      const args: Record<string, unknown> = { map: name, offset, pages: r.int(1, n - offset) };
      if (r.chance(0.25)) args.write = false;
      return at({ op: 'touch', args });
    }
    case 'munmap': {
      const [name, n] = r.pick(maps);
      if (r.chance(0.6)) {
        p.maps.delete(name);
        return at({ op: 'munmap', args: { map: name } });
      }
      const offset = r.int(0, n - 1);
      const pages = r.int(1, n - offset);
      if (offset === 0 && pages === n) p.maps.delete(name);
      return at({ op: 'munmap', args: { map: name, offset, pages } });
    }
    case 'mount': {
      const name = `t${s.n.mount++}`;
      const args: Record<string, unknown> = { as: name };
      // size= with min_size= leaks the subpool's reserve for good on some kernels (a failed
      // fault keeps a used page): only where the machine is thrown away afterwards.
      const kind = r.weighted({ plain: 2, size: 2, min: 1, both: s.disposable ? 2 : 0 });
      if (kind === 'size' || kind === 'both') args.size = r.int(1, 6);
      if (kind === 'min' || kind === 'both') args.min_size = r.int(1, kind === 'both' ? (args.size as number) + (r.chance(0.1) ? 1 : 0) : 4);
      p.mounts.add(name);
      return at({ op: 'mount', args });
    }
    case 'umount': {
      const name = r.pick([...p.mounts]);
      // Busy mounts refuse; the name stays usable until a umount succeeds, which later
      // steps cannot know, so it is forgotten only when nothing of it is open.
      if (!files.some(([, f]) => f.mount === name && (f.open || f.linked))) p.mounts.delete(name);
      return at({ op: 'umount', args: { mount: name } });
    }
    case 'create': {
      const name = `f${s.n.file++}`;
      const mount = r.pick([...p.mounts]);
      p.files.set(name, { mount, open: true, linked: true });
      return at({ op: 'create', args: { as: name, mount } });
    }
    case 'memfd_create': {
      const name = `f${s.n.file++}`;
      p.files.set(name, { mount: null, open: true, linked: false });
      return at({ op: 'memfd_create', args: { as: name } });
    }
    case 'close': {
      const [name, f] = r.pick(openFiles);
      f.open = false;
      return at({ op: 'close', args: { file: name } });
    }
    case 'unlink': {
      const [name, f] = r.pick(files.filter(([, g]) => g.mount && g.linked));
      f.linked = false;
      return at({ op: 'unlink', args: { file: name } });
    }
    case 'ftruncate': {
      const [name] = r.pick(openFiles);
      return at({ op: 'ftruncate', args: { file: name, pages: r.int(0, 4) } });
    }
    case 'fallocate': {
      const [name] = r.pick(openFiles);
      const args: Record<string, unknown> = { file: name, offset: r.int(0, 3), pages: r.int(1, 3) };
      const mode = r.weighted({ alloc: 3, keep: 1, punch: 3 });
      if (mode === 'punch') args.punch_hole = true;
      if (mode === 'keep') args.keep_size = true;
      return at({ op: 'fallocate', args });
    }
    case 'statfs':
      return at({ op: 'statfs', args: { mount: r.pick([...p.mounts]) } });
    case 'fork': {
      const name = `c${s.n.proc++}`;
      s.procs.set(name, {
        maps: new Map(p.maps),
        files: new Map([...p.files].map(([k, f]) => [k, { ...f }])),
        mounts: new Set(p.mounts),
      });
      return at({ op: 'fork', args: { as: name } });
    }
    case 'exit': {
      const name = r.pick(names.slice(1));
      s.procs.delete(name);
      return { op: 'exit', args: {}, proc: name };
    }
    default: {
      const name = r.chance(0.6) ? 'nr_hugepages' : 'nr_overcommit_hugepages';
      return { op: 'sysctl', args: { name, value: r.int(0, name === 'nr_hugepages' ? 8 : 4) } };
    }
  }
}

function generate(rng: Random, opts: GenerateOptions): GeneratedCase {
  const config: Record<string, unknown> = { nr_hugepages: rng.pick([0, 1, 2, 3, 4, 6, 8]) };
  if (rng.chance(0.4)) config.nr_overcommit_hugepages = rng.int(1, 4);
  const s = new State(rng, opts.disposable);
  return { config, steps: fillSteps([], opts.length, () => step(s)) };
}

export const hugetlbGenerator: SequenceGenerator = {
  generate,
  doc: 'Documentation/mm/hugetlbfs_reserv.rst',
  cite: { section: 'Overview', quote: 'reserve huge pages' },
};
