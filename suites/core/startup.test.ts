// How the command starts (tools/bin/mmspec.js): from the compiled build in dist/ (tools/bin/build.js)
// when it matches the sources (tools/bin/stamp.js), from the sources through tsx otherwise. The
// two answer alike — scenarios, module implementations in TypeScript, the schemas' error
// messages — and a build older than a source is never run. No timing here: the start-up figures
// are in the bench (npm run bench).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, staleness } from '../../tools/bin/stamp.js';
import * as sourceAjv from '../../tools/spec/ajv.ts';
import { program } from '../../tools/cli/main.ts';
import { cliAsync, EXAMPLE, exampleFile, ROOT, smallTable, tempDir, tempTables, type CliResult } from '../helpers.ts';

const trace = { MMSPEC_TRACE_START: '1' };
const fromDist = (args: string[], env: NodeJS.ProcessEnv = {}) => cliAsync(args, { env: { ...trace, ...env } });
const fromSources = (args: string[], env: NodeJS.ProcessEnv = {}) => cliAsync(args, { env: { ...trace, MMSPEC_TSX: '1', ...env } });
/** stderr without the start-up trace line. */
const untraced = (r: CliResult) => r.stderr.replace(/^mmspec: (dist\/|the sources through tsx: .*)\n/m, '');

/** Both ways, and that each started as asked. */
async function both(args: string[], env: NodeJS.ProcessEnv = {}): Promise<[CliResult, CliResult]> {
  const [d, s] = await Promise.all([fromDist(args, env), fromSources(args, env)]);
  expect(d.stderr).toMatch(/^mmspec: dist\/\n/);
  expect(s.stderr).toMatch(/^mmspec: the sources through tsx: MMSPEC_TSX=1\n/);
  return [d, s];
}

function expectAlike([d, s]: [CliResult, CliResult]): void {
  expect({ code: d.code, stdout: d.stdout, stderr: untraced(d) }).toEqual({ code: s.code, stdout: s.stdout, stderr: untraced(s) });
}

beforeAll(() => {
  // npm ci and npm install build dist/; an edit since then is built here.
  if (staleness(ROOT)) execFileSync(process.execPath, [join(ROOT, 'tools/bin/build.js')], { cwd: ROOT, stdio: 'pipe' });
  expect(staleness(ROOT)).toBeNull();
});

