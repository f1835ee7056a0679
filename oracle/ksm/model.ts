// The KSM model: processes whose pages hold contents, and ksmd, which walks the rmap items of
// every registered process in scan order and merges pages of equal content into write-protected
// KSM pages kept in a stable tree (with chains of dups past max_page_sharing), through an
// unstable tree it builds afresh every pass. It follows mm/ksm.c step by step — the order of
// the checks in a page's visit, which node a lookup picks and prunes, when a counter moves —
// so that after any sequence of ops and whole passes it shows what the kernel shows.
//
// Addresses are page numbers. Each process's mappings lie in the order they were made (the
// probe places them so); physical pages are Frame objects, shared by the processes and the
// virtual pages that map them.
import type {
  ContentArgs, DoScanArgs, FillArgs, ForkArgs, KsmConfig, KsmSetArgs, MadviseArgs, MmapArgs, PageArgs, RangeArgs,
  SetMemoryMergeArgs, SettleArgs, WriteArgs,
} from '../../spec/mechanisms/ksm/types.ts';
import type { Observation, StepRequest } from '../../spec/types/protocol.ts';
import { ImplError } from '../core/errors.ts';
import { dispatch, errno, OK, signal, type Concrete, type MechanismModel, type ModelContext, type Outcome } from '../core/model.ts';
import { Behaviour } from '../core/switches.ts';
import { compare, patternContent, withFirstByte, ZERO, type Content } from './content.ts';
import { RbTree, type RbNode } from './rbtree.ts';
import { GAP, Mm, type Frame, type Region, type RmapItem, type StableNode, type Vma, type VPage } from './mm.ts';
import { KSM_SWITCHES } from './switches.ts';
import { adviseVmas, setAllVmas, unmapVmas, vmaAt } from './vma.ts';

export type { Frame, Mm, Region, RmapItem, StableNode, VPage } from './mm.ts';

/** Bytes per page, and per rmap item (struct ksm_rmap_item on 64-bit). */
const PAGE_SIZE = 4096;
const RMAP_ITEM_SIZE = 64;
/** Pages a read fault on a shared mapping maps around it (fault_around_bytes, 64 KiB). */
const FAULT_AROUND = 16;
/** The prune interval below which lookups would prune depending on time (a model cannot). */
const NEVER_PRUNE_MS = 60_000;

export const KSM_DEFAULTS = {
  max_page_sharing: 256, use_zero_pages: 0, merge_across_nodes: 1, smart_scan: 1, pages_to_scan: 100,
  sleep_millisecs: 20, stable_node_chains_prune_millisecs: 3_600_000, advisor_mode: 'none' as 'none' | 'scan-time',
};
/** What switching the advisor sets pages_to_scan to: none, and scan-time (advisor_min_pages_to_scan). */
const ADVISOR_PAGES = { none: 100, 'scan-time': 500 };

const SEGV = signal('SIGSEGV', 'SEGV_MAPERR');
const ITEM_STATE = { none: 0, unstable: 1, stable: 2 } as const;

export class KsmModel implements MechanismModel {
  readonly behaviour: Behaviour;
  readonly procs = new Map<string, Mm>();
  /** ksmd's list of mm slots, in scan order (the keepalive first). */
  readonly slots: Mm[] = [];
  readonly stable = new RbTree<StableNode>();
  unstable = new RbTree<RmapItem>();
  /** The cursor: the slot being scanned (null: between passes), where in it, the item before it. */
  readonly scan = { slot: null as Mm | null, addr: 0, met: false, prev: null as RmapItem | null };
  seqnr = 0;
  knobs: typeof KSM_DEFAULTS & { run: number };
  pagesShared = 0;
  pagesSharing = 0;
  pagesUnshared = 0;
  rmapItems = 0;
  chains = 0;
  dups = 0;
  zeroPages = 0;
  pagesScanned = 0;
  pagesSkipped = 0;
  cowKsm = 0;
  private ids = 0;
  private anonIds = 0;

  constructor(config: KsmConfig, ctx: ModelContext) {
    this.behaviour = new Behaviour(KSM_SWITCHES, ctx);
    this.knobs = { ...KSM_DEFAULTS, run: 0 };
    for (const [k, v] of Object.entries(config)) {
      if (k === 'machine') continue;
      if (k === 'smart_scan' && this.lacks('no-smart-scan')) throw new ImplError('unsupported', 'kernels before 6.7 have no smart_scan');
      if (k === 'advisor_mode' && this.lacks('no-advisor')) throw new ImplError('unsupported', 'kernels before 6.8 have no advisor_mode');
      (this.knobs as Record<string, unknown>)[k] = v;
    }
    if (config.advisor_mode === 'scan-time' && config.pages_to_scan === undefined) this.knobs.pages_to_scan = ADVISOR_PAGES['scan-time'];
    this.checkPruneInterval(this.knobs.stable_node_chains_prune_millisecs);
    const keepalive = new Mm('', true);
    keepalive.registered = true;
    this.slots.push(keepalive);
    this.procs.set('main', new Mm('main'));
  }

  /** Whether this kernel lacks what a feature switch names (asking marks the switch as used). */
  private lacks(name: string): boolean {
    return this.behaviour.on(name);
  }

  private checkPruneInterval(ms: number): void {
    if (ms > 0 && ms < NEVER_PRUNE_MS)
      throw new ImplError('unsupported', `stable_node_chains_prune_millisecs ${ms}: whether a lookup prunes would depend on time (the model takes 0, or ${NEVER_PRUNE_MS} and more: never within a scenario)`);
  }

  // ---------------------------------------------------------------- observation

