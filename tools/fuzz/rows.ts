// A divergence the fuzzer found, kept as a replayable scenario row in the table format:
// the shrunk sequence (its arguments as generated, expressions included), with A's answers as
// the expected values and the evidence of where and when they were seen.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SequenceGenerator } from '../../oracle/core/generate.ts';
import { parseVersion } from '../../oracle/core/kernel.ts';
import { isExpr } from '../core/expr.ts';
import type { ImplementationInfo } from '../impl/types.ts';
import type { MechanismSpec } from '../spec/mechanisms.ts';
import type { Scenario, ScenarioTable } from '../spec/tables.ts';
import type { Divergence } from './engine.ts';

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

/** The kernel range of a release: its x.y series. */
export function seriesRange(release: string | null): string {
  const v = release ? parseVersion(release) : null;
  return v ? `>=${v[0]}.${v[1]} <${v[0]}.${v[1] + 1}` : '*';
}

/** The scenario row of a divergence; expected values are what A (the kernel, if one) answered. */
export function divergenceRow(d: Divergence, spec: MechanismSpec, gen: SequenceGenerator, a: ImplementationInfo, b: ImplementationInfo, when: Date, seed: number, mutate = 0): Scenario {
  const [ta] = d.traces;
  const kernel = a.kernel ?? b.kernel;
  const hash = createHash('sha256').update(`${d.signature}\0${kernel ?? a.name}`).digest('hex').slice(0, 8);
  const first = d.differences[0]!;
  let tainted = false;
  const steps = d.minimal.steps.map((st, i) => {
    // A step A refused as invalid named what no earlier step made (its mmap failed): it
    // changed nothing, and a replay would stop at it. It is left out.
    if (ta.steps[i]?.error?.kind === 'invalid') return null;
    const out: Scenario['steps'][number] = { op: st.op, args: st.args as Record<string, unknown> };
    if (st.proc) out.proc = st.proc;
    const r = ta.steps[i]?.result;
    if (!r) {
      out.note = `${a.name} refused this step: ${ta.steps[i]?.error?.message ?? 'no answer'}`;
      return out;
    }
    const expect: NonNullable<Scenario['steps'][number]['expect']> = {};
    if (r.ret !== 'ok') expect.ret = r.ret;
    if (r.errno) expect.errno = r.errno;
    if (r.signal) expect.signal = r.signal;
    if (r.si_code) expect.si_code = r.si_code;
    if (r.value !== undefined) expect.value = r.value;
    // What this step changed (but what depends on the machine, or on an argument read from
    // the observation), and at the differing step every field that differed.
    const observe: Record<string, number | { delta: number }> = {};
    const differing = new Set(i === first.step ? d.differences.map((x) => x.field.replace(/ \(delta\)$/, '')) : []);
    // Once a step's size came from the observation, totals since the start depend on the machine.
    const fromObservation = Object.values(st.args).some(isExpr);
    tainted ||= fromObservation;
    const portable = !fromObservation;
    const before = (i ? ta.steps[i - 1]?.result?.observation : undefined) ?? ta.start ?? {};
    for (const [k, v] of Object.entries(r.observation)) {
      if (typeof v !== 'number') continue;
      const changed = portable && before[k] !== v && !spec.machineDependent.has(k) && !(tainted && spec.machineWide.has(k));
      if (!changed && !differing.has(k)) continue;
      const s0 = ta.start?.[k];
      observe[k] = spec.machineWide.has(k) && typeof s0 === 'number' ? { delta: v - s0 } : v;
    }
    if (Object.keys(observe).length) expect.observe = observe;
    if (Object.keys(expect).length) out.expect = expect;
    return out;
  }).filter((st) => st !== null);
  return {
    id: `${spec.name}.fuzz.${slug(d.signature)}-${hash}`,
    title: `Fuzz: ${first.op} answers ${first.field} ${JSON.stringify(first.a)} where ${b.name} says ${JSON.stringify(first.b)}`.slice(0, 120),
    level: 'quirk',
    layer: 'abi',
    kernels: seriesRange(kernel),
    cites: [gen.cite],
    config: d.minimal.config,
    steps: steps as Scenario['steps'],
    evidence: [
      `${a.name}${a.kernel ? ` on kernel ${a.kernel}` : ''}, ${when.toISOString().slice(0, 10)}: seen in ${d.occurrences} sequence(s); first as sequence ${d.index} of mmspec fuzz --seed ${seed}${mutate ? ` --mutate ${mutate}` : ''} (generator seed ${d.seed}), shrunk in ${d.shrinkRuns} runs`,
      `compared with ${b.name}${b.kernel ? ` (kernel ${b.kernel})` : ''}: ${d.differences.map((x) => `${x.field} ${JSON.stringify(x.a)} vs ${JSON.stringify(x.b)}`).join('; ')}`,
    ],
  };
}

/** Writes each row as its own table under dir; returns the files. */
export function writeRows(dir: string, spec: MechanismSpec, gen: SequenceGenerator, rows: Scenario[]): string[] {
  mkdirSync(dir, { recursive: true });
  return rows.map((row) => {
    const table: ScenarioTable & { $schema: string } = {
      $schema: '../../../spec/schemas/table.schema.json',
      mechanism: spec.name,
      doc: gen.doc,
      topic: 'A divergence differential fuzzing found',
      scenarios: [row],
    };
    const file = join(dir, `${row.id.split('.').slice(2).join('.')}.json`);
    writeFileSync(file, `${JSON.stringify(table, null, 2)}\n`);
    return file;
  });
}
