import { checkKernelFlag } from './run.ts';
import { findDocs } from '../cite/docs.ts';
import { paragraphOf } from '../cite/rst.ts';
import { MECHANISMS } from '../../oracle/index.ts';
import { OracleImplementation } from '../impl/oracle.ts';
import { runScenarios } from '../runner/run.ts';
import { loadScenarios, tablesFrom } from '../spec/tables.ts';
import { UserError } from './errors.ts';

export async function explainCommand(id: string, o: { kernel?: string; docs?: string; tables?: string[]; specTables?: boolean }): Promise<number> {
  checkKernelFlag(o.kernel);
  const all = loadScenarios(tablesFrom(o));
  const s = all.find((x) => x.id === id);
  if (!s) {
    const near = all.filter((x) => x.id.includes(id) || id.includes(x.id.split('.').slice(0, 2).join('.'))).slice(0, 5);
    throw new UserError(`no scenario '${id}'${near.length ? `; did you mean: ${near.map((x) => x.id).join(', ')}` : ''}`);
  }
  let docs = null;
  try {
    docs = findDocs(o.docs);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  console.log(`${s.id}: ${s.title}`);
  console.log(`level ${s.level} · layer ${s.layer} · kernels ${s.kernels} · ${s.file}`);
  for (const c of s.cites) {
    const doc = c.doc ?? s.doc;
    console.log(`\n  cites ${doc} § ${c.section}: "${c.quote}"`);
    const text = docs?.read(doc);
    const para = text ? paragraphOf(text, c.quote) : null;
    if (para) console.log(para.replace(/^/gm, '  | '));
  }
  if (s.derivation) console.log(`\n  derivation: ${s.derivation}`);
  for (const e of s.evidence ?? []) console.log(`  evidence: ${e}`);
  if (s.erratum) console.log(`  erratum: the document says ${s.erratum.document}; kernels: ${s.erratum.kernel}`);

  const summary = await runScenarios(new OracleImplementation(), [s], { kernel: o.kernel, trace: true });
  const r = summary.results[0]!;
  console.log(`\noracle (as kernel ${summary.kernel}):`);
  let prev: Record<string, unknown> = {};
  for (const t of r.trace ?? []) {
    const { observation, ...ret } = t.result;
    console.log(`  ${t.ok ? 'ok  ' : 'DIFF'} step ${t.index}: ${t.step.proc ? `[${t.step.proc}] ` : ''}${t.step.op} ${JSON.stringify(t.step.args)} → ${JSON.stringify(ret)}`);
    const changed = Object.entries(observation).filter(([k, v]) => prev[k] !== v);
    console.log(`       ${changed.map(([k, v]) => `${k}=${String(v)}`).join('  ') || '(no change)'}`);
    prev = observation;
  }
  console.log(`\n${r.status}${r.reason ? `: ${r.reason}` : ''}`);
  if (r.diff) console.log(r.diff);
  const switches = MECHANISMS[s.mechanism]?.switches ?? [];
  if (r.switches?.length) {
    console.log('\nkernel behaviour switches that shaped this result:');
    for (const name of r.switches) {
      const sw = switches.find((x) => x.name === name);
      console.log(`  ${name} (kernels ${sw?.kernels ?? '?'}): ${sw?.summary ?? ''}`);
    }
  } else if (switches.length) {
    console.log(`\nno kernel behaviour switch shaped this result (${s.mechanism} has ${switches.map((x) => x.name).join(', ')})`);
  }
  return r.status === 'failed' ? 1 : 0;
}