  observe(): Observation {
    const o: Observation = {
      pages_shared: this.pagesShared,
      pages_sharing: this.pagesSharing,
      pages_unshared: this.pagesUnshared,
      pages_volatile: Math.max(0, this.rmapItems - this.pagesShared - this.pagesSharing - this.pagesUnshared),
      stable_node_chains: this.chains,
      stable_node_dups: this.dups,
      full_scans: this.seqnr,
    };
    const zeroCounted = !this.lacks('no-ksm-zero-pages');
    if (zeroCounted) o.ksm_zero_pages = this.zeroPages;
    if (!this.lacks('no-general-profit')) o.general_profit = (this.pagesSharing + (zeroCounted ? this.zeroPages : 0)) * PAGE_SIZE - this.rmapItems * RMAP_ITEM_SIZE;
    const smart = !this.lacks('no-smart-scan');
    if (smart) {
      o.pages_scanned = this.pagesScanned;
      o.pages_skipped = this.pagesSkipped;
    }
    o.cow_ksm = this.cowKsm;
    const k = this.knobs;
    Object.assign(o, {
      run: k.run, max_page_sharing: k.max_page_sharing, use_zero_pages: k.use_zero_pages, merge_across_nodes: k.merge_across_nodes,
      pages_to_scan: k.pages_to_scan, sleep_millisecs: k.sleep_millisecs, stable_node_chains_prune_millisecs: k.stable_node_chains_prune_millisecs,
    });
    if (smart) o.smart_scan = k.smart_scan;
    if (!this.lacks('no-advisor')) o.advisor_mode = k.advisor_mode;
    const profit = !this.lacks('no-general-profit');
    const flags = !this.lacks('no-ksm-stat-merge-flags');
    for (const [name, mm] of this.procs) {
      o[`${name}.ksm_rmap_items`] = mm.rmapItems;
      if (zeroCounted) o[`${name}.ksm_zero_pages`] = mm.zeroPages;
      o[`${name}.ksm_merging_pages`] = mm.mergingPages;
      if (profit) {
        o[`${name}.ksm_process_profit`] = (mm.mergingPages + (zeroCounted ? mm.zeroPages : 0)) * PAGE_SIZE - mm.rmapItems * RMAP_ITEM_SIZE;
        o[`${name}.memory_merge`] = mm.mergeAny ? 1 : 0;
      }
      if (flags) {
        o[`${name}.ksm_merge_any`] = mm.mergeAny ? 1 : 0;
        o[`${name}.ksm_mergeable`] = mm.regions.some((r) => r.vp.some((v) => v?.mergeable)) ? 1 : 0;
      }
      for (const r of mm.regions) this.observeRegion(o, name, r);
    }
    return o;
  }

  /** A mapping's fields, into o. */
  private observeRegion(o: Observation, proc: string, r: Region): void {
    let present = 0;
    let ksm = 0;
    let zero = 0;
    const distinct = new Set<Frame>();
    const anyAnon = this.behaviour.on('kpageflags-ksm-every-anon-page');
    for (const v of r.vp) {
      if (!v?.pte) continue;
      present++;
      if ('zero' in v.pte) zero++;
      else if (v.pte.frame.ksm || (anyAnon && !v.pte.frame.shmem)) {
        ksm++;
        distinct.add(v.pte.frame);
      }
    }
    const byCount = new Map<number, number>();
    for (const f of distinct) byCount.set(f.mapcount, (byCount.get(f.mapcount) ?? 0) + 1);
    const sharing = [...byCount].sort((a, b) => a[0] - b[0]).map(([m, n]) => `${m}x${n}`).join(' ');
    const p = `${proc}.${r.name}`;
    o[`${p}.present`] = present;
    o[`${p}.ksm`] = ksm;
    o[`${p}.zero`] = zero;
    o[`${p}.ksm_pages`] = distinct.size;
    o[`${p}.sharing`] = sharing;
  }

  // ---------------------------------------------------------------- steps

  step(req: StepRequest): Outcome {
    return dispatch(this, 'ksm', this.ops, this.procs, req);
  }

  private range(mm: Mm, a: { map: string; offset?: number; pages?: number }, defaultRest = true): [Region, number, number] {
    const r = mm.region(a.map);
    const off = a.offset ?? 0;
    const n = a.pages ?? (defaultRest ? r.pages - off : 1);
    if (off < 0 || n < 0 || off + n > r.pages) throw new ImplError('invalid', `pages ${off}..${off + n} lie outside mapping '${a.map}' (${r.pages} pages)`);
    return [r, off, off + n];
  }

