// The hugetlb model: one hstate, hugetlbfs mounts with their subpools, files, and
// processes whose hugetlb mappings reserve, fault, COW, fork and unmap as the kernel does.
import type {
  AcctArgs, CreateArgs, FallocateArgs, FileArgs, ForkArgs, FtruncateArgs, HugetlbConfig, MemfdCreateArgs,
  MmapArgs, MountArgs, RangeArgs, RegionArgs, ResvArgs, ResvMapNewArgs, StatfsArgs, SubpoolNewArgs,
  SubpoolPagesArgs, SysctlArgs, TouchArgs, UmountArgs, VmaResvArgs,
} from '../../spec/mechanisms/hugetlb/types.ts';
import type { Observation, StepRequest } from '../../spec/types/protocol.ts';
import { ImplError } from '../core/errors.ts';
import { namedRange } from '../core/named.ts';
import { dispatch, errno, OK, signal, type Concrete, type MechanismModel, type ModelContext, type Outcome } from '../core/model.ts';
import { Behaviour } from '../core/switches.ts';
import { Hstate } from './hstate.ts';
import { Inode, Mm, vmaIndex, type HPage, type Mount, type Vma } from './objects.ts';
import {
  Reservations, vmaAddReservation, vmaCommitReservation, vmaEndReservation, vmaNeedsReservation, type ResvVma,
} from './reserve.ts';
import { LONG_MAX, ResvMap } from './resv-map.ts';
import { NO_LIMIT, Subpool, subpoolIsFree } from './subpool.ts';
import { HUGETLB_SWITCHES } from './switches.ts';


const SIGBUS = signal('SIGBUS', 'BUS_ADRERR');
const value = (v: number | string): Outcome => ({ ret: 'ok', value: v });

export class HugetlbModel implements MechanismModel {
  /** The kernel behaviour switches in force: how the kernel the model behaves as departs from the document. */
  readonly behaviour: Behaviour;
  readonly h: Hstate;
  readonly resv: Reservations;
  readonly hugepagesize: number;
  readonly procs = new Map<string, Mm>();
  /** Mounted hugetlbfs instances by the name they were last mounted as (for the internal ops'
   *  subpool lookups); the names steps use are each process's, in its own table. */
  readonly mounts = new Map<string, Mount>();
  /** The inodes of files (create, memfd_create) until they are evicted. Names are each process's. */
  readonly inodes = new Set<Inode>();
  /** Standalone objects of the internal ops. */
  readonly resvMaps = new Map<string, ResvMap>();
  readonly subpools = new Map<string, Subpool>();
  private anonFiles = 0;

  constructor(config: HugetlbConfig, ctx: ModelContext) {
    this.behaviour = new Behaviour(HUGETLB_SWITCHES, ctx);
    this.h = new Hstate(config.nr_hugepages ?? 0, config.nr_overcommit_hugepages ?? 0, config.machine?.numa_nodes ?? 1);
    this.resv = new Reservations(this.h, this.behaviour);
    this.hugepagesize = config.machine?.Hugepagesize ?? 2048;
    this.procs.set('main', new Mm());
  }

  /**
   * The counters as /proc/meminfo and the sysctls show them. Kernel bugs can take the
   * reservation count below zero; the kernel's unsigned counter then wraps, which the probe
   * reports as no value: the field is left out, as the probe leaves it out.
   */
  observe(): Observation {
    const h = this.h;
    const o: Observation = {
      HugePages_Total: h.nr,
      HugePages_Free: h.free,
      HugePages_Rsvd: h.resv,
      HugePages_Surp: h.surplus,
      Hugepagesize: this.hugepagesize,
      nr_hugepages: h.persistent,
      nr_overcommit_hugepages: h.overcommit,
      numa_nodes: h.nodes,
    };
    if (h.resv < 0) delete o.HugePages_Rsvd;
    return o;
  }

