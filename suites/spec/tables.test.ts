// The tables themselves: they load, ids are unique and stable-looking, and bad tables are
// reported with file, scenario id, step index and JSON path.
import { describe, expect, it } from 'vitest';
import { loadScenarios, TableError } from '../../tools/spec/tables.ts';
import { cli, smallTable, tempTables, EXAMPLE, exampleFile } from '../helpers.ts';

const ID = smallTable().scenarios[0]!.id;

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
    const [p, ...rest] = problems({ [exampleFile()]: smallTable({ level: 'sometimes' }) });
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ file: expect.stringContaining(exampleFile()), scenario: ID, path: '/level' });
    expect(p!.message).toContain('must be one of');
  });

  it('name the step index of a bad argument', () => {
    const t = smallTable();
    t.scenarios[0]!.steps[1]!.args = { value: -1 };
    const found = problems({ [exampleFile()]: t });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.step === 1 && p.scenario === ID)).toBe(true);
    expect(found.map((p) => p.path).join()).toContain('/args/value');
  });

  it('reject unknown ops, unknown observations and internal ops in abi scenarios', () => {
    const t = smallTable();
    const steps = t.scenarios[0]!.steps;
    steps.push({ op: 'set_scal', args: {} });
    steps.push({ op: 'setup_per_zone_wmarks', args: {} });
    steps.push({ op: 'set_scale', args: { value: 100 }, expect: { observe: { watermark_scale_factr: 100 } } });
    const msgs = problems({ [exampleFile()]: t }).map((p) => `${p.step}:${p.message}`);
    expect(msgs).toContainEqual(expect.stringMatching(new RegExp(`^2:unknown ${EXAMPLE} op 'set_scal'`)));
    expect(msgs).toContainEqual(expect.stringMatching(/^3:'setup_per_zone_wmarks' is an internal op/));
    expect(msgs).toContainEqual(expect.stringMatching(new RegExp(`^4:unknown ${EXAMPLE} observation`)));
    expect(msgs).toHaveLength(3);
  });

  it('check names read by expressions', () => {
    const t = smallTable();
    t.scenarios[0]!.steps[0]!.args = { value: { expr: 'floor(watermark_scale_factr / 4)' } };
    const [p] = problems({ [exampleFile()]: t });
    expect(p).toMatchObject({ step: 0, path: '/args/value/expr' });
    expect(p!.message).toContain("unknown observation 'watermark_scale_factr'");
    // The right name passes.
    t.scenarios[0]!.steps[0]!.args = { value: { expr: 'floor(watermark_scale_factor * 20)' } };
    expect(problems({ [exampleFile()]: t })).toEqual([]);
  });

  it('report duplicate ids across files', () => {
    const found = problems({ [exampleFile('a')]: smallTable(), [exampleFile('b')]: smallTable() });
    expect(found.map((p) => p.message)).toContainEqual(expect.stringContaining('duplicate id'));
  });

  it('report JSON syntax errors with the file', () => {
    const [p] = problems({ [exampleFile()]: `{"mechanism": "${EXAMPLE}",` });
    expect(p!.file).toContain(exampleFile());
    expect(p!.message).toContain('not valid JSON');
  });

  it('reach the user as one clear message, exit 2 and no stack trace', () => {
    const dir = tempTables({ [exampleFile()]: smallTable({ kernels: 'six' }) });
    const r = cli(['run', '--no-spec-tables', '--tables', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`scenario '${ID}': /kernels`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
