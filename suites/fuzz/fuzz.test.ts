// The differential fuzzer on any mechanism: generators (deterministic, well-formed, covering
// every op), the engine (finds, confirms, shrinks, deduplicates, tells flaky from real) and the
// command (rows that replay, progress, JSON report, Ctrl-C). The engine's subject here is the
// worked example with a missing range check (fixtures/impls/faulty, MMSPEC_FAULT=no-range-check).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MECHANISMS } from '../../oracle/index.ts';
import { Random } from '../../oracle/core/random.ts';
import { fuzz } from '../../tools/fuzz/engine.ts';
import { divergenceRow } from '../../tools/fuzz/rows.ts';
import { loadModuleImplementation } from '../../tools/impl/module.ts';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { ImplError, type Implementation, type StepRequest, type StepResult } from '../../tools/impl/types.ts';
import { mechanisms } from '../../tools/spec/mechanisms.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { cli, EXAMPLE, MMSPEC, ROOT, tempDir, tempTables } from '../helpers.ts';

const FAULTY = join(ROOT, 'fixtures/impls/faulty/faulty.ts');
const generated = Object.keys(MECHANISMS).filter((m) => MECHANISMS[m]!.generator && mechanisms().has(m)).sort();
const gen = (m: string) => MECHANISMS[m]!.generator!;

describe('generators', () => {
  for (const m of generated) {
    describe(m, () => {
      const cases = Array.from({ length: 400 }, (_, i) => gen(m).generate(new Random(Random.derive(11, i)), { length: 20, disposable: true }));

      it('give the same sequences for the same seed, byte for byte', () => {
        const again = Array.from({ length: 400 }, (_, i) => gen(m).generate(new Random(Random.derive(11, i)), { length: 20, disposable: true }));
        expect(JSON.stringify(again)).toBe(JSON.stringify(cases));
        const other = gen(m).generate(new Random(Random.derive(12, 0)), { length: 20, disposable: true });
        expect(JSON.stringify(other)).not.toBe(JSON.stringify(cases[0]));
      });

      it('cover every op of the schema that a sequence can use', () => {
        const spec = mechanisms().get(m)!;
        const used = new Set(cases.flatMap((c) => c.steps.map((s) => s.op)));
        const abi = [...spec.ops.values()].filter((o) => o.layer === 'abi').map((o) => o.name);
        expect(abi.filter((op) => !used.has(op))).toEqual([]);
      });

      it('make valid rows: every case loads as a table and runs on the oracle without an invalid request', async () => {
        const dir = tempTables({
          [`${m}/gen.json`]: {
            mechanism: m, doc: gen(m).doc, topic: 'generated',
            scenarios: cases.slice(0, 60).map((c, i) => ({
              id: `${m}.gen.case-${i}`, title: `generated case ${i}`, level: 'may', layer: 'abi', kernels: '*',
              cites: [gen(m).cite], config: c.config, steps: c.steps.map((s) => ({ ...s, expect: undefined, note: 'generated' })),
            })),
          },
        });
        const rows = loadScenarios(dir);
        expect(rows).toHaveLength(60);
        const report = await fuzz({
          spec: mechanisms().get(m)!, generate: gen(m).generate, a: new OracleImplementation(), b: new OracleImplementation(),
          seed: 11, count: 200, length: 20, kernel: '6.18', disposable: true, confirmations: 1, shrinkBudget: 0,
        });
        expect(Object.keys(report.skipped).filter((k) => k.startsWith('broken'))).toEqual([]);
        expect(report.sequences).toBe(200);
      });
    });
  }
});