  step(req: StepRequest): Outcome {
    return dispatch(this, 'hugetlb', this.ops, this.procs, req);
  }

  /**
   * Changes protection or MADV_DONTFORK on huge pages [from, to) of a named mapping: what
   * overcommit's mprotect and madvise do to the hugetlb mappings it delegates here.
   */
  setVmaFlags(proc: string, map: string, from: number, to: number, flags: { writable?: boolean; dontcopy?: boolean }): void {
    const mm = this.procs.get(proc);
    if (!mm) throw new ImplError('invalid', `no process '${proc}'`);
    const [start, end] = this.range(mm, map, from, to - from);
    for (const v of mm.isolate(start, end)) Object.assign(v, flags);
  }

  // ---- lookups

  /** A file name of the process's table (the inode it was made for, even when gone). */
  private file(mm: Mm, name: string): Inode {
    const f = mm.files.get(name);
    if (!f) throw new ImplError('invalid', `no file '${name}' in this process (have: ${[...mm.files.keys()].join(', ') || 'none'})`);
    return f;
  }

  /** A mount name of the process's table (its mount may be gone: a child keeps the name). */
  private mount(mm: Mm, name: string): Mount {
    const m = mm.mounts.get(name);
    if (!m) throw new ImplError('invalid', `no mount '${name}' in this process`);
    return m;
  }

  private resvMap(name: string): ResvMap {
    const r = this.resvMaps.get(name);
    if (!r) throw new ImplError('invalid', `no reserve map '${name}' (make one with resv_map_new)`);
    return r;
  }

  private subpool(name: string): Subpool {
    const s = this.subpools.get(name) ?? this.mounts.get(name)?.spool;
    if (!s) throw new ImplError('invalid', `no subpool '${name}' (make one with subpool_new)`);
    return s;
  }

  private range(mm: Mm, name: string, offset?: number, pages?: number): [number, number] {
    return namedRange(mm.maps, name, offset, pages);
  }

  // ---- pages, VMAs and inodes

  /**
   * Drops one page-table entry of VMA v (__unmap_hugepage_range); an anonymous page goes
   * when its last mapper does. Newer kernels restore the reservation of an anonymous page the
   * owner of a private mapping unmaps, while no surplus pages exist: the page is marked
   * restore-reserve and its index leaves the private reserve map (counted unused again).
   * Pages whose last mapping went are gathered (mmu_gather) and freed when the unmap is done,
   * so the surplus test sees the pool as it was before any of them was freed.
   */
  private unmapPte(mm: Mm, v: Vma, addr: number, gather: HPage[]): void {
    const page = mm.ptes.get(addr);
    if (!page) return;
    mm.ptes.delete(addr);
    page.mappers--;
    const b = this.behaviour;
    if (
      v.owner && v.resv && !v.shared && !page.cache && this.h.surplus === 0 && b.on('unmap-restores-reserve') &&
      (page.mappers === 0 || b.on('unmap-restore-ignores-other-mappers'))
    ) {
      page.restoreReserve = true;
      const idx = vmaIndex(v, addr);
      if (vmaNeedsReservation(v, idx)) vmaAddReservation(v, idx);
      else vmaEndReservation(v, idx);
    }
    if (page.mappers === 0 && !page.cache) gather.push(page);
  }

  /** tlb_finish_mmu: the gathered pages are freed. */
  private freeGathered(gather: HPage[]): void {
    for (const page of gather) this.resv.freeFolio(page);
  }

  /**
   * munmap and exit (unmap_vmas, then remove_vma): every page-table entry of the VMAs goes,
   * the pages that lost their last mapping are freed, then each VMA is closed. On exit
   * (whole) the address space goes at once rather than VMA by VMA.
   */
  private unmapVmas(mm: Mm, vmas: Vma[], whole = false): void {
    const gather: HPage[] = [];
    for (const v of vmas) for (let addr = v.start; addr < v.end; addr++) this.unmapPte(mm, v, addr, gather);
    this.freeGathered(gather);
    for (const v of vmas) {
      this.resv.closeVma(v);
      if (!whole) mm.remove(v);
      v.inode.mapped.splice(v.inode.mapped.indexOf(v), 1);
      this.maybeEvict(v.inode);
    }
    if (whole) mm.clear();
  }

