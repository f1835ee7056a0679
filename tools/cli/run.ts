import { DEFAULT_MODEL_KERNEL } from '../../oracle/core/kernel.ts';
import { resolveImplementation } from '../impl/resolve.ts';
import { jsonReport, junitReport, prettyFooter, prettyResult } from '../runner/report.ts';
import { runScenarios } from '../runner/run.ts';
import { UserError, writeOut } from './errors.ts';
import { chooseScenarios } from './select.ts';

export interface RunFlags {
  impl: string;
  mechanism?: string[];
  filter?: string;
  kernel?: string;
  reporter: 'pretty' | 'json' | 'junit';
  output?: string;
  timeout: string;
  tables?: string[]; specTables?: boolean;
  verbose?: boolean;
  allowHostChanges?: boolean;
}

export async function runCommand(o: RunFlags): Promise<number> {
  const timeout = Number(o.timeout);
  if (!(timeout > 0)) throw new UserError(`--timeout must be a positive number of seconds, not '${o.timeout}'`);
  const scenarios = chooseScenarios(o);

  const impl = await resolveImplementation(o.impl, { timeoutMs: timeout * 1000, allowHostChanges: o.allowHostChanges });
  const pretty = o.reporter === 'pretty';
  const log = (s: string) => (pretty ? process.stdout : process.stderr).write(`${s}\n`);
  try {
    const info = await impl.describe();
    const kernel = info.kernel ?? o.kernel;
    log(`mmspec: ${scenarios.length} scenarios against ${info.name} ${info.version}${info.kernel ? ` (kernel ${info.kernel})` : ` (as kernel ${kernel ?? DEFAULT_MODEL_KERNEL})`}`);
    const summary = await runScenarios(impl, scenarios, {
      kernel: o.kernel,
      onResult: (r, done, total) => {
        if (pretty) log(prettyResult(r, !!o.verbose));
        else if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} ${r.id}\x1b[K`);
      },
    });
    if (!pretty && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (pretty) log(prettyFooter(summary));
    else {
      writeOut(o.output, o.reporter === 'json' ? jsonReport(summary) : junitReport(summary));
      process.stderr.write(`${prettyFooter(summary).split('\n').pop()}\n`);
    }
    return summary.failed === 0 ? 0 : 1;
  } finally {
    await impl.dispose?.();
  }
}
