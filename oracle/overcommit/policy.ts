// The overcommit policy: CommitLimit and the admission check (__vm_enough_memory).
import type { Machine as MachineFacts } from '../../spec/mechanisms/overcommit/types.ts';
import type { CommittedAs, OvercommitMode } from './committed-as.ts';

export interface Sysctls {
  overcommit_memory: OvercommitMode;
  overcommit_ratio: number;
  overcommit_kbytes: number;
  user_reserve_kbytes: number;
  admin_reserve_kbytes: number;
}

/** The machine a model stands in for (the schema's config.machine), with its basic facts always set. */
export type Machine = MachineFacts & Required<Pick<MachineFacts, 'MemTotal' | 'SwapTotal' | 'nr_cpus' | 'Hugepagesize'>>;

export const PAGE_KB = 4;

/** vm_commit_limit, in pages: kbytes when non-zero, else ratio% of RAM not in the hugetlb pool; plus swap. */
export function commitLimitPages(s: Sysctls, m: Machine, hugePagesTotal: number): number {
  const swap = m.SwapTotal / PAGE_KB;
  if (s.overcommit_kbytes) return Math.floor(s.overcommit_kbytes / PAGE_KB) + swap;
  const hugetlbPages = hugePagesTotal * (m.Hugepagesize / PAGE_KB);
  return Math.floor(((m.MemTotal / PAGE_KB - hugetlbPages) * s.overcommit_ratio) / 100) + swap;
}

export interface Caller {
  capSysAdmin: boolean;
  /** mm->total_vm in pages, or null for a caller without an mm. */
  totalVm: number | null;
  cpu: number;
}

/**
 * __vm_enough_memory: charge first, then decide; a refusal undoes the charge.
 * Mode 1 never refuses; mode 0 refuses one request larger than RAM + swap;
 * mode 2 refuses when the counter (as the check reads it) reaches the allowed amount.
 */
export function vmEnoughMemory(
  pages: number,
  caller: Caller,
  s: Sysctls,
  m: Machine,
  committed: CommittedAs,
  hugePagesTotal: number,
): boolean {
  committed.add(pages, caller.cpu);
  let ok: boolean;
  if (s.overcommit_memory === 1) ok = true;
  else if (s.overcommit_memory === 0) ok = pages <= (m.MemTotal + m.SwapTotal) / PAGE_KB;
  else {
    // The limit the kernel checks counts every huge page of the pool, others' too (what
    // CommitLimit shows leaves those out, as the pool's counts do).
    let allowed = commitLimitPages(s, m, hugePagesTotal + (m.hugepages_others ?? 0));
    if (!caller.capSysAdmin) allowed -= Math.floor(s.admin_reserve_kbytes / PAGE_KB);
    if (caller.totalVm !== null) allowed -= Math.min(Math.floor(caller.totalVm / 32), Math.floor(s.user_reserve_kbytes / PAGE_KB));
    ok = committed.read() < allowed;
  }
  if (!ok) committed.add(-pages, caller.cpu);
  return ok;
}