describe('the compiled build and the sources agree', () => {
  it('on every scenario of every root, the other roots\' mechanisms loaded through tsx', async () => {
    const runs = await both(['run']);
    expectAlike(runs);
    expect(runs[0].stdout).toMatch(/\n\d+ passed, 0 failed/);
    expect(runs[0].stdout).toContain(`${EXAMPLE}.`);
  });

  it('on this project\'s own scenarios, with no TypeScript to load', async () => {
    const runs = await both(['run', '--reporter', 'json'], { MMSPEC_MECHANISMS: '' });
    // Without the times taken.
    for (const r of runs) r.stdout = JSON.stringify(JSON.parse(r.stdout, (k, v: unknown) => (k === 'ms' ? undefined : v)));
    expectAlike(runs);
    expect(JSON.parse(runs[0].stdout).failed).toBe(0);
  });

  it('on a module implementation in TypeScript importing this project\'s sources, and its faults', async () => {
    const faulty = join(ROOT, 'fixtures/impls/faulty/faulty.ts');
    for (const fault of ['none', 'throws', 'bad-ret', 'no-range-check']) {
      const runs = await both(['run', '--impl', `module:${faulty}`, '--mechanism', EXAMPLE], { MMSPEC_FAULT: fault });
      expectAlike(runs);
    }
    // Outside any "type": "module" package a .ts module is CommonJS to tsx: seen through its exports both ways.
    const dir = tempDir('mmspec-startup-');
    writeFileSync(join(dir, 'syntax.ts'), 'export default {\n');
    writeFileSync(join(dir, 'half.ts'), 'export default { describe() { return {}; } };\n');
    for (const [file, says] of [['syntax.ts', /syntax\.ts:2:0: ERROR/], ['half.ts', /half\.ts does not export an implementation: missing open, step/]] as const) {
      const runs = await both(['run', '--impl', `module:${join(dir, file)}`]);
      expectAlike(runs);
      expect(runs[0].stderr).toMatch(says);
    }
  });

  it('on one copy of each module: a TypeScript module importing this project\'s sources gets the build\'s', async () => {
    const dir = tempDir('mmspec-startup-');
    const oracle = join(ROOT, 'tools/impl/oracle.ts');
    writeFileSync(join(dir, 'twin.mts'), [
      `import { OracleImplementation } from ${JSON.stringify(oracle)};`,
      'export default class extends OracleImplementation {',
      '  override async describe() {',
      `    return { ...(await super.describe()), name: import.meta.resolve(${JSON.stringify(oracle)}).includes('/dist/') ? 'twin' : 'source' };`,
      '  }',
      '}',
    ].join('\n'));
    const [d, s] = await both(['run', '--impl', `module:${join(dir, 'twin.mts')}`, '--mechanism', EXAMPLE]);
    expect(d.stdout).toMatch(/against twin /);
    expect(s.stdout).toMatch(/against source /);
    expect(d.stdout.replace('twin', 'source')).toBe(s.stdout);
  });

  it('on what is wrong with a table, word for word', async () => {
    const row = smallTable().scenarios[0]!;
    const broken = [
      smallTable({ level: 'sometimes', extra: 1 }),
      smallTable({ id: 'Not An Id', steps: [] }),
      smallTable({ config: { watermark_scale_factor: 'ten', nope: 1 } }),
      smallTable({ steps: [{ op: 'set_scale', args: { value: 'x', more: 1 }, expect: { observe: { watermark_scale_factor: { delta: 'a' } } } }] }),
      smallTable({ steps: [{ op: 'no_such_op', args: {} }], kernels: 'not a range' }),
      { ...smallTable(), mechanism: 'nope', doc: 5 },
      { ...smallTable(), scenarios: [{ ...row, cites: [] }, { ...row, title: undefined }] },
    ];
    for (const table of broken) {
      const runs = await both(['list', '--no-spec-tables', '--tables', tempTables({ [exampleFile()]: table })]);
      expectAlike(runs);
      expect(runs[0].code).toBe(2);
    }
  });

  it('on a table found clean once (and so not checked again) and broken since', async () => {
    const dir = tempTables({ [exampleFile()]: smallTable() });
    const table = join(dir, exampleFile());
    const args = ['list', '--no-spec-tables', '--tables', dir];
    expect((await fromDist(args)).code).toBe(0);
    const record = JSON.parse(readFileSync(join(ROOT, 'dist/.checked-tables.json'), 'utf8')) as { clean: Record<string, string> };
    expect(record.clean[table]).toBeDefined();
    expect((await fromDist(args)).code).toBe(0);
    writeFileSync(table, JSON.stringify(smallTable({ level: 'sometimes' })));
    const runs = await both(args);
    expectAlike(runs);
    expect(runs[0].code).toBe(2);
    expect(runs[0].stderr).toMatch(/\/level: must be one of/);
  });

  it('on the version, answered before anything loads', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const r = await fromDist(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(program(() => {}).version()).toBe(version);
  });
});