  private readonly ops = {
    mmap(this: KsmModel, mm: Mm, a: Concrete<MmapArgs>): Outcome {
      if (mm.regions.some((r) => r.name === a.as)) throw new ImplError('invalid', `mapping '${a.as}' already exists in this process`);
      const shared = a.shared ?? false;
      // A process merging any (PR_SET_MEMORY_MERGE) gets every new compatible mapping mergeable.
      const mergeable = mm.mergeAny && !shared;
      const r: Region = {
        name: a.as, base: mm.next, pages: a.pages, shared,
        vp: Array.from({ length: a.pages }, () => ({ pte: null, mergeable })),
        vmas: [{ start: 0, end: a.pages, mergeable, anon: 0, cloned: false }],
        shm: shared ? Array.from({ length: a.pages }, () => null) : null,
      };
      mm.next += a.pages + GAP;
      mm.regions.push(r);
      if (mergeable && !mm.registered) this.enter(mm);
      return OK;
    },

    fill(this: KsmModel, mm: Mm, a: Concrete<FillArgs>): Outcome {
      const [r, from, to] = this.range(mm, a);
      for (let i = from; i < to; i++) {
        const v = r.vp[i];
        if (!v) return SEGV;
        this.writePage(mm, r, i, patternContent(a, i));
      }
      return OK;
    },

    write(this: KsmModel, mm: Mm, a: Concrete<WriteArgs>): Outcome {
      const [r, i] = this.range(mm, { map: a.map, offset: a.offset, pages: 1 });
      const v = r.vp[i];
      if (!v) return SEGV;
      const old = v.pte && 'frame' in v.pte ? v.pte.frame.content : ZERO;
      this.writePage(mm, r, i, withFirstByte(old, a.value));
      return OK;
    },

    read(this: KsmModel, mm: Mm, a: Concrete<RangeArgs>): Outcome {
      const [r, from, to] = this.range(mm, a);
      for (let i = from; i < to; i++) {
        const v = r.vp[i];
        if (!v) return SEGV;
        if (v.pte) continue;
        if (!r.shm) {
          v.pte = { zero: true, ksm: false }; // a read fault maps the zero page
          continue;
        }
        // A read fault on shmem maps, around the page, the pages the object already has
        // (fault-around: the 16-page block, within the VMA and the page table), then the page.
        const from = Math.max(Math.floor(i / FAULT_AROUND) * FAULT_AROUND, vmaAt(r, i)!.start);
        const to = Math.min(from + FAULT_AROUND, vmaAt(r, i)!.end, (Math.floor(i / 512) + 1) * 512);
        for (let j = from; j < to; j++) {
          const w = r.vp[j];
          if (w && !w.pte && r.shm[j]) w.pte = { frame: this.shmPage(r, j) };
        }
        if (!v.pte) v.pte = { frame: this.shmPage(r, i) };
      }
      return OK;
    },

    madvise(this: KsmModel, mm: Mm, a: Concrete<MadviseArgs>): Outcome {
      const [r, from, to] = this.range(mm, a);
      let hole = false;
      for (let i = from; i < to; i++) {
        const v = r.vp[i];
        if (!v) {
          hole = true; // an unmapped gap: ENOMEM, after working on the mapped parts
          continue;
        }
        if (a.advice === 'mergeable') {
          if (v.mergeable || r.shared) continue; // shared mappings: the advice is ignored
          if (!mm.registered) this.enter(mm);
        } else if (v.mergeable) {
          this.breakKsm(mm, v);
        }
      }
      if (!r.shared) adviseVmas(r, from, to, a.advice === 'mergeable', this.behaviour.on('vma-anon-merge-either-way'));
      return hole ? errno('ENOMEM') : OK;
    },

    munmap(this: KsmModel, mm: Mm, a: Concrete<RangeArgs>): Outcome {
      const [r, from, to] = this.range(mm, a);
      for (let i = from; i < to; i++) {
        const v = r.vp[i];
        if (!v) continue;
        this.unmapPte(mm, v);
        r.vp[i] = null;
      }
      unmapVmas(r, from, to);
      // The probe forgets a mapping unmapped whole.
      if (from === 0 && to === r.pages) mm.regions.splice(mm.regions.indexOf(r), 1);
      return OK;
    },

    set_memory_merge(this: KsmModel, mm: Mm, a: Concrete<SetMemoryMergeArgs>): Outcome {
      if (this.lacks('no-general-profit')) return errno('EINVAL');
      if (a.value) {
        if (mm.mergeAny) return OK;
        if (!mm.registered) this.enter(mm);
        mm.mergeAny = true;
        // ksm_add_vmas: every compatible VMA gets the flag where it is (no VMA is merged).
        for (const r of mm.regions) if (!r.shared) setAllVmas(r, true);
        return OK;
      }
      if (!mm.mergeAny) return OK;
      // Unmerges every mergeable mapping of the process, whoever made it mergeable.
      for (const r of mm.regions) {
        for (const v of r.vp) {
          if (v?.mergeable) this.breakKsm(mm, v);
        }
        setAllVmas(r, false);
      }
      mm.mergeAny = false;
      return OK;
    },

    get_memory_merge(this: KsmModel, mm: Mm): Outcome {
      if (this.lacks('no-general-profit')) return errno('EINVAL');
      return { ...OK, value: mm.mergeAny ? 1 : 0 };
    },

    ksm_set(this: KsmModel, _mm: Mm, a: Concrete<KsmSetArgs>): Outcome {
      return this.setKnob(a.name, String(a.value));
    },

    unmerge_all(this: KsmModel): Outcome {
      return this.setKnob('run', '2');
    },

    settle(this: KsmModel, _mm: Mm, a: Concrete<SettleArgs>): Outcome {
      if (this.knobs.advisor_mode === 'scan-time') throw new ImplError('unsupported', 'a settle under the scan-time advisor: pages_to_scan would follow the time scans take');
      for (let i = 0; i < a.scans; i++) this.doScan(Infinity);
      this.knobs.run = 0;
      return OK;
    },

    fork(this: KsmModel, mm: Mm, a: Concrete<ForkArgs>): Outcome {
      if (this.procs.has(a.as)) throw new ImplError('invalid', `process '${a.as}' exists already`);
      const child = new Mm(a.as);
      child.next = mm.next;
      child.mergeAny = mm.mergeAny;
      // dup_mmap: page table entries are copied only for a VMA with an anon_vma; the child
      // faults the others in again (zero pages, shared pages) when it touches them.
      child.regions = mm.regions.map((r) => ({
        ...r,
        vmas: r.vmas.map((x) => ({ ...x, cloned: x.anon !== 0 })),
        vp: r.vp.map((v, i) => {
          if (!v) return null;
          const copy = v.pte !== null && vmaAt(r, i)!.anon !== 0;
          if (copy && v.pte && 'frame' in v.pte) v.pte.frame.mapcount++;
          return { pte: copy && v.pte ? ('zero' in v.pte ? { ...v.pte } : v.pte) : null, mergeable: v.mergeable };
        }),
      }));
      // The copy of the mm_struct starts with the parent's counters; ksm_fork resets them.
      if (this.behaviour.on('fork-copies-ksm-counters')) {
        child.rmapItems = mm.rmapItems;
        child.mergingPages = mm.mergingPages;
      }
      // ksm_fork: the copy of the mm keeps the parent's count of KSM-placed zero pages, now mapped twice.
      if (mm.registered) {
        if (!this.lacks('no-ksm-zero-pages')) {
          child.zeroPages = mm.zeroPages;
          this.zeroPages += child.zeroPages;
        }
        this.enter(child);
      }
      this.procs.set(a.as, child);
      return OK;
    },

    exit(this: KsmModel, mm: Mm, _a: unknown, proc: string): Outcome {
      if (proc === 'main') throw new ImplError('invalid', 'the main process cannot exit; exit a forked child');
      this.exitMm(mm);
      this.procs.delete(proc);
      return OK;
    },

    // ---- internal ops

    ksm_do_scan(this: KsmModel, _mm: Mm, a: Concrete<DoScanArgs>): Outcome {
      return { ...OK, value: this.doScan(a.pages) };
    },

    scan_rmap_item(this: KsmModel, mm: Mm, a: Concrete<PageArgs>): Outcome {
      const [r, i] = this.range(mm, { map: a.map, offset: a.offset, pages: 1 });
      const v = r.vp[i];
      const frame = v?.mergeable && v.pte && 'frame' in v.pte && !v.pte.frame.shmem ? v.pte.frame : null;
      if (!frame) return { ...OK, value: -1 };
      const item = mm.item(r.base + i) ?? this.insertItem(mm, r.base + i);
      this.cmpAndMerge(item, frame);
      return { ...OK, value: ITEM_STATE[item.state] };
    },

    rmap_item_state(this: KsmModel, mm: Mm, a: Concrete<PageArgs>): Outcome {
      const [r, i] = this.range(mm, { map: a.map, offset: a.offset, pages: 1 });
      const item = mm.item(r.base + i);
      return { ...OK, value: item ? ITEM_STATE[item.state] : -1 };
    },

    calc_checksum(this: KsmModel, mm: Mm, a: Concrete<PageArgs>): Outcome {
      const [r, i] = this.range(mm, { map: a.map, offset: a.offset, pages: 1 });
      const item = mm.item(r.base + i);
      const pte = r.vp[i]?.pte;
      if (!item || !pte || !('frame' in pte)) return { ...OK, value: -1 };
      return { ...OK, value: item.old === pte.frame.content ? 1 : 0 };
    },

    stable_tree_search(this: KsmModel, _mm: Mm, a: Concrete<ContentArgs>): Outcome {
      const probe: Frame = { id: -1, content: patternContent(a, a.index ?? 0), mapcount: 1, ksm: false, node: null, shmem: false };
      const k = this.stableTreeSearch(probe);
      return { ...OK, value: k?.node ? k.node.len : 0 };
    },

    unstable_tree_search(this: KsmModel, _mm: Mm, a: Concrete<ContentArgs>): Outcome {
      const c = patternContent(a, a.index ?? 0);
      for (let n = this.unstable.root; n; ) {
        const f = this.mergeablePage(n.value);
        if (!f) return { ...OK, value: 0 };
        const d = compare(c, f.content);
        if (d === 0) return { ...OK, value: 1 };
        n = d < 0 ? n.left : n.right;
      }
      return { ...OK, value: 0 };
    },

    chain_dups(this: KsmModel, _mm: Mm, a: Concrete<ContentArgs>): Outcome {
      const c = patternContent(a, a.index ?? 0);
      const node = this.stable.values().find((s) => this.contentOf(s) === c);
      return { ...OK, value: node?.chain ? node.dups.length : 0 };
    },

    stable_tree_nodes(this: KsmModel): Outcome {
      return { ...OK, value: this.stable.size };
    },
  };

