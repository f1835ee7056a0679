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
      'anonymous mappings of whole PMDs are placed at a PMD boundary (thp_get_unmapped_area): where a mapping lands, and so which freed range a later mapping reuses, depends on it',
    evidence: ['mm/mmap.c __get_unmapped_area (6.12, 7.1); absent in 6.1'],
  },
  {
    name: 'thp-aligned-file-placement',
    kernels: '>=6.18',
    summary:
      'private /dev/zero mappings and mappings of files on a disk file system (ext4), of a PMD or more, are placed at a PMD boundary too (thp_get_unmapped_area), leaving room above a moved one, where a read fault can also take the THP path',
    evidence: [
      'recorded by mmspec fuzz: on the 6.18 host a file mapping mremap moved to 2270 pages then grows in place by 80 pages; on Debian 6.12 a moved private /dev/zero mapping is not PMD-aligned',
      'drivers/char/mem.c get_unmapped_area_zero and fs/ext4/file.c get_unmapped_area: thp_get_unmapped_area in 7.1; plain placement for /dev/zero in 6.12',
    ],
  },
  {
    name: 'map-fixed-counts-replaced',
    kernels: '>=6.12',
    summary:
      "mmap over an existing mapping (MAP_FIXED) checks the charge while the mapping it replaces still counts in the process's total_vm (it is unmapped only once the new one is in), so mode 2's user reserve (total_vm/32) is that much larger; older kernels unmap first",
    evidence: [
      'recorded by mmspec fuzz: Debian 6.1 admits a mode-2 mmap 1416 pages under the room that 6.12 and 6.18 refuse (the probe maps over its own PROT_NONE reservation)',
      'mm/mmap.c mmap_region: do_mas_munmap before the charge in 6.1; vms_gather_munmap_vmas, completed after it, in 6.12',
    ],
  },
  {
    name: 'dofork-refuses-special',
    kernels: '>=6.19',
    summary: 'MADV_DOFORK refuses (EINVAL) any VM_SPECIAL mapping, hugetlb ones included (VM_DONTEXPAND); 6.18 and older refuse only VM_IO ones',
    evidence: [
      'recorded by mmspec fuzz: Debian 7.2.13 answers EINVAL to MADV_DOFORK on a MAP_HUGETLB mapping, the 6.18 host and Debian 6.1 and 6.12 answer 0',
      'mm/madvise.c MADV_DOFORK: VM_SPECIAL in 7.1, VM_IO in 6.12',
    ],
  },
  {
    name: 'merge-copies-anon-vma',
    kernels: '>=6.16',
    summary:
      "a VMA that has an anon_vma merges into a neighbour that has none (the neighbour gets a copy), unless it is a fork child's copy; older kernels refuse such a merge, so mprotect leaves two VMAs where newer ones leave one (a later mremap of the whole range then fails with EFAULT)",
    evidence: [
      'mm/vma.c is_mergeable_anon_vma: the neighbour\'s anon_vma chain must be singular in 6.12; the three cases with vma_is_fork_child in 7.1 (upstream "mm/vma: fix incorrectly disallowed anonymous VMA merges", 6.16)',
      'recorded by mmspec fuzz and checked by hand: after mprotect of a faulted part next to an unfaulted one, mremap of the whole mapping grows it on the 6.18 host and fails with EFAULT on Debian 6.12 (overcommit.mprotect.faulted-part-merges-into-unfaulted)',
    ],
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
  // the probe's own before any step: VmSize, its VM_ACCOUNT memory (and the part of it below
  // the scenario's mappings: data, bss, heap; the rest is the libraries' data and the stack),
  // and the heap the static C library took at start-up (below the break brk steps start from).
  const debian = /\+deb|-amd64$/.test(release);
  if (!parseVersion(release)) return {};
  // In a guest the backing files live on the initramfs's tmpfs; on the host on a disk.
  return debian
    ? { transparent_hugepage: 'always', file_backing: 'tmpfs', process_vm_kb: 3464, process_accounted_kb: 560, process_accounted_low_kb: 428, process_heap_kb: 136, process_brk_kb: 5280 }
    : { transparent_hugepage: 'madvise', file_backing: 'disk', process_vm_kb: 4528, process_accounted_kb: 488, process_accounted_low_kb: 244, process_heap_kb: 0 };
}