describe('the schemas compiled ahead', () => {
  type AjvModule = typeof sourceAjv;
  const schemaFiles = () => [
    'spec/schemas/table.schema.json', 'spec/schemas/protocol.schema.json',
    ...readdirSync(join(ROOT, 'spec/mechanisms')).sort().map((m) => `spec/mechanisms/${m}/mechanism.schema.json`).filter((f) => existsSync(join(ROOT, f))),
  ];
  /** Values wrong in every way a property can be, and a few whole ones. */
  function badValues(sub: { properties?: Record<string, unknown> } | undefined): unknown[] {
    const out: unknown[] = [{}, { zzz_unknown: 1 }, null, 'text', 5, [], true];
    for (const p of Object.keys(sub?.properties ?? {})) {
      for (const v of ['x', -1, 1.5, 0, {}, null, { expr: 1 }, { delta: 'a' }, [1], true, 'Not An Id', '1..2']) out.push({ [p]: v });
    }
    return out;
  }
  const fields = (errors: sourceAjv.ErrorObject[] | null | undefined) =>
    JSON.parse(JSON.stringify((errors ?? []).map(({ instancePath, schemaPath, keyword, params, message, schema, parentSchema, data }) => ({ instancePath, schemaPath, keyword, params, message, schema, parentSchema, data }))));

  it('give ajv\'s own errors for every schema, $defs type and table', async () => {
    const dist = (await import(pathToFileURL(join(ROOT, 'dist/tools/spec/ajv.js')).href)) as AjvModule;
    const runtime = sourceAjv.createAjv();
    let compared = 0;
    for (const file of schemaFiles()) {
      const schema = JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
      dist.ajv.addSchema(schema);
      runtime.addSchema(schema);
    }
    const tables = readdirSync(join(ROOT, 'spec/tables'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(ROOT, 'spec/tables', f), 'utf8')) as { scenarios: Record<string, unknown>[] });
    for (const file of schemaFiles()) {
      const schema = JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
      for (const ref of dist.precompiledRefs(schema)) {
        const ahead = dist.ajv.getSchema(ref)!;
        const compiled = runtime.getSchema(ref)!;
        expect(ahead, ref).toBeTypeOf('function');
        expect('schemaEnv' in ahead, `${ref} comes from dist/validators`).toBe(false);
        const sub = compiled.schema as { properties?: Record<string, unknown>; $ref?: string };
        const values = badValues(sub.$ref ? (runtime.getSchema(`${schema.$id}${sub.$ref}`)?.schema as typeof sub) : sub);
        if (ref === schema.$id && file.endsWith('table.schema.json')) {
          for (const t of tables) {
            const s = t.scenarios[0]!;
            values.push(t, { ...t, extra: 1 }, { ...t, scenarios: [{ ...s, level: 'bogus', id: 'Bad Id', steps: undefined }] });
            values.push({ ...t, scenarios: [{ ...s, kernels: '>=x', cites: [{}], steps: [{ op: 1, expect: { observe: { a: { delta: 'b' } } } }] }] });
          }
        }
        for (const v of values) {
          const a = ahead(v);
          const b = compiled(v);
          expect(a, `${ref} on ${JSON.stringify(v)}`).toBe(b);
          expect(fields(ahead.errors), `${ref} on ${JSON.stringify(v)}`).toEqual(fields(compiled.errors));
          expect(sourceAjv.describeErrors(ahead.errors)).toEqual(sourceAjv.describeErrors(compiled.errors));
          compared++;
        }
        expect(ahead.schema).toEqual(compiled.schema);
      }
    }
    expect(compared).toBeGreaterThan(500);
  });
});

describe('a build older than the sources is not run', () => {
  /** The project as a clone would have it, timestamps kept, sharing node_modules. */
  function copy(): string {
    const dir = tempDir('mmspec-stale-');
    execFileSync('cp', ['-a', 'tools', 'oracle', 'spec', 'dist', 'package.json', 'tsconfig.json', 'tsconfig.build.json', dir], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    return dir;
  }
  const start = (dir: string, args: string[]) => {
    const r = spawnSync(process.execPath, [join(dir, 'tools/bin/mmspec.js'), ...args], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, ...trace, MMSPEC_MECHANISMS: '', MMSPEC_TSX: '' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('runs the build of an unchanged copy, the edited source of a changed one', () => {
    const dir = copy();
    expect(staleness(dir)).toBeNull();
    expect(start(dir, ['--help'])).toMatchObject({ code: 0, stderr: 'mmspec: dist/\n' });
    const main = join(dir, 'tools/cli/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace("'Conformance suite and reference oracle", "'EDITED conformance suite and reference oracle"));
    const edited = start(dir, ['--help']);
    expect(edited.stderr).toMatch(/^mmspec: the sources through tsx: sources changed since dist\/ was built/);
    expect(edited.stdout).toContain('EDITED conformance suite');
  });

  it('sees a source touched, added or removed, a schema changed, no build', () => {
    const later = new Date(Date.now() + 60_000);
    const changes: Record<string, (dir: string) => void> = {
      touched: (dir) => utimesSync(join(dir, 'tools/paths.ts'), later, later),
      added: (dir) => {
        mkdirSync(join(dir, 'oracle/extra'));
        writeFileSync(join(dir, 'oracle/extra/index.ts'), 'export default {};\n');
      },
      removed: (dir) => rmSync(join(dir, 'tools/core/plural.ts')),
      'schema edited': (dir) => writeFileSync(join(dir, 'spec/schemas/protocol.schema.json'), `${readFileSync(join(dir, 'spec/schemas/protocol.schema.json'), 'utf8')}\n`),
    };
    for (const [what, change] of Object.entries(changes)) {
      const dir = copy();
      expect(fingerprint(dir), what).toBe(readFileSync(join(dir, 'dist/.stamp'), 'utf8'));
      change(dir);
      expect(staleness(dir), what).toMatch(/^sources changed/);
    }
    const dir = copy();
    rmSync(join(dir, 'dist/.stamp'));
    expect(staleness(dir)).toMatch(/^no build/);
    expect(start(dir, ['--help']).stderr).toMatch(/^mmspec: the sources through tsx: no build in dist\//);
  });
});