describe('the engine', () => {
  const spec = () => mechanisms().get(EXAMPLE)!;
  const faulty = async () => {
    process.env.MMSPEC_FAULT = 'no-range-check';
    return loadModuleImplementation(FAULTY);
  };

  it('finds a missing range check, confirms it, shrinks it to one step and counts every sequence that shows it', async () => {
    const report = await fuzz({
      spec: spec(), generate: gen(EXAMPLE).generate, a: await faulty(), b: new OracleImplementation(),
      seed: 5, count: 100, length: [5, 10], kernel: '6.18', disposable: true, confirmations: 1, shrinkBudget: 200,
    });
    // One signature (deduplicated), seen in many sequences: out-of-range values are common in the generator.
    expect(report.divergences.map((d) => d.signature)).toEqual(['set_scale:ret:ok/errno']);
    const [d] = report.divergences;
    expect(d!.occurrences).toBeGreaterThan(5);
    expect(d!.minimal.steps).toHaveLength(1);
    const v = d!.minimal.steps[0]!.args.value as number;
    expect(v < 1 || v > 3000).toBe(true);
    expect(report.flaky).toEqual([]);
  });

  it('calls a difference that does not come back flaky, with both outcomes, never a divergence', async () => {
    // Right on every other run: the first run differs, the confirmation does not.
    const oracle = new OracleImplementation();
    let runs = 0;
    const sometimes: Implementation = Object.assign(Object.create(oracle) as Implementation, {
      async open(p: Parameters<Implementation['open']>[0]) {
        runs++;
        return oracle.open(p);
      },
      async step(session: string, st: StepRequest): Promise<StepResult> {
        const r = await oracle.step(session, st);
        const off = { ...r.observation, watermark_scale_factor: (r.observation.watermark_scale_factor as number) + 1 };
        return runs % 2 === 1 ? { ...r, observation: off } : r;
      },
      async steps(session: string, sts: StepRequest[]) {
        const out: StepResult[] = [];
        for (const st of sts) out.push(await this.step(session, st));
        return out;
      },
    });
    const report = await fuzz({
      spec: spec(), generate: gen(EXAMPLE).generate, a: sometimes, b: new OracleImplementation(),
      seed: 5, count: 1, length: 5, kernel: '6.18', disposable: true, confirmations: 1, shrinkBudget: 50,
    });
    expect(report.divergences).toEqual([]);
    expect(report.flaky).toHaveLength(1);
    expect(report.flaky[0]!.outcomes).toEqual([expect.stringContaining('watermark_scale_factor'), 'no difference']);
  });

  it('skips a sequence at a step the implementation cannot do, and keeps a difference found before it', async () => {
    // A stands in for a kernel whose session becomes polluted at its third step: it answers
    // unsupported from there. With no difference before, the sequence is skipped for that
    // reason; when A also answers one step before wrongly, that difference is a divergence.
    const make = (wrongAt: number | null): Implementation => {
      const oracle = new OracleImplementation();
      let n = 0;
      return Object.assign(Object.create(oracle) as Implementation, {
        async open(p: Parameters<Implementation['open']>[0]) {
          n = 0;
          return oracle.open(p);
        },
        async step(session: string, st: StepRequest): Promise<StepResult> {
          const i = n++;
          if (i >= 2) throw new ImplError('unsupported', 'polluted: others hold what the session needs');
          const r = await oracle.step(session, st);
          return i === wrongAt ? { ...r, observation: { ...r.observation, watermark_scale_factor: -1 } } : r;
        },
        steps: undefined,
      });
    };
    const run = async (a: Implementation) => fuzz({
      spec: spec(), generate: gen(EXAMPLE).generate, a, b: new OracleImplementation(),
      seed: 5, count: 4, length: 5, kernel: '6.18', disposable: true, confirmations: 1, shrinkBudget: 0,
    });
    const clean = await run(make(null));
    expect(clean.divergences).toEqual([]);
    expect(clean.sequences).toBe(0);
    expect(Object.keys(clean.skipped)).toEqual([expect.stringMatching(/^skipped: step N \(\w+\) unsupported: polluted/)]);
    expect(Object.values(clean.skipped)).toEqual([4]);
    const wrong = await run(make(1));
    expect(wrong.divergences.length).toBeGreaterThan(0);
    for (const d of wrong.divergences) expect(d.signature).toMatch(/:watermark_scale_factor:less$/);
  });

  it('stops when told, and says it was interrupted', async () => {
    const abort = new AbortController();
    const report = await fuzz({
      spec: spec(), generate: gen(EXAMPLE).generate, a: new OracleImplementation(), b: new OracleImplementation(),
      seed: 5, count: 1000, length: 5, kernel: '6.18', disposable: true, confirmations: 1, shrinkBudget: 0,
      signal: abort.signal, onProgress: (p) => p.done === 10 && abort.abort(),
    });
    expect(report).toMatchObject({ sequences: 10, interrupted: true });
  });
});

