// The VMAs of a KSM mapping as madvise and munmap split and join them.
import type { Region, Vma } from './mm.ts';

/** The VMA holding page i of a mapping. */
export function vmaAt(r: Region, i: number): Vma | undefined {
  return r.vmas.find((x) => x.start <= i && i < x.end);
}

/** The pages' mergeable flags from their VMAs'. */
function syncFlags(r: Region): void {
  for (const x of r.vmas) for (let i = x.start; i < x.end; i++) if (r.vp[i]) r.vp[i]!.mergeable = x.mergeable;
}

/**
 * Whether a VMA (its range) may join an existing neighbour: is_mergeable_anon_vma. One without
 * an anon_vma joins one with an anon_vma of its own (not a fork's copy); later kernels let one
 * with an anon_vma of its own join one without, too (either way).
 */
function anonCompatible(v: Vma, neighbour: Vma, eitherWay: boolean): boolean {
  if (v.anon === neighbour.anon) return true;
  if (!v.anon) return !neighbour.cloned;
  return eitherWay && !neighbour.anon && !v.cloned;
}

/**
 * madvise's change of VM_MERGEABLE over pages [a, b): each VMA whose flag changes is split at the
 * range's ends, and the changed part joins the VMA before or after it when that one is adjacent,
 * has the new flag and a compatible anon_vma (vma_merge_existing_range). Nothing else moves.
 */
export function adviseVmas(r: Region, a: number, b: number, flag: boolean, eitherWay: boolean): void {
  const src = r.vmas;
  const out: Vma[] = [];
  for (let k = 0; k < src.length; k++) {
    const v = src[k]!;
    const s = Math.max(a, v.start);
    const e = Math.min(b, v.end);
    if (s >= e || v.mergeable === flag) {
      out.push(v);
      continue;
    }
    const left = s === v.start;
    const right = e === v.end;
    const prev = out[out.length - 1];
    const next = src[k + 1];
    const mergeLeft = left && !!prev && prev.end === s && prev.mergeable === flag && anonCompatible(v, prev, eitherWay);
    const mergeRight = right && !!next && next.start === e && next.mergeable === flag && anonCompatible(v, next, eitherWay) &&
      (!mergeLeft || !prev!.anon || !next.anon || prev!.anon === next.anon);
    if (!left) out.push({ ...v, end: s });
    if (mergeLeft) {
      prev!.end = e;
      if (!prev!.anon && v.anon) prev!.anon = v.anon; // dup_anon_vma: the one joined takes it
    } else out.push({ ...v, start: s, end: e, mergeable: flag });
    if (mergeRight) {
      const last = out[out.length - 1]!;
      last.end = next!.end;
      if (!last.anon && next!.anon) {
        last.anon = next!.anon;
        last.cloned = next!.cloned;
      }
      k++;
    } else if (!right) out.push({ ...v, start: e });
  }
  r.vmas = out;
  syncFlags(r);
}

/** munmap of pages [a, b): VMAs split at its ends, the part inside gone; nothing joins. */
export function unmapVmas(r: Region, a: number, b: number): void {
  r.vmas = r.vmas.flatMap((v) => {
    if (v.end <= a || v.start >= b) return [v];
    const parts: Vma[] = [];
    if (v.start < a) parts.push({ ...v, end: a });
    if (v.end > b) parts.push({ ...v, start: b });
    return parts;
  });
}

/** PR_SET_MEMORY_MERGE's change of every VMA's flag, in place (ksm_add_vmas, ksm_del_vmas). */
export function setAllVmas(r: Region, flag: boolean): void {
  for (const v of r.vmas) v.mergeable = flag;
  syncFlags(r);
}