  // ---------------------------------------------------------------- pages

  private frame(content: Content, shmem = false): Frame {
    return { id: this.ids++, content, mapcount: 1, ksm: false, node: null, shmem };
  }

  private dropFrame(f: Frame): void {
    f.mapcount--;
  }

  /** A user write of a whole page's new content: in place, or into a fresh copy. */
  private writePage(mm: Mm, r: Region, i: number, content: Content): void {
    const v = r.vp[i]!;
    if (r.shm) {
      if (!v.pte) v.pte = { frame: this.shmPage(r, i) };
      (v.pte as { frame: Frame }).frame.content = content;
      return;
    }
    // A write fault in a private mapping gives its VMA an anon_vma: a neighbour's, if one
    // of the same flags has one of its own (anon_vma_prepare), else a new one.
    const vma = vmaAt(r, i)!;
    if (!vma.anon) {
      const k = r.vmas.indexOf(vma);
      const reusable = (x: Vma | undefined) => x && x.anon && !x.cloned && x.mergeable === vma.mergeable && (x.end === vma.start || x.start === vma.end);
      const next = r.vmas[k + 1];
      const prev = r.vmas[k - 1];
      vma.anon = reusable(next) ? next!.anon : reusable(prev) ? prev!.anon : ++this.anonIds;
    }
    const pte = v.pte;
    if (pte && 'frame' in pte) {
      const f = pte.frame;
      if (!f.ksm && f.mapcount === 1) {
        f.content = content; // the only mapping of an anonymous page: reused
        return;
      }
      if (f.ksm) this.cowKsm++;
      this.dropFrame(f);
    } else if (pte && pte.ksm) {
      this.unmapZero(mm);
    }
    v.pte = { frame: this.frame(content) };
  }

  /** A shared mapping's page i, made (zero-filled) at its first fault. */
  private shmPage(r: Region, i: number): Frame {
    const f = r.shm![i] ?? (r.shm![i] = { ...this.frame(ZERO, true), mapcount: 0 });
    f.mapcount++;
    return f;
  }

  /** A page table entry goes (munmap, exit). */
  private unmapPte(mm: Mm, v: VPage): void {
    const pte = v.pte;
    if (!pte) return;
    if ('frame' in pte) this.dropFrame(pte.frame);
    else if (pte.ksm) this.unmapZero(mm);
    v.pte = null;
  }

  /** ksm_might_unmap_zero_page: a zero page KSM mapped is no longer mapped here. */
  private unmapZero(mm: Mm): void {
    this.zeroPages--;
    mm.zeroPages--;
  }

  /** break_ksm: a KSM page (or, where counted, a KSM-placed zero page) is replaced by a private copy. */
  protected breakKsm(mm: Mm, v: VPage): void {
    const pte = v.pte;
    if (!pte) return;
    if ('frame' in pte) {
      if (!pte.frame.ksm) return;
      this.cowKsm++;
      this.dropFrame(pte.frame);
      v.pte = { frame: this.frame(pte.frame.content) };
    } else if (pte.ksm) {
      this.unmapZero(mm);
      v.pte = { frame: this.frame(ZERO) };
    }
  }