  /**
   * hugetlb_vmdelete_list: unmap file indices [from, to) from every VMA of the inode, in the
   * order of the inode's interval tree: by file offset, then as inode.mapped has them.
   */
  private zap(inode: Inode, from: number, to: number): void {
    for (const [mm, v] of this.inTreeOrder(inode)) {
      const a = v.start + Math.max(0, from - v.pgoff);
      const b = Math.min(v.end, v.start + Math.max(0, to - v.pgoff));
      const gather: HPage[] = []; // each VMA is unmapped with its own mmu_gather
      for (let addr = a; addr < b; addr++) this.unmapPte(mm, v, addr, gather);
      this.freeGathered(gather);
    }
  }

  /** The inode's VMAs with their processes, in its interval tree's order: by offset, then as inode.mapped has them. */
  private inTreeOrder(inode: Inode): [Mm, Vma][] {
    const owner = new Map<Vma, Mm>();
    for (const mm of this.procs.values()) for (const v of mm.vmas()) if (v.inode === inode) owner.set(v, mm);
    const vmas = inode.mapped.filter((v) => owner.has(v)).map((v, n) => [owner.get(v)!, v, n] as const);
    vmas.sort((x, y) => x[1].pgoff - y[1].pgoff || x[2] - y[2]);
    return vmas.map(([mm, v]) => [mm, v]);
  }

  /** hugetlbfs_evict_inode once nothing holds the inode: its pages and reservations go. */
  private maybeEvict(inode: Inode): void {
    if (!inode.unused) return;
    this.resv.removeInodePages(inode, 0, LONG_MAX, true);
    this.inodes.delete(inode);
  }

  private addToPageCache(inode: Inode, idx: number, page: HPage): void {
    page.cache = inode;
    page.restoreReserve = false; // instantiated: freeing it later restores nothing
    inode.cache.set(idx, page);
  }

  /** A fault at addr (hugetlb_fault): SIGSEGV, SIGBUS or OK. */
  private fault(mm: Mm, addr: number, write: boolean): Outcome {
    const v = mm.find(addr);
    if (!v) return signal('SIGSEGV', 'SEGV_MAPERR');
    if (write && !v.writable) return signal('SIGSEGV', 'SEGV_ACCERR');
    const idx = vmaIndex(v, addr);
    if (mm.ptes.has(addr)) return write && !v.shared ? this.cow(mm, v, addr, idx) : OK;

    // hugetlb_no_page. A child whose page the owner took away is killed on any such fault.
    if (v.unmapped) return SIGBUS;
    const cached = v.inode.cache.get(idx);
    if (cached) {
      mm.ptes.set(addr, cached);
      cached.mappers++;
      // A private mapping maps the page-cache page read-only and copies it on a write.
      return write && !v.shared ? this.cow(mm, v, addr, idx) : OK;
    }
    if (idx >= v.inode.size) return SIGBUS;
    const page = this.resv.allocFolio(v, idx, false);
    if (!page) return SIGBUS;
    // Shared pages enter the page cache; private ones (read faults too) are anonymous.
    if (v.shared) this.addToPageCache(v.inode, idx, page);
    else page.restoreReserve = false;
    page.mappers = 1;
    mm.ptes.set(addr, page);
    return OK;
  }

