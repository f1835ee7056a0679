import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_MODEL_KERNEL, parseVersion } from '../../oracle/core/kernel.ts';
import { DOCUMENTED } from '../../oracle/core/switches.ts';
import { resolveImplementation } from '../impl/resolve.ts';
import type { Implementation } from '../impl/types.ts';
import { jsonReport, junitReport, prettyFooter, prettyResult, summaryLine, tapReport } from '../runner/report.ts';
import { runScenarios, type RunSummary } from '../runner/run.ts';
import { UserError, writeOut } from './errors.ts';
import { onInterrupt } from './interrupt.ts';
import { chooseScenarios } from './select.ts';
import { plural } from '../core/plural.ts';

export type Reporter = 'pretty' | 'json' | 'junit' | 'tap';

export interface RunFlags {
  impl: string;
  mechanism?: string[];
  filter?: string[];
  kernel?: string;
  reporter: Reporter;
  output?: string;
  timeout: string;
  tables?: string[]; specTables?: boolean;
  verbose?: boolean;
  allowHostChanges?: boolean;
  bail?: boolean;
  maxFailures?: string;
  rerunFailed?: string;
}

/** A kernel release as --kernel takes it: 6.18, 6.12.117, 7.2.13+deb14-amd64, or 'documented'. */
export function checkKernelFlag(kernel: string | undefined): void {
  if (kernel !== undefined && kernel !== DOCUMENTED && !parseVersion(kernel)) {
    throw new UserError(`--kernel '${kernel}' is not a kernel release (e.g. 6.18, 6.12.117) nor '${DOCUMENTED}'`);
  }
}

/** The report file must be writable before an hour-long run starts, not after. */
export function checkOutputFile(file: string | undefined, flag = '--output'): void {
  if (!file) return;
  const dir = dirname(resolve(file));
  if (!existsSync(dir)) throw new UserError(`${flag} ${file}: the folder ${dir} does not exist`);
  try {
    accessSync(existsSync(file) ? file : dir, constants.W_OK);
    if (existsSync(file) && statSync(file).isDirectory()) throw new Error('is a folder');
  } catch (e) {
    throw new UserError(`${flag} ${file}: cannot write there (${(e as Error).message.replace(/^.*?: /, '')})`);
  }
}

/** The ids a previous JSON report (--reporter json) marks failed or flaky. */
function failedIn(file: string): string[] {
  let report: { scenarios?: { id?: unknown; status?: unknown }[] };
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`--rerun-failed ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(e as Error).message})`}`);
  }
  if (!Array.isArray(report?.scenarios)) throw new UserError(`--rerun-failed ${file}: not a report of mmspec run --reporter json (no "scenarios" list)`);
  return report.scenarios.filter((s) => s.status === 'failed' || s.status === 'flaky').map((s) => String(s.id));
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a whole number of at least 1, not '${v}'`);
  return n;
}

