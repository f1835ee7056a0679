// mmspec check-impl: the protocol checks before any scenario runs. The oracle passes; broken
// programs (fixtures/impls/broken/broken.mjs, one mistake per mode) are caught with the fix.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessTransport } from '../../tools/impl/exec.ts';
import { RpcImplementation, type LineTransport } from '../../tools/impl/rpc.ts';
import { runScenarios } from '../../tools/runner/run.ts';
import { loadScenarios, type LoadedScenario } from '../../tools/spec/tables.ts';
import { cli, EXAMPLE, ROOT } from '../helpers.ts';

const broken = (mode: string) => `"${process.execPath}" "${join(ROOT, 'fixtures/impls/broken/broken.mjs')}" ${mode}`;
const check = (impl: string, ...more: string[]) => cli(['check-impl', '--impl', impl, '--timeout', '5', ...more]);
const lines = (stdout: string) => stdout.trim().split('\n');
const failures = (stdout: string) => lines(stdout).filter((l) => l.startsWith('FAIL'));

describe('check-impl on good implementations', () => {
  it('the oracle passes every check', () => {
    const r = check('oracle');
    expect(r.code).toBe(0);
    expect(failures(r.stdout)).toEqual([]);
    for (const c of ['hello', `open ${EXAMPLE}`, `step ${EXAMPLE}`, `steps ${EXAMPLE}`, `unknown op ${EXAMPLE}`, `closed session ${EXAMPLE}`, 'unknown session', 'unknown method', 'ids', 'envelope']) {
      expect(lines(r.stdout), c).toContainEqual(expect.stringMatching(new RegExp(`^ok\\s+${c}: `)));
    }
    expect(lines(r.stdout).at(-1)).toMatch(/^\d+ ok, 0 warnings, 0 failed$/);
  });

  it('--mechanism narrows the checks, --json prints the findings', () => {
    const r = check('oracle', '--mechanism', EXAMPLE, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { failed: number; findings: { verdict: string; check: string }[] };
    expect(out.failed).toBe(0);
    const opened = out.findings.filter((f) => f.check.startsWith('open '));
    expect(opened.map((f) => f.check)).toEqual([`open ${EXAMPLE}`]);
  });

  it('a module implementation is checked the same way', () => {
    const r = check('module:fixtures/impls/faulty/faulty.ts', '--mechanism', EXAMPLE);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toContainEqual(expect.stringMatching(/^ok\s+hello: protocol 1, mmspec-oracle/));
  });
});

describe('check-impl catches broken implementations', () => {
  it('no steps method: a warning that the runner falls back to step, exit 0', () => {
    const r = check(`exec:${broken('no-steps')}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warn steps: steps is missing: the runner falls back to step, which is slower');
    expect(failures(r.stdout)).toEqual([]);
  });

  it('answers with the wrong id: FAIL ids, exit 1', () => {
    const r = check(`exec:${broken('wrong-id')}`);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toContainEqual(expect.stringMatching(/^FAIL ids: request id (\d+) \('step'\) was answered with id (\d+).* — fix: answer every request with the id it carries/));
  });

  it('a bad hello: FAIL hello naming each bad field, and the checks stop', () => {
    const r = check(`exec:${broken('bad-hello')}`);
    expect(r.code).toBe(1);
    const hello = lines(r.stdout).find((l) => l.startsWith('FAIL hello'));
    expect(hello).toMatch(/\/implementation\/version/);
    expect(hello).toMatch(/\/implementation\/name/);
    expect(hello).toMatch(/\/implementation\/mechanisms: must be array/);
    expect(hello).toMatch(/— fix: answer hello with/);
    expect(r.stdout).toMatch(/FAIL checks: stopped/);
  });

  it('ok for an unknown op: FAIL unknown op, exit 1', () => {
    const r = check(`exec:${broken('ok-unknown-op')}`);
    expect(r.code).toBe(1);
    expect(failures(r.stdout)).toEqual([expect.stringMatching(new RegExp(`^FAIL unknown op ${EXAMPLE}: op '\\w+' \\(no op of ${EXAMPLE}\\) answered a result, not an error.* — fix: .*'invalid'`))]);
  });

  it('a program that crashes at its first step: FAIL with the exit, and the checks go on with a fresh copy', () => {
    const r = check(`exec:${broken('crash')}`);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toContainEqual(expect.stringMatching(new RegExp(`^FAIL step ${EXAMPLE}: .*exited at 'step' \\(exit status 3\\)`)));
    expect(lines(r.stdout)).toContainEqual(expect.stringMatching(/^(ok|FAIL|warn)\s+unknown session: /));
  });
});

describe('a hello answered with an error', () => {
  const refuses = `exec:read line; echo '{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"no machine here","data":{"kind":"internal"}}}'; sleep 1`;

  it('check-impl: FAIL hello with the error, exit 1', () => {
    const r = check(refuses);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toContainEqual(expect.stringMatching(/^FAIL hello: answered an error: .*no machine here/));
  });

  it('run: one message, exit 1, no stack trace', () => {
    const r = cli(['run', '--impl', refuses, '--mechanism', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mmspec: the implementation failed: .*answered hello with an error \(internal\): no machine here/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('check-impl usage errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['no --impl', ['check-impl'], /required option '--impl <spec>'/],
    ['an unknown implementation form', ['check-impl', '--impl', 'ftp:nowhere'], /unknown implementation 'ftp:nowhere'/],
    ['an empty exec: command', ['check-impl', '--impl', 'exec:'], /exec: needs a command/],
    ['an unknown mechanism', ['check-impl', '--impl', 'oracle', '--mechanism', 'nosuchmech'], /unknown mechanism 'nosuchmech'/],
    ['a bad timeout', ['check-impl', '--impl', 'oracle', '--timeout', 'soon'], /--timeout must be a positive number/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: one message, exit 2, no stack trace`, () => {
      const r = cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

/** Counts the requests of each method a transport carries. */
class Counting implements LineTransport {
  readonly sent = new Map<string, number>();
  constructor(private readonly inner: LineTransport) {}
  start(onLine: (line: string) => void, onExit: (why: string) => void) {
    return this.inner.start(onLine, onExit);
  }
  send(line: string) {
    const method = (JSON.parse(line) as { method: string }).method;
    this.sent.set(method, (this.sent.get(method) ?? 0) + 1);
    this.inner.send(line);
  }
  diagnostics() {
    return this.inner.diagnostics();
  }
  stop() {
    return this.inner.stop();
  }
}

describe('the runner without steps', () => {
  it('falls back to step one by one after "method not found", and remembers it', async () => {
    const scenarios = loadScenarios().filter((s) => s.mechanism === EXAMPLE);
    expect(scenarios.length).toBeGreaterThan(1);
    const transport = new Counting(new ProcessTransport(broken('no-steps')));
    const impl = new RpcImplementation(transport, 'no-steps');
    try {
      const summary = await runScenarios(impl, scenarios);
      expect(summary.results.map((r) => [r.id, r.status])).toEqual(scenarios.map((s) => [s.id, 'passed']));
      expect(impl.batchesFallBack).toBe(true);
      // Asked once; every scenario's steps then went one by one.
      expect(transport.sent.get('steps')).toBe(1);
      expect(transport.sent.get('step')).toBe(scenarios.reduce((n, s) => n + s.steps.length, 0));
    } finally {
      await impl.dispose();
    }
  });

  it('a step that fails on the way is named, with the steps before it, as in a batch', async () => {
    const [first] = loadScenarios().filter((s) => s.mechanism === EXAMPLE);
    // Not a table row (tables are checked against the schema): a second step with an argument the op does not take.
    const scenario: LoadedScenario = { ...first!, steps: [first!.steps[0]!, { ...first!.steps[0]!, args: { ...first!.steps[0]!.args, extra: 1 } }] };
    const impl = new RpcImplementation(new ProcessTransport(broken('no-steps')), 'no-steps');
    try {
      const [r] = (await runScenarios(impl, [scenario])).results;
      expect(r).toMatchObject({ status: 'failed', step: 1 });
      expect(r!.reason).toMatch(/answered invalid: .*unknown property 'extra'/);
      expect(r!.reason).toMatch(new RegExp(`at step 1 \\(${first!.steps[0]!.op}\\), after 0:${first!.steps[0]!.op}`));
    } finally {
      await impl.dispose();
    }
  });

  it('an implementation with steps is not sent single steps', async () => {
    const scenarios = loadScenarios().filter((s) => s.mechanism === EXAMPLE && !s.steps.some((st) => Object.values(st.args ?? {}).some((v) => typeof v === 'object')));
    const transport = new Counting(new ProcessTransport(`perl fixtures/impls/perl-template/${EXAMPLE}.pl`));
    const impl = new RpcImplementation(transport, 'perl');
    try {
      const summary = await runScenarios(impl, scenarios);
      expect(summary.failed).toBe(0);
      expect(impl.batchesFallBack).toBe(false);
      expect(transport.sent.get('steps')).toBe(scenarios.length);
      expect(transport.sent.get('step') ?? 0).toBe(0);
    } finally {
      await impl.dispose();
    }
  });
});
