// --impl SPEC → an implementation under test.
import { UserError } from '../cli/errors.ts';
import { execImplementation } from './exec.ts';
import { linuxImplementation } from '../linux/impl.ts';
import { loadModuleImplementation } from './module.ts';
import { OracleImplementation } from './oracle.ts';
import type { Implementation } from './types.ts';

export interface ResolveOptions {
  timeoutMs?: number;
  allowHostChanges?: boolean;
}

export const IMPL_FORMS = ['oracle', 'module:PATH', 'exec:COMMAND', 'linux'];

export async function resolveImplementation(spec: string, opts: ResolveOptions = {}): Promise<Implementation> {
  if (spec === 'oracle') return new OracleImplementation();
  if (spec === 'linux') return linuxImplementation(opts);
  if (spec.startsWith('module:')) return loadModuleImplementation(spec.slice('module:'.length));
  if (spec.startsWith('exec:')) {
    const command = spec.slice('exec:'.length).trim();
    if (!command) throw new UserError('exec: needs a command, e.g. --impl exec:"python3 my_impl.py"');
    return execImplementation(command, opts.timeoutMs);
  }
  throw new UserError(`unknown implementation '${spec}': use one of ${IMPL_FORMS.join(', ')}`);
}