export async function runCommand(o: RunFlags): Promise<number> {
  const timeout = Number(o.timeout);
  if (!(timeout > 0)) throw new UserError(`--timeout must be a positive number of seconds, not '${o.timeout}'`);
  checkKernelFlag(o.kernel);
  if (o.output && o.reporter === 'pretty') throw new UserError('--output writes a json, junit or tap report: add --reporter json|junit|tap');
  checkOutputFile(o.output);
  const maxFailures = o.bail ? 1 : positiveInt(o.maxFailures, '--max-failures');
  let filter = o.filter;
  if (o.rerunFailed) {
    const ids = failedIn(o.rerunFailed);
    if (!ids.length) {
      process.stderr.write(`mmspec: ${o.rerunFailed} has no failed or flaky scenario: nothing to rerun\n`);
      return 0;
    }
    filter = [...(filter ?? []), ...ids];
  }
  const scenarios = chooseScenarios({ ...o, filter });

  const pretty = o.reporter === 'pretty';
  const out = lineBuffer(pretty ? process.stdout : process.stderr);
  const log = out.line;
  const report = (s: RunSummary) => (o.reporter === 'json' ? jsonReport(s) : o.reporter === 'tap' ? tapReport(s) : junitReport(s));

  let impl: Implementation;
  try {
    impl = await resolveImplementation(o.impl, { timeoutMs: timeout * 1000, allowHostChanges: o.allowHostChanges });
    await impl.describe();
  } catch (e) {
    // The machine-readable report still says what happened, so CI keeps a record.
    if (!pretty && !(e instanceof UserError)) writeOut(o.output, failedAtStart(o, e as Error));
    throw e;
  }

  // Ctrl-C: the scenario in progress finishes, then the summary so far.
  const interrupt = onInterrupt('mmspec: stopping after this scenario…');
  try {
    const info = await impl.describe();
    const kernel = info.kernel ?? o.kernel;
    log(`mmspec: ${plural(scenarios.length, 'scenario')} against ${info.name} ${info.version}${info.kernel ? ` (kernel ${info.kernel})` : ` (as kernel ${kernel ?? DEFAULT_MODEL_KERNEL})`}`);
    out.flush();
    const summary = await runScenarios(impl, scenarios, {
      kernel: o.kernel,
      maxFailures,
      signal: interrupt.signal,
      onResult: (r, done, total) => {
        if (pretty) log(prettyResult(r, !!o.verbose));
        else if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} ${r.id}\x1b[K`);
      },
    });
    if (!pretty && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (maxFailures && summary.failed >= maxFailures && summary.results.length < scenarios.length) summary.interrupted = true;
    if (pretty) {
      log(prettyFooter(summary, !!o.verbose));
      out.flush();
    } else {
      writeOut(o.output, report(summary));
      process.stderr.write(`${summaryLine(summary)}\n`);
    }
    const ran = summary.passed + summary.failed + summary.flaky + summary.knownDivergences;
    if (ran === 0) {
      process.stderr.write(`mmspec: nothing ran: ${plural(summary.skipped, 'scenario')} skipped (reasons above${o.verbose ? '' : '; -v lists each'})\n`);
      return 1;
    }
    if (interrupt.signal.aborted) return 130;
    return summary.failed === 0 ? 0 : 1;
  } finally {
    out.flush();
    interrupt.release();
    await impl.dispose?.();
  }
}

/**
 * Lines for a stream, written together when they come fast: a model answers hundreds of
 * scenarios in the time a write each would take; a real kernel's results still show one by one.
 */
function lineBuffer(stream: NodeJS.WriteStream, everyMs = 40) {
  let pending: string[] = [];
  let last = Date.now();
  const flush = () => {
    if (pending.length) stream.write(`${pending.join('\n')}\n`);
    pending = [];
    last = Date.now();
  };
  return {
    flush,
    line(s: string) {
      pending.push(s);
      if (Date.now() - last >= everyMs) flush();
    },
  };
}

/** The report of a run whose implementation could not start. */
function failedAtStart(o: RunFlags, e: Error): string {
  const summary: RunSummary = {
    implementation: { name: o.impl, version: '', mechanisms: [], layers: [], kernel: null },
    kernel: o.kernel ?? DEFAULT_MODEL_KERNEL, passed: 0, failed: 0, flaky: 0, knownDivergences: 0, skipped: 0, results: [],
  };
  const text = o.reporter === 'json' ? jsonReport(summary) : o.reporter === 'tap' ? tapReport(summary) : junitReport(summary);
  if (o.reporter === 'json') return JSON.stringify({ ...JSON.parse(text), error: `the implementation failed at start: ${e.message}` }, null, 2);
  if (o.reporter === 'tap') return `${text}\nBail out! the implementation failed at start: ${e.message.split('\n')[0]}`;
  return text.replace('</testsuites>', `  <!-- the implementation failed at start: ${e.message.replace(/--/g, '- -').split('\n')[0]} -->\n</testsuites>`);
}