  // ---------------------------------------------------------------- mm slots

  /** __ksm_enter: a slot just behind the cursor (at the end of the list between passes, and during run=2). */
  private enter(mm: Mm): void {
    mm.registered = true;
    const at = this.knobs.run === 2 || !this.scan.slot ? this.slots.length : this.slots.indexOf(this.scan.slot);
    this.slots.splice(at, 0, mm);
  }

  private unregister(mm: Mm): void {
    const i = this.slots.indexOf(mm);
    if (i >= 0) this.slots.splice(i, 1);
    mm.registered = false;
  }

  /** __ksm_exit, then the teardown of the address space. */
  private exitMm(mm: Mm): void {
    if (mm.registered && this.scan.slot !== mm) {
      if (!mm.head) this.unregister(mm);
      else {
        // Left for ksmd to free, right after the cursor: first thing in the next pass.
        this.slots.splice(this.slots.indexOf(mm), 1);
        this.slots.splice(this.scan.slot ? this.slots.indexOf(this.scan.slot) + 1 : 0, 0, mm);
      }
    }
    for (const r of mm.regions) for (const v of r.vp) if (v) this.unmapPte(mm, v);
    mm.regions = [];
    mm.exited = true;
  }

  // ---------------------------------------------------------------- knobs

  private setKnob(name: KsmSetArgs['name'], raw: string): Outcome {
    const k = this.knobs;
    const uint = (): number | null => (/^\+?\d+\n?$/.test(raw) && Number(raw) <= 0xffffffff ? Number(raw) : null);
    switch (name) {
      case 'run': {
        const v = uint();
        if (v === null || v > 2) return errno('EINVAL');
        if (v === 1) throw new ImplError('invalid', 'ksmd runs only inside settle: run=1 is settle');
        if (k.run !== v) {
          k.run = v;
          if (v === 2) this.unmergeAll();
        }
        return OK;
      }
      case 'max_page_sharing': {
        if (!/^[+-]?\d+\n?$/.test(raw)) return errno('EINVAL');
        const v = Number(raw);
        if (v > 0x7fffffff || v < -0x80000000) return errno('ERANGE');
        if (v < 2) return errno('EINVAL');
        if (v === k.max_page_sharing) return OK;
        if (this.pagesShared || this.removeAllStableNodes()) return errno('EBUSY');
        k.max_page_sharing = v;
        return OK;
      }
      case 'merge_across_nodes': {
        if (!/^\+?\d+\n?$/.test(raw)) return errno('EINVAL');
        const v = Number(raw);
        if (v > 1) return errno('EINVAL');
        if (v !== k.merge_across_nodes) {
          if (this.pagesShared || this.removeAllStableNodes()) return errno('EBUSY');
          k.merge_across_nodes = v;
        }
        return OK;
      }
      case 'use_zero_pages':
      case 'smart_scan': {
        if (name === 'smart_scan' && this.lacks('no-smart-scan')) throw new ImplError('unsupported', 'kernels before 6.7 have no smart_scan');
        const b = strtobool(raw);
        if (b === null) return errno('EINVAL');
        k[name] = b ? 1 : 0;
        return OK;
      }
      case 'pages_to_scan': {
        if (!this.lacks('no-advisor') && k.advisor_mode !== 'none') return errno('EINVAL');
        const v = uint();
        if (v === null) return errno('EINVAL');
        k.pages_to_scan = v;
        return OK;
      }
      case 'sleep_millisecs':
      case 'stable_node_chains_prune_millisecs': {
        const v = uint();
        if (v === null) return errno('EINVAL');
        if (name === 'stable_node_chains_prune_millisecs') this.checkPruneInterval(v);
        k[name] = v;
        return OK;
      }
      case 'advisor_mode': {
        if (this.lacks('no-advisor')) throw new ImplError('unsupported', 'kernels before 6.8 have no advisor_mode');
        const v = raw.replace(/\n$/, '');
        if (v !== 'none' && v !== 'scan-time') return errno('EINVAL');
        if (v !== k.advisor_mode) {
          k.advisor_mode = v;
          k.pages_to_scan = ADVISOR_PAGES[v];
        }
        return OK;
      }
    }
  }

  /** run=2: every mergeable page unmerged, every rmap item freed, the stable tree emptied, full_scans 0. */
  private unmergeAll(): void {
    for (const mm of [...this.slots]) {
      if (!mm.exited) for (const r of mm.regions) for (const v of r.vp) if (v?.mergeable) this.breakKsm(mm, v);
      this.removeItemsFrom(mm, null);
      if (mm.exited) this.unregister(mm);
    }
    this.removeAllStableNodes();
    this.seqnr = 0;
    this.scan.slot = null;
    this.scan.prev = null;
  }

  /** remove_all_stable_nodes: true when a node is still mapped (busy). */
  private removeAllStableNodes(): boolean {
    while (this.stable.root) {
      if (this.removeStableNodeChain(this.stable.root.value)) return true;
    }
    return false;
  }

  private removeStableNodeChain(node: StableNode): boolean {
    if (!node.chain) return this.removeStableNode(node);
    for (const dup of [...node.dups]) if (this.removeStableNode(dup)) return true;
    this.freeChain(node);
    return false;
  }

  /** remove_stable_node: a live node's page is mapped (busy); a stale one goes. */
  private removeStableNode(node: StableNode): boolean {
    if (this.getFolio(node)) return true;
    return false;
  }

  // ---------------------------------------------------------------- the scan

  /** ksm_do_scan: up to n pages (Infinity: to the end of the pass); returns how many. */
  private doScan(n: number): number {
    let done = 0;
    while (done < n) {
      const next = this.scanNext();
      if (!next) break;
      this.cmpAndMerge(next.item, next.frame);
      this.pagesScanned++;
      done++;
    }
    return done;
  }

