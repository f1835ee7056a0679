// --impl linux: the running kernel, driven by the native probe. Root only, opt-in only,
// one run at a time, and every machine-wide knob put back afterwards (see guard.ts).
import { ProcessTransport } from '../impl/exec.ts';
import { RpcImplementation } from '../impl/rpc.ts';
import type { Implementation, ImplementationInfo, OpenOutcome, OpenParams, StepRequest } from '../impl/types.ts';
import { UserError } from '../cli/errors.ts';
import { buildProbe } from '../probe/build.ts';
import { HostGuard } from './guard.ts';
import { KNOBS } from './knobs.ts';

export const HOST_CHANGES =
  'it writes machine-wide settings while scenarios run (the knobs listed below, and mounts under /run/mmspec) and restores each one afterwards';

export function allowHostChanges(flag: boolean | undefined): boolean {
  return !!flag || process.env.MMSPEC_ALLOW_HOST_CHANGES === '1';
}

export async function linuxImplementation(opts: { allowHostChanges?: boolean; timeoutMs?: number }): Promise<Implementation> {
  if (process.getuid?.() !== 0) throw new UserError(`--impl linux needs root: ${HOST_CHANGES}`);
  if (!allowHostChanges(opts.allowHostChanges)) {
    throw new UserError(`--impl linux changes this machine: ${HOST_CHANGES}.\nRun again with --allow-host-changes (or MMSPEC_ALLOW_HOST_CHANGES=1) to allow it. Knobs it may write:\n  ${KNOBS.join('\n  ')}`);
  }
  let probe: string;
  try {
    probe = await buildProbe();
  } catch (e) {
    throw new UserError(`cannot build the probe: ${(e as Error).message}`);
  }
  return new LinuxImplementation(probe, opts.timeoutMs);
}

class LinuxImplementation implements Implementation {
  private readonly rpc: RpcImplementation;
  private readonly guard = new HostGuard();
  private guarded = false;

  constructor(probe: string, timeoutMs?: number) {
    this.rpc = new RpcImplementation(new ProcessTransport(probe, []), 'linux probe', timeoutMs);
  }

  private ensureGuard(): void {
    if (this.guarded) return;
    try {
      this.guard.acquire();
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    this.guarded = true;
  }

  describe(): Promise<ImplementationInfo> {
    return this.rpc.describe();
  }
  open(p: OpenParams): Promise<OpenOutcome> {
    this.ensureGuard();
    return this.rpc.open(p);
  }
  step(session: string, step: StepRequest) {
    return this.rpc.step(session, step);
  }
  steps(session: string, steps: StepRequest[]) {
    return this.rpc.steps(session, steps);
  }
  observe(session: string) {
    return this.rpc.observe(session);
  }
  close(session: string) {
    return this.rpc.close(session);
  }
  async dispose(): Promise<void> {
    try {
      await this.rpc.dispose();
    } finally {
      this.guard.release();
    }
  }
}
