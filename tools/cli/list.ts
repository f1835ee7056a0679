import { chooseScenarios, type SelectFlags } from './select.ts';
import { plural } from '../core/plural.ts';

export function listCommand(o: SelectFlags & { level?: string; json?: boolean }): number {
  const scenarios = chooseScenarios(o).filter((s) => !o.level || s.level === o.level);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(scenarios.map(({ steps: _s, ...rest }) => rest), null, 2)}\n`);
    return 0;
  }
  for (const s of scenarios) {
    console.log(`${s.id}  [${s.level}, ${s.layer}, kernels ${s.kernels}]`);
    console.log(`    ${s.title}`);
    for (const c of s.cites) console.log(`    ${c.doc ?? s.doc} § ${c.section}: "${c.quote}"`);
    if (s.erratum) console.log(`    ERRATUM: document: ${s.erratum.document}\n             kernel: ${s.erratum.kernel}`);
    for (const d of s.divergences ?? []) console.log(`    KNOWN KERNEL DIVERGENCE (${d.kernels}): ${d.summary}`);
  }
  const levels = new Map<string, number>();
  for (const s of scenarios) levels.set(s.level, (levels.get(s.level) ?? 0) + 1);
  console.log(`${plural(scenarios.length, 'scenario')} (${[...levels].map(([l, n]) => `${n} ${l}`).join(', ')})`);
  return 0;
}
