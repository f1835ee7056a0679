// mmspec check-impl --impl SPEC [--mechanism M]: the protocol checks of tools/impl/check.ts,
// one line per check. Exit 0 when nothing failed (warnings allowed), 1 when something did, 2
// for a usage error.
import { checkImplementation, type CheckTarget, type Finding } from '../impl/check.ts';
import { resolveImplementation } from '../impl/resolve.ts';
import { mechanisms } from '../spec/mechanisms.ts';
import { loadScenarios } from '../spec/tables.ts';
import { UserError } from './errors.ts';

export interface CheckImplFlags {
  impl: string;
  mechanism?: string[];
  kernel?: string;
  timeout: string;
  json?: boolean;
  allowHostChanges?: boolean;
}

const TAG: Record<Finding['verdict'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

export function formatFinding(f: Finding): string {
  return `${TAG[f.verdict]} ${f.check}: ${f.message}${f.fix ? ` — fix: ${f.fix}` : ''}`;
}

export async function checkImplCommand(o: CheckImplFlags): Promise<number> {
  const timeout = Number(o.timeout);
  if (!(timeout > 0)) throw new UserError(`--timeout must be a positive number of seconds, not '${o.timeout}'`);
  const known = [...mechanisms().keys()];
  for (const m of o.mechanism ?? []) if (!known.includes(m)) throw new UserError(`unknown mechanism '${m}' (known: ${known.join(', ')})`);

  let target: CheckTarget;
  if (o.impl.startsWith('exec:')) {
    const command = o.impl.slice('exec:'.length).trim();
    if (!command) throw new UserError('exec: needs a command, e.g. --impl exec:"python3 my_impl.py"');
    target = { command, label: o.impl };
  } else {
    target = { impl: await resolveImplementation(o.impl, { timeoutMs: timeout * 1000, allowHostChanges: o.allowHostChanges }), label: o.impl };
  }
  let findings: Finding[];
  try {
    findings = await checkImplementation(target, { scenarios: loadScenarios(), mechanisms: o.mechanism, timeoutMs: timeout * 1000, kernel: o.kernel });
  } finally {
    await target.impl?.dispose?.();
  }
  const count = (v: Finding['verdict']) => findings.filter((f) => f.verdict === v).length;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ impl: o.impl, ok: count('ok'), warnings: count('warn'), failed: count('fail'), findings }, null, 2)}\n`);
  } else {
    process.stdout.write(`mmspec check-impl: ${o.impl}\n`);
    for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
    process.stdout.write(`${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failed\n`);
  }
  return count('fail') ? 1 : 0;
}