  /** hugetlb_wp: a write to a private page someone else maps, or to a page-cache page. */
  private cow(mm: Mm, v: Vma, addr: number, idx: number): Outcome {
    const old = mm.ptes.get(addr)!;
    if (old.mappers === 1 && !old.cache) return OK; // exclusive anonymous page: reuse it
    // The owner copying a page it shares with children allocates outside its reservations:
    // the reservation for idx went into the original page.
    const cowFromOwner = v.owner && !old.cache;
    const copy = this.resv.allocFolio(v, idx, cowFromOwner);
    if (!copy) {
      if (!cowFromOwner) return SIGBUS;
      // unmap_ref_private: take the page from the children, who get SIGBUS if they fault there
      // later; the owner is then its only mapper and keeps it, unless the walk took the
      // owner's own entry too: then the access faults again, on no page.
      this.unmapRefPrivate(v, addr, idx, old);
      return mm.ptes.get(addr) === old ? OK : this.fault(mm, addr, true);
    }
    copy.restoreReserve = false;
    copy.mappers = 1;
    mm.ptes.set(addr, copy);
    old.mappers--;
    if (old.mappers === 0 && !old.cache) this.resv.freeFolio(old);
    return OK;
  }

  /**
   * unmap_ref_private: for every other private VMA of the file that covers the page's offset
   * and has no reservations of its own, the page-table entry at the owner's address in that
   * VMA's process is cleared if it maps the page, and the VMA is marked HPAGE_RESV_UNMAPPED
   * (also one marked by an earlier failed COW). The address is the owner's whatever the VMA:
   * a fork's copy lies there, but another private mapping of the file in the owner's own
   * process does not, and through it the walk clears the owner's own entry.
   */
  private unmapRefPrivate(owner: Vma, ownerAddr: number, idx: number, page: HPage): void {
    for (const [mm, v] of this.inTreeOrder(owner.inode)) {
      if (v === owner || v.shared || v.owner) continue;
      if (idx < v.pgoff || idx >= v.pgoff + (v.end - v.start)) continue;
      if ((ownerAddr < v.start || ownerAddr >= v.end) && this.behaviour.on('owner-cow-walk-spares-owner')) continue;
      if (mm.ptes.get(ownerAddr) !== page) continue;
      const gather: HPage[] = [];
      this.unmapPte(mm, v, ownerAddr, gather);
      this.freeGathered(gather);
      v.unmapped = true;
    }
  }

  private vmaAt(mm: Mm, a: Concrete<VmaResvArgs>): [Vma, number] {
    const [addr] = this.range(mm, a.map, a.index, 1);
    const v = mm.find(addr);
    if (!v) throw new ImplError('invalid', `index ${a.index} of mapping '${a.map}' is no longer mapped`);
    return [v, vmaIndex(v, addr)];
  }

  private truncate(inode: Inode, size: number): void {
    inode.size = size;
    this.zap(inode, size, LONG_MAX);
    this.resv.removeInodePages(inode, size, LONG_MAX, true);
  }

