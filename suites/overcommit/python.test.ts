// overcommit through an independent implementation in Python (fixtures/impls/python-overcommit),
// which imports nothing from this project and speaks the line protocol.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execImplementation } from '../../tools/impl/exec.ts';
import { runScenarios } from '../../tools/runner/run.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { ROOT } from '../helpers.ts';

const all = loadScenarios();

describe('exec: an independent implementation in Python', () => {
  const py = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!py)('passes every abi scenario', async () => {
    const impl = execImplementation(`python3 "${join(ROOT, 'fixtures/impls/python-overcommit/overcommit.py')}"`);
    try {
      const s = await runScenarios(impl, all.filter((x) => x.mechanism === 'overcommit'));
      const failed = s.results.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.reason}\n${r.diff ?? ''}`);
      expect(failed).toEqual([]);
      // It models the 6.18 host's abi with the basic machine facts (RAM, swap, CPUs, huge page
      // size) and says 'unsupported' to the others: every other abi row must pass.
      const basic = new Set(['MemTotal', 'SwapTotal', 'nr_cpus', 'Hugepagesize']);
      const runnable = all.filter((x) => x.mechanism === 'overcommit' && x.layer === 'abi' && !x.kernels.includes('<')
        && Object.keys((x.config?.machine as object | undefined) ?? {}).every((k) => basic.has(k)));
      expect(s.passed).toBe(runnable.length);
      expect(s.results.filter((r) => r.status === 'skipped' && /not modelled here/.test(r.reason ?? '')).length).toBeGreaterThan(0);
    } finally {
      await impl.dispose();
    }
  });
});
