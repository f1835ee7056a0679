// The tables themselves: they load, ids are unique and stable-looking, and bad tables are
// reported with file, scenario id, step index and JSON path.
import { describe, expect, it } from 'vitest';
import { loadScenarios, TableError } from '../../tools/spec/tables.ts';
import { cli, smallTable, tempTables } from '../helpers.ts';

describe('scenario tables', () => {
  const scenarios = loadScenarios();

  it('load and validate against the table and mechanism schemas', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  it('have ids unique across the project', () => {
    const ids = scenarios.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('cite at least one document passage each', () => {
    for (const s of scenarios) expect(s.cites.length, s.id).toBeGreaterThan(0);
  });

  it('give overcommit at least 40 scenarios across must, should and quirk', () => {
    const oc = scenarios.filter((s) => s.mechanism === 'overcommit');
    expect(oc.length).toBeGreaterThanOrEqual(40);
    for (const level of ['must', 'should', 'quirk']) expect(oc.some((s) => s.level === level), level).toBe(true);
  });

  it('keep version-dependent behaviour in kernel ranges, not in skips', () => {
    const ranged = scenarios.filter((s) => s.kernels !== '*');
    expect(ranged.length).toBeGreaterThan(0);
  });
});

describe('malformed tables', () => {
  const problems = (files: Record<string, unknown>) => {
    try {
      loadScenarios(tempTables(files));
    } catch (e) {
      if (e instanceof TableError) return e.problems;
      throw e;
    }
    return [];
  };

  it('name the file, scenario and JSON path of a schema violation', () => {
    const [p, ...rest] = problems({ 'overcommit/a.json': smallTable({ level: 'sometimes' }) });
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ file: expect.stringContaining('overcommit/a.json'), scenario: 'overcommit.test.private-rw', path: '/level' });
    expect(p!.message).toContain('must be one of');
  });

  it('name the step index of a bad argument', () => {
    const t = smallTable();
    (t.scenarios[0]!.steps[1] as { args: Record<string, unknown> }).args = { map: 'a', pages: -1 };
    const found = problems({ 'overcommit/a.json': t });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.step === 1 && p.scenario === 'overcommit.test.private-rw')).toBe(true);
    expect(found.map((p) => p.path).join()).toContain('/args/pages');
  });

  it('reject unknown ops, unknown observations and internal ops in abi scenarios', () => {
    const t = smallTable();
    const steps = t.scenarios[0]!.steps as unknown as Record<string, unknown>[];
    steps.push({ op: 'mmapp', args: {} });
    steps.push({ op: 'vm_enough_memory', args: { pages: 1 } });
    steps.push({ op: 'munmap', args: { map: 'a' }, expect: { observe: { Comitted_AS: 0 } } });
    const msgs = problems({ 'overcommit/a.json': t }).map((p) => `${p.step}:${p.message}`);
    expect(msgs).toContainEqual(expect.stringMatching(/^2:unknown overcommit op 'mmapp'/));
    expect(msgs).toContainEqual(expect.stringMatching(/^3:'vm_enough_memory' is an internal op/));
    expect(msgs).toContainEqual(expect.stringMatching(/^4:unknown overcommit observation/));
  });

  it('check names read by expressions', () => {
    const t = smallTable();
    (t.scenarios[0]!.steps[0] as { args: Record<string, unknown> }).args = { as: 'a', pages: { expr: 'floor(ComitLimit / 4)' } };
    const [p] = problems({ 'overcommit/a.json': t });
    expect(p).toMatchObject({ step: 0, path: '/args/pages/expr' });
    expect(p!.message).toContain("unknown observation 'ComitLimit'");
  });

  it('report duplicate ids across files', () => {
    const found = problems({ 'overcommit/a.json': smallTable(), 'overcommit/b.json': smallTable() });
    expect(found.map((p) => p.message)).toContainEqual(expect.stringContaining('duplicate id'));
  });

  it('report JSON syntax errors with the file', () => {
    const [p] = problems({ 'overcommit/a.json': '{"mechanism": "overcommit",' });
    expect(p!.file).toContain('overcommit/a.json');
    expect(p!.message).toContain('not valid JSON');
  });

  it('reach the user as one clear message, exit 2 and no stack trace', () => {
    const dir = tempTables({ 'overcommit/a.json': smallTable({ kernels: 'six' }) });
    const r = cli(['run', '--no-spec-tables', '--tables', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("scenario 'overcommit.test.private-rw': /kernels");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