  private readonly ops = {
    sysctl(this: HugetlbModel, _mm: Mm, a: Concrete<SysctlArgs>): Outcome {
      if (a.name === 'nr_hugepages') this.h.setMaxHugePages(a.value);
      else this.h.overcommit = a.value;
      return OK;
    },

    mount(this: HugetlbModel, mm: Mm, a: Concrete<MountArgs>): Outcome {
      if (mm.mounts.has(a.as)) throw new ImplError('invalid', `mount '${a.as}' already exists in this process`);
      if (a.size !== undefined && a.min_size !== undefined && a.min_size > a.size) return errno('EINVAL');
      let spool: Subpool | null = null;
      if (a.size !== undefined || a.min_size !== undefined) {
        spool = new Subpool(a.size ?? NO_LIMIT, a.min_size ?? NO_LIMIT);
        // hugepage_new_subpool reserves min_size up front; the mount fails without it.
        if (a.min_size !== undefined && !this.h.acct(a.min_size)) return errno('ENOMEM');
      }
      const m: Mount = { name: a.as, spool };
      this.mounts.set(a.as, m);
      mm.mounts.set(a.as, m);
      return OK;
    },

    umount(this: HugetlbModel, mm: Mm, a: Concrete<UmountArgs>): Outcome {
      const m = this.mount(mm, a.mount);
      if (m.gone) return errno('ENOENT'); // its directory went with the umount
      const inodes = [...this.inodes].filter((f) => f.mount === m);
      if (inodes.some((f) => f.fds > 0 || f.vmas > 0)) return errno('EBUSY');
      for (const f of inodes) {
        f.linked = false;
        this.maybeEvict(f);
      }
      // The subpool goes with the superblock and gives back its min_size reservation, if it
      // is free: nothing charged to it (size=), or its reserve back at min_size (min_size=
      // only). Otherwise it is never released, nor its reservation given back.
      if (m.spool && m.spool.min !== NO_LIMIT && subpoolIsFree(m.spool)) this.h.acct(-m.spool.min);
      m.gone = true;
      if (this.mounts.get(a.mount) === m) this.mounts.delete(a.mount);
      mm.mounts.delete(a.mount);
      return OK;
    },

    create(this: HugetlbModel, mm: Mm, a: Concrete<CreateArgs>): Outcome {
      if (mm.files.has(a.as)) throw new ImplError('invalid', `file '${a.as}' already exists in this process`);
      const m = this.mount(mm, a.mount);
      if (m.gone) return errno('ENOENT');
      const f = new Inode(a.as, 'file', m);
      f.fds = 1;
      mm.fds.add(a.as);
      mm.files.set(a.as, f);
      this.inodes.add(f);
      return OK;
    },

    memfd_create(this: HugetlbModel, mm: Mm, a: Concrete<MemfdCreateArgs>): Outcome {
      if (mm.files.has(a.as)) throw new ImplError('invalid', `file '${a.as}' already exists in this process`);
      const f = new Inode(a.as, 'memfd', null); // the internal mount: no subpool
      f.fds = 1;
      mm.fds.add(a.as);
      mm.files.set(a.as, f);
      this.inodes.add(f);
      return OK;
    },

    close(this: HugetlbModel, mm: Mm, a: Concrete<FileArgs>): Outcome {
      const f = this.file(mm, a.file);
      if (!mm.fds.delete(a.file)) return errno('EBADF');
      f.fds--;
      this.maybeEvict(f);
      return OK;
    },

    unlink(this: HugetlbModel, mm: Mm, a: Concrete<FileArgs>): Outcome {
      const f = this.file(mm, a.file);
      if (f.kind === 'memfd') throw new ImplError('invalid', `file '${a.file}' is a memfd: it has no name to unlink`);
      if (!f.linked) return errno('ENOENT');
      f.linked = false;
      this.maybeEvict(f);
      return OK;
    },

    ftruncate(this: HugetlbModel, mm: Mm, a: Concrete<FtruncateArgs>): Outcome {
      const f = this.file(mm, a.file);
      if (!mm.fds.has(a.file)) return errno('EBADF');
      this.truncate(f, a.pages);
      return OK;
    },

    fallocate(this: HugetlbModel, mm: Mm, a: Concrete<FallocateArgs>): Outcome {
      const f = this.file(mm, a.file);
      if (!mm.fds.has(a.file)) return errno('EBADF');
      const start = a.offset ?? 0;
      const end = start + a.pages;
      if (a.pages === 0) return errno('EINVAL');
      if (a.punch_hole) {
        // Only pages present are removed, with their entries; unfaulted pages keep their reservations.
        this.zap(f, start, end);
        this.resv.removeInodePages(f, start, end, false);
        return OK;
      }
      // Preallocation faults each missing page in through a pseudo shared VMA, which consumes
      // any reservation a shared mapping made for it.
      const pseudo: ResvVma = { inode: f, shared: true, noreserve: false, resv: null, owner: false };
      for (let idx = start; idx < end; idx++) {
        if (f.cache.has(idx)) continue;
        const page = this.resv.allocFolio(pseudo, idx, false);
        if (!page) return errno('ENOSPC');
        this.addToPageCache(f, idx, page);
      }
      if (!a.keep_size && end > f.size) f.size = end;
      return OK;
    },

    mmap(this: HugetlbModel, mm: Mm, a: Concrete<MmapArgs>): Outcome {
      // The probe's order: the file's name, the new mapping's name, then the kernel's checks
      // (a closed descriptor before a length of 0).
      const named = a.file !== undefined ? this.file(mm, a.file) : null;
      if (mm.maps.has(a.as)) throw new ImplError('invalid', `mapping '${a.as}' already exists in this process`);
      if (a.file !== undefined && !mm.fds.has(a.file)) return errno('EBADF');
      if (a.pages === 0) return errno('EINVAL');
      // An anonymous mapping has no offset to take: the probe passes none.
      const offset = named ? (a.offset ?? 0) : 0;
      let inode: Inode;
      if (named) {
        inode = named;
      } else {
        // MAP_HUGETLB: an unnamed file on the internal mount, of the mapping's size.
        inode = new Inode(`#anon${this.anonFiles++}`, 'anon', null);
        inode.size = a.pages;
      }
      const start = mm.place(a.pages);
      const v: Vma = {
        start, end: start + a.pages, pgoff: offset, inode,
        shared: a.shared ?? false, noreserve: a.noreserve ?? false, writable: (a.prot ?? 'rw') === 'rw',
        resv: null, owner: false, unmapped: false, dontcopy: false,
      };
      if (!this.resv.reservePages(inode, offset, offset + a.pages, v)) return errno('ENOMEM');
      inode.mapped.push(v);
      mm.insert(v);
      mm.maps.set(a.as, { start, pages: a.pages });
      // hugetlbfs_file_mmap: a writable mapping extends the file to cover it.
      if (v.writable && inode.size < offset + a.pages) inode.size = offset + a.pages;
      return OK;
    },

    munmap(this: HugetlbModel, mm: Mm, a: Concrete<RangeArgs>): Outcome {
      const [start, end] = this.range(mm, a.map, a.offset, a.pages);
      if (start === end) return errno('EINVAL');
      this.unmapVmas(mm, mm.isolate(start, end));
      // The probe forgets a name unmapped whole (as it was made).
      if (end - start === mm.maps.get(a.map)!.pages && !a.offset) mm.maps.delete(a.map);
      return OK;
    },

    touch(this: HugetlbModel, mm: Mm, a: Concrete<TouchArgs>): Outcome {
      const [start, end] = this.range(mm, a.map, a.offset, a.pages ?? 1);
      for (let addr = start; addr < end; addr++) {
        const r = this.fault(mm, addr, a.write ?? true);
        if (r.ret !== 'ok') return r;
      }
      return OK;
    },

    fork(this: HugetlbModel, mm: Mm, a: Concrete<ForkArgs>): Outcome {
      if (this.procs.has(a.as)) throw new ImplError('invalid', `process '${a.as}' exists already`);
      const child = mm.copy();
      for (const name of child.fds) child.files.get(name)!.fds++;
      this.procs.set(a.as, child);
      return OK;
    },

    exit(this: HugetlbModel, mm: Mm, _a: unknown, proc: string): Outcome {
      if (proc === 'main') throw new ImplError('invalid', 'the main process cannot exit; exit a forked child');
      this.unmapVmas(mm, mm.vmas(), true);
      for (const name of mm.fds) {
        const f = mm.files.get(name)!;
        f.fds--;
        this.maybeEvict(f);
      }
      this.procs.delete(proc);
      return OK;
    },

    statfs(this: HugetlbModel, mm: Mm, a: Concrete<StatfsArgs>): Outcome {
      // f_blocks - f_bfree is the subpool's used count; without a subpool both are 0.
      const m = this.mount(mm, a.mount);
      if (m.gone) return errno('ENOENT');
      return value(m.spool ? m.spool.used : 0);
    },

    resv_map_new(this: HugetlbModel, _mm: Mm, a: Concrete<ResvMapNewArgs>): Outcome {
      if (this.resvMaps.has(a.as)) throw new ImplError('invalid', `reserve map '${a.as}' exists already`);
      this.resvMaps.set(a.as, new ResvMap());
      return OK;
    },
    region_chg(this: HugetlbModel, _mm: Mm, a: Concrete<RegionArgs>): Outcome {
      return value(this.resvMap(a.resv).chg(a.from, a.to));
    },
    region_add(this: HugetlbModel, _mm: Mm, a: Concrete<RegionArgs>): Outcome {
      return value(this.resvMap(a.resv).add(a.from, a.to));
    },
    region_abort(this: HugetlbModel, _mm: Mm, a: Concrete<RegionArgs>): Outcome {
      this.resvMap(a.resv).abort(a.from, a.to);
      return OK;
    },
    region_del(this: HugetlbModel, _mm: Mm, a: Concrete<RegionArgs>): Outcome {
      return value(this.resvMap(a.resv).del(a.from, a.to));
    },
    region_count(this: HugetlbModel, _mm: Mm, a: Concrete<RegionArgs>): Outcome {
      return value(this.resvMap(a.resv).count(a.from, a.to));
    },
    resv_map_regions(this: HugetlbModel, _mm: Mm, a: Concrete<ResvArgs>): Outcome {
      return value(this.resvMap(a.resv).toString());
    },

    vma_needs_reservation(this: HugetlbModel, mm: Mm, a: Concrete<VmaResvArgs>): Outcome {
      return value(vmaNeedsReservation(...this.vmaAt(mm, a)));
    },
    vma_commit_reservation(this: HugetlbModel, mm: Mm, a: Concrete<VmaResvArgs>): Outcome {
      return value(vmaCommitReservation(...this.vmaAt(mm, a)));
    },
    vma_end_reservation(this: HugetlbModel, mm: Mm, a: Concrete<VmaResvArgs>): Outcome {
      return value(vmaEndReservation(...this.vmaAt(mm, a)));
    },
    vma_add_reservation(this: HugetlbModel, mm: Mm, a: Concrete<VmaResvArgs>): Outcome {
      return value(vmaAddReservation(...this.vmaAt(mm, a)));
    },

    subpool_new(this: HugetlbModel, _mm: Mm, a: Concrete<SubpoolNewArgs>): Outcome {
      if (this.subpools.has(a.as)) throw new ImplError('invalid', `subpool '${a.as}' exists already`);
      // hugepage_new_subpool takes the min reservation from the global pool.
      if (a.min !== undefined && !this.h.acct(a.min)) return errno('ENOMEM');
      this.subpools.set(a.as, new Subpool(a.max ?? NO_LIMIT, a.min ?? NO_LIMIT));
      return OK;
    },
    hugepage_subpool_get_pages(this: HugetlbModel, _mm: Mm, a: Concrete<SubpoolPagesArgs>): Outcome {
      const r = this.subpool(a.subpool).get(a.delta);
      return r === 'ENOMEM' ? errno('ENOMEM') : value(r);
    },
    hugepage_subpool_put_pages(this: HugetlbModel, _mm: Mm, a: Concrete<SubpoolPagesArgs>): Outcome {
      const s = this.subpool(a.subpool);
      if (s.max !== NO_LIMIT && a.delta > s.used) throw new ImplError('invalid', `subpool '${a.subpool}' has ${s.used} used pages, cannot put ${a.delta}`);
      return value(s.put(a.delta));
    },

    hugetlb_acct_memory(this: HugetlbModel, _mm: Mm, a: Concrete<AcctArgs>): Outcome {
      if (-a.delta > this.h.resv) throw new ImplError('invalid', `cannot give back ${-a.delta} reservations, ${this.h.resv} held`);
      return this.h.acct(a.delta) ? OK : errno('ENOMEM');
    },
  };
}
