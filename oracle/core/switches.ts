// Kernel behaviour switches: each way a kernel release departs from the document (a known
// divergence, a version-ranged quirk) is a named, cited switch of a model. The oracle "as
// kernel K" turns on every switch whose range holds K, and so predicts K, bugs included;
// "as documented" turns every one off. A model records the switches that shaped a result.
import { inRange } from './kernel.ts';

export interface KernelSwitch {
  /** Stable name, unique within its mechanism. */
  name: string;
  /** The kernel releases that behave so. */
  kernels: string;
  /** What those kernels do, against what the document says. */
  summary: string;
  /** Where it was seen or where it comes from (kernel release, upstream commit, recording). */
  evidence: string[];
}

/** The release a model behaves as when asked to follow the document alone. */
export const DOCUMENTED = 'documented';

export interface SwitchSettings {
  /** A kernel release, or DOCUMENTED. */
  kernel: string;
  /** Switches forced on or off, whatever the release. Names of other models' switches are
   * ignored (a model embedding another passes the settings on); checked by forcedUnknown. */
  force?: Record<string, boolean>;
}

export class Behaviour {
  /** Switches that decided something so far (for explain and reports). */
  readonly used = new Set<string>();
  /** Every switch of the model, on or off. */
  private readonly state = new Map<string, boolean>();

  constructor(
    readonly switches: readonly KernelSwitch[],
    readonly settings: SwitchSettings,
  ) {
    for (const s of switches) {
      const forced = settings.force?.[s.name];
      this.state.set(s.name, forced ?? (settings.kernel !== DOCUMENTED && inRange(settings.kernel, s.kernels)));
    }
  }

  /** Whether a switch is on; asking marks it as one that shaped the result. */
  on(name: string): boolean {
    const on = this.state.get(name);
    if (on === undefined) throw new Error(`unknown kernel behaviour switch '${name}'`);
    if (on) this.used.add(name);
    return on;
  }

  /** Every switch that is on. */
  get enabled(): string[] {
    return [...this.state].filter(([, on]) => on).map(([name]) => name);
  }
}

/** The forced names no switch of the given ones bears (a typo, a switch since removed). */
export function forcedUnknown(force: Record<string, boolean> | undefined, switches: readonly KernelSwitch[]): string[] {
  return Object.keys(force ?? {}).filter((name) => !switches.some((s) => s.name === name));
}