  /** scan_get_next_rmap_item: the next page to visit and its rmap item, or null at the end of a pass. */
  private scanNext(): { item: RmapItem; frame: Frame } | null {
    const s = this.scan;
    if (!s.slot) {
      // A new pass: the unstable tree starts empty.
      this.unstable = new RbTree();
      if (!this.slots.length) return null;
      s.slot = this.slots[0]!;
      s.addr = 0;
      s.met = false;
      s.prev = null;
    }
    for (;;) {
      const mm: Mm = s.slot!;
      if (mm.exited) {
        s.met = false;
        s.prev = null;
      } else {
        const found = this.walk(mm);
        if (found) return found;
      }
      // Nothing further in this mm: items past the cursor have no page any more.
      this.removeItemsFrom(mm, s.prev);
      const next: Mm | null = this.slots[this.slots.indexOf(mm) + 1] ?? null;
      if (!s.met && !mm.keepalive) this.unregister(mm); // no mergeable area left (or exiting)
      s.slot = next;
      if (next) {
        s.addr = 0;
        s.met = false;
        s.prev = null;
        continue;
      }
      this.seqnr++;
      return null;
    }
  }

  /** The next present anonymous page of a mergeable area at or past the cursor, with its rmap item. */
  private walk(mm: Mm): { item: RmapItem; frame: Frame } | null {
    const s = this.scan;
    if (mm.keepalive) s.met = true;
    for (const r of mm.regions) {
      if (r.base + r.pages <= s.addr) continue;
      for (let i = Math.max(0, s.addr - r.base); i < r.pages; i++) {
        const v = r.vp[i];
        if (!v?.mergeable) continue;
        s.met = true;
        const pte = v.pte;
        if (!pte || !('frame' in pte) || pte.frame.shmem) continue;
        const addr = r.base + i;
        const item = this.nextItem(mm, addr);
        s.addr = addr + 1;
        if (this.shouldSkip(pte.frame, item)) continue;
        return { item, frame: pte.frame };
      }
    }
    return null;
  }

  /** get_next_rmap_item: items before addr have no page any more and go; addr's is found or made. */
  private nextItem(mm: Mm, addr: number): RmapItem {
    const s = this.scan;
    for (;;) {
      const cur = s.prev ? s.prev.next : mm.head;
      if (!cur || cur.addr > addr) break;
      if (cur.addr === addr) {
        s.prev = cur;
        return cur;
      }
      this.unlinkItem(mm, s.prev, cur);
    }
    const item = this.newItem(mm, addr);
    const after = s.prev ? s.prev.next : mm.head;
    item.next = after;
    if (s.prev) s.prev.next = item;
    else mm.head = item;
    s.prev = item;
    return item;
  }

  /** An item for a page outside the scan's order (scan_rmap_item), in its address place. */
  private insertItem(mm: Mm, addr: number): RmapItem {
    const item = this.newItem(mm, addr);
    let prev: RmapItem | null = null;
    for (let it = mm.head; it && it.addr < addr; it = it.next) prev = it;
    item.next = prev ? prev.next : mm.head;
    if (prev) prev.next = item;
    else mm.head = item;
    return item;
  }

  private newItem(mm: Mm, addr: number): RmapItem {
    this.rmapItems++;
    mm.rmapItems++;
    return { mm, addr, old: null, age: 0, skips: 0, state: 'none', seq: 0, head: null, rb: null, next: null };
  }

  private unlinkItem(mm: Mm, prev: RmapItem | null, it: RmapItem): void {
    if (prev) prev.next = it.next;
    else mm.head = it.next;
    this.removeFromTree(it);
    this.rmapItems--;
    mm.rmapItems--;
  }

  /** remove_trailing_rmap_items: every item after prev (all of them when prev is null). */
  private removeItemsFrom(mm: Mm, prev: RmapItem | null): void {
    for (let it = prev ? prev.next : mm.head; it; it = prev ? prev.next : mm.head) this.unlinkItem(mm, prev, it);
  }

  /** Smart scan: a page that keeps failing to merge is skipped for 1, 2, 4 then 8 passes at a time. */
  private shouldSkip(frame: Frame, item: RmapItem): boolean {
    if (this.lacks('no-smart-scan') || !this.knobs.smart_scan || frame.ksm) return false;
    const age = item.age;
    if (age !== 255) item.age++;
    if (age < 3) return false;
    if (!item.skips) {
      item.skips = age <= 3 ? 1 : age <= 5 ? 2 : age <= 8 ? 4 : 8;
      return false;
    }
    this.pagesSkipped++;
    item.skips--;
    this.removeFromTree(item);
    return true;
  }

  // ---------------------------------------------------------------- a page's visit

  /** cmp_and_merge_page. */
  private cmpAndMerge(item: RmapItem, frame: Frame): void {
    const old = this.behaviour.on('stable-search-before-checksum');
    const node = frame.ksm ? frame.node : null;
    let bypass = false;
    if (node) {
      if (item.head === node) return;
      bypass = !this.candidate(node); // a KSM page forked: may go past max_page_sharing
    } else if (!old) {
      this.removeFromTree(item);
      // A page whose checksum changed since the last visit is left alone this time.
      if (item.old !== frame.content) {
        item.old = frame.content;
        return;
      }
      if (this.mergeWithZeroPage(item, frame)) return;
    }
    const kframe = this.stableTreeSearch(frame);
    if (kframe === frame && item.head === node) return;
    this.removeFromTree(item);
    if (kframe) {
      if (this.mergeWithKsmPage(item, frame, kframe)) this.stableTreeAppend(item, kframe.node!, bypass);
      return;
    }
    if (old && !node) {
      if (item.old !== frame.content) {
        item.old = frame.content;
        return;
      }
      if (this.mergeWithZeroPage(item, frame)) return;
    }
    const tree = this.unstableSearchInsert(item, frame);
    if (!tree) return;
    if (!this.mergeWithKsmPage(item, frame, null)) return;
    if (!this.mergeWithKsmPage(tree.item, tree.frame, frame)) {
      this.breakCow(item);
      return;
    }
    const dup = this.stableTreeInsert(frame);
    this.stableTreeAppend(tree.item, dup, false);
    this.stableTreeAppend(item, dup, false);
  }

