// Deliberately wrong models (fixtures/impls/mutants/<mechanism>/): each is a small change to the
// oracle's own code or a kernel behaviour switch turned the wrong way. The tables must catch
// each with its named row failing on the changed rule, and the fuzzer must find each within
// 1,000 sequences and shrink it to at most 6 steps.
import { globSync } from 'glob';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MECHANISMS } from '../../oracle/index.ts';
import { fuzz } from '../../tools/fuzz/engine.ts';
import { loadModuleImplementation } from '../../tools/impl/module.ts';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { runScenarios } from '../../tools/runner/run.ts';
import { mechanisms } from '../../tools/spec/mechanisms.ts';
import { loadScenarios, tablesDir } from '../../tools/spec/tables.ts';
import { ROOT } from '../helpers.ts';

const all = loadScenarios();
const files = globSync('fixtures/impls/mutants/*/*.ts', { cwd: ROOT }).sort();
const generated = Object.keys(MECHANISMS).filter((m) => MECHANISMS[m]!.generator && mechanisms().has(m));

describe('mutants', () => {
  it("there are at least 3 mutants of each of the project's mechanisms the fuzzer generates for", () => {
    const own = new Set(loadScenarios(tablesDir()).map((s) => s.mechanism));
    for (const m of generated.filter((g) => own.has(g))) {
      expect(files.filter((f) => f.split('/')[3] === m).length, m).toBeGreaterThanOrEqual(3);
    }
  });

  for (const file of files) {
    const mechanism = file.split('/')[3]!;
    describe(file, () => {
      it('fails its row on its field, with a readable diff', async () => {
        const { catches } = (await import(pathToFileURL(join(ROOT, file)).href)) as { catches: { row: string; field: string } };
        const rows = all.filter((x) => x.id === catches.row);
        expect(rows, `${catches.row} is a row of the tables`).toHaveLength(1);
        const s = await runScenarios(await loadModuleImplementation(join(ROOT, file)), rows);
        const r = s.results[0]!;
        expect(r.status).toBe('failed');
        expect(r.diff).toMatch(/^--- expected/m);
        expect(r.diff).toContain(catches.field);
      });

      it('is found by the fuzzer within 1,000 sequences and shrunk to at most 6 steps', async () => {
        const report = await fuzz({
          spec: mechanisms().get(mechanism)!, generate: MECHANISMS[mechanism]!.generator!.generate,
          a: await loadModuleImplementation(join(ROOT, file)), b: new OracleImplementation(), seed: 1, count: 1000, length: 20,
          kernel: '6.18', disposable: true, confirmations: 1, shrinkBudget: 300,
        });
        expect(report.divergences.length).toBeGreaterThan(0);
        expect(Math.min(...report.divergences.map((d) => d.minimal.steps.length))).toBeLessThanOrEqual(6);
      });
    });
  }

  for (const m of generated) {
    it(`the oracle itself is not one: the fuzzer finds nothing against itself (${m})`, async () => {
      const report = await fuzz({
        spec: mechanisms().get(m)!, generate: MECHANISMS[m]!.generator!.generate,
        a: new OracleImplementation(), b: new OracleImplementation(), seed: 2, count: 300, length: 20, kernel: '6.18',
        disposable: true, confirmations: 1, shrinkBudget: 50,
      });
      expect(report.divergences).toEqual([]);
    });
  }
});