describe('mmspec fuzz', () => {
  it('writes each divergence as a row that replays: it passes on the implementation that answered so, fails on the other', () => {
    const out = tempDir('mmspec-fuzz-rows-');
    const report = join(tempDir('mmspec-fuzz-report-'), 'report.json');
    const r = cli(['fuzz', '--mechanism', EXAMPLE, '--impl', `module:${FAULTY}`, '--seed', '5', '--count', '60', '--out', out, '--report', report], { env: { MMSPEC_FAULT: 'no-range-check' } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/divergence set_scale:ret:ok\/errno: \d+ sequences, shrunk to 1 step → /);
    expect(r.stderr).toMatch(/fuzz .*: 60\/60 sequences, \d+ steps\/s, 1 divergences, 0 flaky, 0 skipped, 0 s left/);
    const files = readdirSync(out);
    expect(files).toHaveLength(1);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json).toMatchObject({ seed: 5, divergences: 1, runs: [{ mechanism: EXAMPLE, sequences: 60, rows: [{ level: 'quirk' }] }] });
    expect(json.runs[0].rows[0].evidence[0]).toMatch(/mmspec fuzz --seed 5 /);

    const onFaulty = cli(['run', '--no-spec-tables', '--tables', out, '--impl', `module:${FAULTY}`], { env: { MMSPEC_FAULT: 'no-range-check' } });
    expect(onFaulty.stdout).toMatch(/^1 passed, 0 failed/m);
    const onOracle = cli(['run', '--no-spec-tables', '--tables', out]);
    expect(onOracle.code).toBe(1);
    expect(onOracle.stdout).toMatch(/^0 passed, 1 failed/m);
  });

  it('leaves out of a row the steps its implementation refused as invalid (names a failed step never made)', () => {
    const obs = { watermark_scale_factor: 10 };
    const step = (op: string, args: Record<string, unknown>) => ({ op, args });
    const steps = [step('set_scale', { value: 20 }), step('read_scale', { as: 'gone' }), step('set_scale', { value: 30 })];
    const ta = {
      start: obs,
      steps: [
        { request: steps[0]!, result: { ret: 'ok' as const, observation: { watermark_scale_factor: 20 } } },
        { request: steps[1]!, error: { kind: 'invalid', message: "no value 'gone'" } },
        { request: steps[2]!, result: { ret: 'ok' as const, observation: { watermark_scale_factor: 30 } } },
      ],
    };
    const d = {
      signature: 'set_scale:watermark_scale_factor:more', differences: [{ step: 2, op: 'set_scale', field: 'watermark_scale_factor', a: 30, b: 29, signature: 'x' }],
      seed: 1, index: 0, original: { config: {}, steps }, minimal: { config: {}, steps }, traces: [ta, ta] as [typeof ta, typeof ta], occurrences: 1, shrinkRuns: 0,
    };
    const info = { name: 'a', version: '1', mechanisms: [EXAMPLE], layers: ['abi' as const], kernel: null };
    const row = divergenceRow(d, mechanisms().get(EXAMPLE)!, gen(EXAMPLE), info, info, new Date(0), 1);
    expect(row.steps.map((s) => s.op)).toEqual(['set_scale', 'set_scale']);
    expect(row.steps[1]!.expect).toEqual({ observe: { watermark_scale_factor: 30 } });
  });

  it('gives the same campaign for the same seed', () => {
    const run = () => cli(['fuzz', '--mechanism', EXAMPLE, '--impl', `module:${FAULTY}`, '--seed', '9', '--count', '40', '--no-write'], { env: { MMSPEC_FAULT: 'no-range-check' } });
    const [x, y] = [run(), run()];
    const strip = (s: string) => s.replace(/ in [\d.]+ s \(\d+ steps\/s\)/, '');
    expect(strip(x.stdout)).toBe(strip(y.stdout));
    expect(x.stdout).toMatch(/40 sequences, \d+ steps/);
  });

  it('on Ctrl-C stops after the sequence in progress and prints what it found so far', async () => {
    const child = spawn(process.execPath, [MMSPEC, 'fuzz', '--mechanism', EXAMPLE, '--seed', '1', '--count', '100000000', '--no-write'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/sequences/.test(stderr) && !child.killed) setTimeout(() => child.kill('SIGINT'), 500);
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toMatch(/stopping after this sequence/);
    expect(stdout).toMatch(/sequences?, \d+ steps? in [\d.]+ s .*, interrupted/);
    expect(stdout).toMatch(/0 divergences, 0 flaky, seed 1/);
    expect(code).toBe(0);
  });
});