  /** try_to_merge_with_zero_page: true when the page is done with (replaced by the zero page). */
  private mergeWithZeroPage(item: RmapItem, frame: Frame): boolean {
    if (!this.knobs.use_zero_pages || item.old !== ZERO || frame.content !== ZERO) return false;
    const v = this.pageOf(item);
    if (!v) return true; // the area is gone: nothing more to do
    this.dropFrame(frame);
    const counted = !this.lacks('no-ksm-zero-pages');
    v.pte = { zero: true, ksm: counted };
    if (counted) {
      this.zeroPages++;
      item.mm.zeroPages++;
    }
    return true;
  }

  /** The virtual page of an item, if it is still in a mergeable area (find_mergeable_vma). */
  private pageOf(item: RmapItem): VPage | null {
    if (item.mm.exited) return null;
    const v = item.mm.at(item.addr)?.v;
    return v?.mergeable ? v : null;
  }

  /** get_mergeable_page: the anonymous page an item's address maps, if any. */
  private mergeablePage(item: RmapItem): Frame | null {
    const pte = this.pageOf(item)?.pte;
    return pte && 'frame' in pte && !pte.frame.shmem ? pte.frame : null;
  }

  /**
   * try_to_merge_with_ksm_page: the item's page is replaced by kframe (or, kframe null, becomes a
   * KSM page itself); the item leaves any tree it was in.
   */
  private mergeWithKsmPage(item: RmapItem, frame: Frame, kframe: Frame | null): boolean {
    const v = this.pageOf(item);
    if (!v) return false;
    if (frame !== kframe) {
      if (frame.shmem) return false;
      if (!kframe) {
        frame.ksm = true;
        frame.node = null;
      } else {
        if (frame.content !== kframe.content) return false;
        kframe.mapcount++;
        this.dropFrame(frame);
        v.pte = { frame: kframe };
      }
    }
    this.removeFromTree(item);
    return true;
  }

  /** break_cow: undo a merge of the item's page. */
  private breakCow(item: RmapItem): void {
    const v = this.pageOf(item);
    if (v) this.breakKsm(item.mm, v);
  }

  // ---------------------------------------------------------------- trees

  protected candidate(n: StableNode, more = 0): boolean {
    return n.len > 0 && n.len + more < this.knobs.max_page_sharing;
  }

  /** ksm_get_folio: a node's KSM page if it is still its; a stale node is removed. */
  private getFolio(node: StableNode): Frame | null {
    const f = node.frame!;
    if (f.mapcount > 0 && f.ksm && f.node === node) return f;
    this.removeNodeFromStableTree(node);
    return null;
  }

  /** remove_node_from_stable_tree: every item of a stale node leaves the stable tree, and the node goes. */
  private removeNodeFromStableTree(node: StableNode): void {
    let left = node.items.size;
    for (const it of node.items) {
      if (--left > 0) this.pagesSharing--;
      else this.pagesShared--;
      it.mm.mergingPages--;
      it.state = 'none';
      it.head = null;
    }
    node.items.clear();
    node.len = 0;
    if (node.of) {
      const chain = node.of;
      chain.dups.splice(chain.dups.indexOf(node), 1);
      node.of = null;
      this.dups--;
    } else if (node.rb) {
      this.stable.erase(node.rb);
      node.rb = null;
    }
  }

  /** remove_rmap_item_from_tree. */
  private removeFromTree(item: RmapItem): void {
    if (item.state === 'stable') {
      const node = item.head!;
      if (!this.getFolio(node)) return; // the whole node went, this item with it
      node.items.delete(item);
      node.len--;
      if (node.items.size) this.pagesSharing--;
      else this.pagesShared--;
      item.mm.mergingPages--;
      item.head = null;
      item.state = 'none';
    } else if (item.state === 'unstable') {
      // Only an item inserted in this pass is still in the (rebuilt) unstable tree.
      if (((this.seqnr - item.seq) & 0xff) === 0 && item.rb) this.unstable.erase(item.rb);
      item.rb = null;
      this.pagesUnshared--;
      item.state = 'none';
    }
  }

  private stableTreeAppend(item: RmapItem, node: StableNode, _bypass: boolean): void {
    node.len++;
    item.head = node;
    item.state = 'stable';
    if (node.items.size) this.pagesSharing++;
    else this.pagesShared++;
    node.items.add(item);
    item.mm.mergingPages++;
  }

  private newNode(frame: Frame | null, chain: boolean): StableNode {
    return { id: this.ids++, chain, frame, items: new Set(), len: 0, dups: [], of: null, rb: null };
  }

  private freeChain(chain: StableNode): void {
    this.stable.erase(chain.rb!);
    chain.rb = null;
    this.chains--;
  }

  /** A chain takes a regular node's place in the tree, the node its first dup. */
  private makeChain(node: StableNode): StableNode {
    const chain = this.newNode(null, true);
    chain.rb = RbTree.node(chain);
    this.stable.replace(node.rb!, chain.rb);
    node.rb = null;
    this.chains++;
    this.addDup(chain, node);
    return chain;
  }

  private addDup(chain: StableNode, dup: StableNode): void {
    dup.of = chain;
    chain.dups.unshift(dup);
    this.dups++;
  }

  /** A chain replaced by its only dup, which takes its place in the tree. */
  private collapse(chain: StableNode, dup: StableNode): void {
    dup.rb = RbTree.node(dup);
    this.stable.replace(chain.rb!, dup.rb);
    chain.rb = null;
    chain.dups = [];
    dup.of = null;
    this.chains--;
    this.dups--;
  }

  private pruneDue(): boolean {
    return this.knobs.stable_node_chains_prune_millisecs === 0;
  }

