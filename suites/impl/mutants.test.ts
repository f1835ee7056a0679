// Deliberately wrong models (fixtures/impls/mutants/): each is a small change to the oracle's
// own code or a kernel behaviour switch turned the wrong way. The tables must catch each with
// a named row that fails on the changed rule, and the fuzzer must find each within 1,000
// sequences and shrink it to at most 6 steps.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MECHANISMS } from '../../oracle/index.ts';
import { fuzz } from '../../tools/fuzz/engine.ts';
import { loadModuleImplementation } from '../../tools/impl/module.ts';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { runScenarios } from '../../tools/runner/run.ts';
import { mechanisms } from '../../tools/spec/mechanisms.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { ROOT } from '../helpers.ts';

const all = loadScenarios();

/** Mutant, its mechanism, a row it must fail, and the field that row's diff names. */
const MUTANTS: [string, string, string, string][] = [
  ['munmap-keeps-charge', 'overcommit', 'overcommit.mremap-brk-munmap.munmap-partial-tail', 'Committed_AS'],
  ['read-fault-makes-anon-vma', 'overcommit', 'overcommit.mprotect.rw-to-ro-read-faulted-uncharged', 'Committed_AS'],
  ['noreserve-shmem-free', 'overcommit', 'overcommit.charges.noreserve-shared-anon-fault-charges-per-page', 'Committed_AS'],
  ['mprotect-keeps-unfaulted-charge', 'overcommit', 'overcommit.mprotect.rw-to-ro-unfaulted-uncharged', 'Committed_AS'],
];

describe('mutants', () => {
  for (const [name, mechanism, row, field] of MUTANTS) {
    describe(name, () => {
      it(`fails ${row} on ${field}, with a readable diff`, async () => {
        const impl = await loadModuleImplementation(join(ROOT, `fixtures/impls/mutants/${name}.ts`));
        const s = await runScenarios(impl, all.filter((x) => x.id === row));
        const r = s.results[0]!;
        expect(r.status).toBe('failed');
        expect(r.diff).toMatch(/^--- expected/m);
        expect(r.diff).toContain(field);
      });

      it('is found by the fuzzer within 1,000 sequences and shrunk to at most 6 steps', async () => {
        const a = await loadModuleImplementation(join(ROOT, `fixtures/impls/mutants/${name}.ts`));
        const report = await fuzz({
          spec: mechanisms().get(mechanism)!, generate: MECHANISMS[mechanism]!.generator!.generate,
          a, b: new OracleImplementation(), seed: 1, count: 1000, length: 20, kernel: '6.18',
          disposable: true, confirmations: 1, shrinkBudget: 300,
        });
        expect(report.divergences.length).toBeGreaterThan(0);
        expect(Math.min(...report.divergences.map((d) => d.minimal.steps.length))).toBeLessThanOrEqual(6);
      });
    });
  }

  it('the oracle itself is not one: the fuzzer finds nothing against itself', async () => {
    const report = await fuzz({
      spec: mechanisms().get('overcommit')!, generate: MECHANISMS.overcommit!.generator!.generate,
      a: new OracleImplementation(), b: new OracleImplementation(), seed: 2, count: 300, length: 20, kernel: '6.18',
      disposable: true, confirmations: 1, shrinkBudget: 50,
    });
    expect(report.divergences).toEqual([]);
  });
});
