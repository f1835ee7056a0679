// How kernel releases depart from overcommit-accounting.rst, as switches of the model, and
// the facts of the machines the real kernels were seen on that a model cannot observe.
import { parseVersion } from '../core/kernel.ts';
import type { KernelSwitch } from '../core/switches.ts';
import type { Machine } from './policy.ts';

export const OVERCOMMIT_SWITCHES: KernelSwitch[] = [
  {
    name: 'mprotect-unaccounts-unfaulted',
    kernels: '>=6.7',
    summary:
      'mprotect taking write permission away from a private anonymous VMA that never had an anonymous page (no anon_vma) drops VM_ACCOUNT and gives the charge back; older kernels keep it',
    evidence: [
      'recorded: Debian 6.1 keeps the charge; Debian 6.12 and the 6.18 host give it back (fixtures/kernels/*/overcommit.json, overcommit.mprotect.rw-to-ro-unfaulted-*)',
    ],
  },
  {
    name: 'thp-aligned-placement',
    kernels: '>=6.7',
    summary:
      'anonymous mappings of whole PMDs, and private /dev/zero ones of a PMD or more, are placed at a PMD boundary (thp_get_unmapped_area): where a mapping lands, and so which freed range a later mapping reuses, depends on it',
    evidence: ['mm/mmap.c __get_unmapped_area (6.12, 7.1); absent in 6.1'],
  },
  {
    name: 'percpu-commit-slack',
    kernels: '*',
    summary:
      "mode 2's check reads only the per-CPU counter's global part (percpu_counter_read_positive): charges still held in a CPU's batch go unseen, so Committed_AS can pass the limit by up to a batch per CPU; the document says the total is not permitted to exceed it",
    evidence: ['mm/util.c __vm_enough_memory and mm_compute_batch; overcommit.internal.percpu-slack-admits-past-limit'],
  },
];

/** Machine facts a model takes when the scenario names none, for the machine a release runs on. */
export function machineDefaults(release: string): Partial<Machine> {
  // Debian's kernels (the QEMU guests) build THP as "always" and run the static probe; the
  // host builds it as "madvise" and runs the probe linked dynamically. The process sizes are
  // the probe's own before any step: VmSize, its VM_ACCOUNT memory, and the heap the static
  // C library took at start-up (below the break a scenario's brk steps start from).
  const debian = /\+deb|-amd64$/.test(release);
  if (!parseVersion(release)) return {};
  return debian
    ? { transparent_hugepage: 'always', process_vm_kb: 3360, process_accounted_kb: 560, process_heap_kb: 136 }
    : { transparent_hugepage: 'madvise', process_vm_kb: 4504, process_accounted_kb: 488, process_heap_kb: 0 };
}