  /**
   * chain_prune / chain on a node of the tree: the KSM page to compare with (null: the node went,
   * restart), the dup a merge would use, and the node now at that place in the tree.
   */
  private lookup(node: StableNode, prune: boolean): { frame: Frame | null; dup: StableNode | null; node: StableNode } {
    if (this.behaviour.on('chain-dups-candidates-only')) return this.lookupOld(node, prune);
    if (!node.chain) {
      const frame = this.getFolio(node);
      return { frame, dup: node, node };
    }
    prune &&= this.pruneDue();
    let found: StableNode | null = null;
    for (const dup of [...node.dups]) {
      if (!this.getFolio(dup)) continue;
      // The best dup: one with room, the fullest of those; one without room only if none has.
      if (!found || (this.candidate(dup) && (!this.candidate(found) || dup.len > found.len))) {
        found = dup;
        if (!prune && this.candidate(found)) break;
      }
    }
    if (!found) {
      this.freeChain(node);
      return { frame: null, dup: null, node };
    }
    if (node.dups.length === 1) {
      this.collapse(node, found);
      return { frame: found.frame, dup: found, node: found };
    }
    if (node.dups[0] !== found && this.candidate(found, 1)) {
      node.dups.splice(node.dups.indexOf(found), 1);
      node.dups.unshift(found);
    }
    return { frame: found.frame, dup: found, node };
  }

  /** The older lookup: only dups with room count; a full node or chain lends any dup's page to compare. */
  private lookupOld(node: StableNode, prune: boolean): { frame: Frame | null; dup: StableNode | null; node: StableNode } {
    let dup: StableNode | null = null;
    let frame: Frame | null = null;
    let at = node;
    if (!node.chain) {
      if (this.candidate(node)) {
        dup = node;
        frame = this.getFolio(node);
        if (!frame) return { frame: null, dup, node };
      }
    } else {
      prune &&= this.pruneDue();
      let nr = 0;
      for (const d of [...node.dups]) {
        if (!this.getFolio(d)) continue;
        nr++;
        if (this.candidate(d) && (!dup || d.len > dup.len)) {
          dup = d;
          if (!prune) break;
        }
      }
      if (dup) {
        if (prune && nr === 1) {
          this.collapse(node, dup);
          at = dup;
        } else if (node.dups[0] !== dup && this.candidate(dup, 1)) {
          node.dups.splice(node.dups.indexOf(dup), 1);
          node.dups.unshift(dup);
        }
        frame = dup.frame;
      }
    }
    if (!dup) {
      // stable_node_dup_any: the node itself, or a chain's first dup (an empty chain goes).
      let any: StableNode | null = at;
      if (at.chain) {
        if (!at.dups.length) {
          this.freeChain(at);
          return { frame: null, dup: null, node: at };
        }
        any = at.dups[0]!;
      }
      frame = this.getFolio(any);
    }
    return { frame, dup, node: at };
  }

  /** stable_tree_search: the KSM page a page may join (itself, for a KSM page forked), or null. */
  private stableTreeSearch(frame: Frame): Frame | null {
    if (frame.ksm && frame.node) return frame;
    restart: for (;;) {
      let n = this.stable.root;
      while (n) {
        const r = this.lookup(n.value, true);
        if (!r.frame) continue restart;
        const d = compare(frame.content, r.frame.content);
        const here = r.node.rb!;
        if (d < 0) n = here.left;
        else if (d > 0) n = here.right;
        else {
          if (!r.dup || !this.candidate(r.dup)) return null; // every dup full: wait for a partner
          return r.dup.frame;
        }
      }
      return null;
    }
  }

  /** stable_tree_insert: a node for a new KSM page, in the tree or as a dup of its content's chain. */
  private stableTreeInsert(kframe: Frame): StableNode {
    let parent: RbNode<StableNode> | null = null;
    let left = false;
    let same: StableNode | null = null;
    restart: for (;;) {
      parent = null;
      let n = this.stable.root;
      while (n) {
        const r = this.lookup(n.value, false);
        if (!r.frame) continue restart;
        const d = compare(kframe.content, r.frame.content);
        parent = r.node.rb!;
        if (d < 0) {
          n = parent.left;
          left = true;
        } else if (d > 0) {
          n = parent.right;
          left = false;
        } else {
          same = r.node;
          break;
        }
      }
      break;
    }
    const dup = this.newNode(kframe, false);
    kframe.node = dup;
    if (!same) {
      dup.rb = RbTree.node(dup);
      this.stable.insert(dup.rb, parent, left);
    } else {
      const chain = same.chain ? same : this.makeChain(same);
      this.addDup(chain, dup);
    }
    return dup;
  }

  /** unstable_tree_search_insert: an item of equal content, else the item goes into the tree. */
  private unstableSearchInsert(item: RmapItem, frame: Frame): { item: RmapItem; frame: Frame } | null {
    let parent: RbNode<RmapItem> | null = null;
    let left = false;
    for (let n = this.unstable.root; n; ) {
      const treeFrame = this.mergeablePage(n.value);
      if (!treeFrame) return null;
      if (treeFrame === frame) return null; // the same page, forked: never merged with itself
      const d = compare(frame.content, treeFrame.content);
      parent = n;
      if (d < 0) {
        n = n.left;
        left = true;
      } else if (d > 0) {
        n = n.right;
        left = false;
      } else return { item: n.value, frame: treeFrame };
    }
    item.state = 'unstable';
    item.seq = this.seqnr & 0xff;
    item.rb = RbTree.node(item);
    this.unstable.insert(item.rb, parent, left);
    this.pagesUnshared++;
    return null;
  }

  private contentOf(node: StableNode): Content | null {
    const f = node.chain ? node.dups[0]?.frame : node.frame;
    return f ? f.content : null;
  }
}

/** kstrtobool: the first character decides (o: the second, on/off). */
function strtobool(s: string): boolean | null {
  switch (s[0]) {
    case 'y': case 'Y': case 't': case 'T': case '1': return true;
    case 'n': case 'N': case 'f': case 'F': case '0': return false;
    case 'o': case 'O':
      if (s[1] === 'n' || s[1] === 'N') return true;
      if (s[1] === 'f' || s[1] === 'F') return false;
      return null;
    default: return null;
  }
}
