// vm_committed_as: a per-CPU counter. Adds accumulate in the CPU's own delta until it
// reaches the batch, then fold into the global count. /proc/meminfo's Committed_AS is the
// exact sum (kernels >= 5.9); the mode-2 check reads only the global count.
import type { Behaviour } from '../core/switches.ts';

export type OvercommitMode = 0 | 1 | 2;

export class CommittedAs {
  count = 0;
  readonly perCpu: number[];
  batch: number;

  constructor(
    readonly nrCpus: number,
    private readonly ramPages: number,
    mode: OvercommitMode,
    private readonly behaviour?: Behaviour,
  ) {
    this.perCpu = new Array<number>(nrCpus).fill(0);
    this.batch = computeBatch(ramPages, nrCpus, mode);
  }

  add(pages: number, cpu = 0): void {
    const delta = (this.perCpu[cpu] ?? 0) + pages;
    if (Math.abs(delta) >= this.batch) {
      this.count += delta;
      this.perCpu[cpu] = 0;
    } else {
      this.perCpu[cpu] = delta;
    }
  }

  /** percpu_counter_sum_positive: what Committed_AS shows. */
  sum(): number {
    let sum = this.count;
    for (let cpu = 0; cpu < this.perCpu.length; cpu++) sum += this.perCpu[cpu]!;
    return Math.max(0, sum);
  }

  /** percpu_counter_read_positive: what the mode-2 check compares (as documented: the exact sum). */
  read(): number {
    if (this.behaviour && this.perCpu.some((d) => d !== 0) && !this.behaviour.on('percpu-commit-slack')) return this.sum();
    return Math.max(0, this.count);
  }

  /** The policy switch recomputes the batch; entering mode 2 folds every CPU's delta. */
  setMode(mode: OvercommitMode): void {
    this.batch = computeBatch(this.ramPages, this.nrCpus, mode);
    if (mode === 2) {
      this.count = this.perCpu.reduce((a, b) => a + b, this.count);
      this.perCpu.fill(0);
    }
  }
}

/** mm_compute_batch: 0.4% of RAM per CPU in mode 2, 25% otherwise, never below max(2*cpus, 32). */
export function computeBatch(ramPages: number, nrCpus: number, mode: OvercommitMode): number {
  const floor = Math.max(2 * nrCpus, 32);
  const sized = Math.floor(ramPages / nrCpus / (mode === 2 ? 256 : 4));
  return Math.min(Math.max(sized, floor), 2 ** 31 - 1);
}
