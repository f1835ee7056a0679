// Live check of the native probe against the running kernel. Needs root; it
// changes /proc/sys/vm knobs (through the probe) and puts them back, also on
// failure or Ctrl-C. Not part of CI: it needs root and a writable /proc/sys.
//
//   node tools/bin/run-ts.js tools/probe/live-check.ts [--static] [--probe PATH]
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { createInterface } from 'node:readline';
import { buildProbe } from './build.ts';

const KNOBS = [
  'overcommit_memory',
  'overcommit_ratio',
  'overcommit_kbytes',
  'nr_hugepages',
  'user_reserve_kbytes',
  'admin_reserve_kbytes',
] as const;
type Knobs = Record<(typeof KNOBS)[number], string>;
const vmPath = (k: string) => `/proc/sys/vm/${k}`;

function readKnobs(): Knobs {
  return Object.fromEntries(KNOBS.map((k) => [k, readFileSync(vmPath(k), 'utf8').trim()])) as Knobs;
}

function restoreKnobs(saved: Knobs): void {
  const now = readKnobs();
  const put = (k: keyof Knobs) => writeFileSync(vmPath(k), saved[k]);
  if (now.overcommit_memory !== saved.overcommit_memory) put('overcommit_memory');
  if (now.overcommit_ratio !== saved.overcommit_ratio || now.overcommit_kbytes !== saved.overcommit_kbytes) {
    // writing one zeroes the other: the originally non-zero one goes last
    const order: (keyof Knobs)[] =
      saved.overcommit_kbytes !== '0'
        ? ['overcommit_ratio', 'overcommit_kbytes']
        : ['overcommit_kbytes', 'overcommit_ratio'];
    for (const k of order) put(k);
  }
  for (const k of ['nr_hugepages', 'user_reserve_kbytes', 'admin_reserve_kbytes'] as const)
    if (now[k] !== saved[k]) put(k);
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

class Probe {
  private child: ChildProcessWithoutNullStreams;
  private pending: ((line: string) => void)[] = [];
  private id = 0;
  stderr = '';
  exited: Promise<number | null>;

  constructor(path: string) {
    this.child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.pending.shift()?.(line));
    this.exited = new Promise((done) => this.child.on('exit', (code) => done(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  raw(line: string): Promise<Json> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no answer to ${line}`)), 30_000);
      this.pending.push((l) => {
        clearTimeout(timer);
        done(JSON.parse(l));
      });
      this.child.stdin.write(line + '\n');
    });
  }

  async call(method: string, params: Json): Promise<Json> {
    const id = ++this.id;
    const resp = await this.raw(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    if (resp.id !== id) throw new Error(`answer for id ${resp.id}, expected ${id}`);
    return resp;
  }

  async result(method: string, params: Json): Promise<Json> {
    const resp = await this.call(method, params);
    if (resp.error) throw new Error(`${method} failed: ${JSON.stringify(resp.error)}`);
    return resp.result;
  }

  end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, info: unknown = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${info === '' ? '' : `  ${typeof info === 'string' ? info : JSON.stringify(info)}`}`);
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function scenarios(path: string, saved: Knobs): Promise<void> {
  const p = new Probe(path);
  try {
    const hello = await p.result('hello', { protocol: 1 });
    check('hello names the kernel', hello.implementation.kernel === release(), hello.implementation);

    // ---- mode 0 (defaults) ----
    const open = await p.result('open', { mechanism: 'overcommit', config: {} });
    const s = open.session as string;
    check('open gives a session', typeof s === 'string', open);
    const step = async (op: string, args: Json, proc?: string) =>
      (await p.result('step', { session: s, step: proc ? { op, args, proc } : { op, args } })) as Json;
    const obs = async () => (await p.result('observe', { session: s })).observation as Json;
    const o0 = await obs();
    check('observation has every field', KNOBS.filter((k) => k !== 'nr_hugepages').every((k) => k in o0) &&
      ['CommitLimit', 'Committed_AS', 'MemTotal', 'SwapTotal', 'HugePages_Total', 'Hugepagesize'].every((k) => k in o0), o0);
    const c = (o: Json) => o.observation.Committed_AS - o0.Committed_AS;

    let r = await step('mmap', { as: 'a', pages: 16384 });
    check('mmap 16384 anon private rw: +65536', r.ret === 'ok' && c(r) === 65536, c(r));
    r = await step('munmap', { map: 'a' });
    check('munmap: back', r.ret === 'ok' && c(r) === 0, c(r));
    r = await step('mmap', { as: 'b', pages: 16384, shared: true, prot: 'r' });
    check('mmap 16384 anon shared r: +65536', r.ret === 'ok' && c(r) === 65536, c(r));
    r = await step('munmap', { map: 'b' });
    check('munmap shared: back', c(r) === 0, c(r));

    // fork/exit
    r = await step('mmap', { as: 'c', pages: 16384 });
    const beforeFork = r.observation.Committed_AS;
    r = await step('fork', { as: 'kid' });
    const forkDelta = r.observation.Committed_AS - beforeFork;
    // The probe leaves its own runtime memory (libc data, heap, stack) out of fork and exit.
    check('fork with 16384 rw pages: +65536', r.ret === 'ok' && forkDelta === 65536, forkDelta);
    r = await step('touch', { map: 'c', pages: 4 }, 'kid');
    check('child touches its copy (already charged): +0', r.ret === 'ok' && r.observation.Committed_AS - beforeFork === forkDelta,
      r.observation.Committed_AS - beforeFork - forkDelta);
    r = await step('exit', {}, 'kid');
    check('exit child: back to before the fork', r.ret === 'ok' && r.observation.Committed_AS === beforeFork,
      r.observation.Committed_AS - beforeFork);
    let e = await p.call('step', { session: s, step: { op: 'touch', args: { map: 'c' }, proc: 'kid' } });
    check('step in an exited process: invalid', e.error?.data?.kind === 'invalid', e.error);
    e = await p.call('step', { session: s, step: { op: 'exit', args: {} } });
    check('exit of main: invalid', e.error?.data?.kind === 'invalid', e.error);

    // madvise(DONTFORK) leaves the mapping out of the child
    r = await step('madvise', { map: 'c', advice: 'dontfork' });
    check('madvise dontfork: ok', r.ret === 'ok', r);
    r = await step('fork', { as: 'kid2' });
    const forkDelta2 = r.observation.Committed_AS - beforeFork;
    check('fork after dontfork: +0', forkDelta2 === 0, { forkDelta, forkDelta2 });
    r = await step('touch', { map: 'c' }, 'kid2');
    check('child touches the not-inherited mapping: SIGSEGV SEGV_MAPERR', r.ret === 'signal' && r.signal === 'SIGSEGV' && r.si_code === 'SEGV_MAPERR', r);
    r = await step('fork', { as: 'grandkid' }, 'kid2');
    r = await step('exit', {}, 'kid2'); // grandkid is handed to the probe (subreaper)
    r = await step('exit', {}, 'grandkid');
    check('exit of a child and of the orphaned grandchild: back', r.ret === 'ok' && r.observation.Committed_AS === beforeFork,
      r.observation.Committed_AS - beforeFork);
    r = await step('munmap', { map: 'c' });
    check('munmap c: back to open', c(r) === 0, c(r));

    // brk: the heap the steps add is the scenario's, and a fork copies it
    r = await step('brk', { pages: 1024 });
    check('brk +1024 pages: +4096', r.ret === 'ok' && c(r) === 4096, c(r));
    r = await step('fork', { as: 'kid3' });
    check('fork after brk: +4096 for the heap copy', r.ret === 'ok' && c(r) === 8192, c(r));
    r = await step('exit', {}, 'kid3');
    r = await step('brk', { pages: -1024 });
    check('exit of that child and brk back: back to open', c(r) === 0, c(r));

    // shared noreserve: charged per page touched
    r = await step('mmap', { as: 'd', pages: 16, shared: true, noreserve: true });
    check('mmap shared noreserve (mode 0): +0', r.ret === 'ok' && c(r) === 0, c(r));
    r = await step('touch', { map: 'd' });
    check('touch one shared noreserve page: +4', r.ret === 'ok' && c(r) === 4, c(r));
    r = await step('munmap', { map: 'd' });
    check('munmap d: back', c(r) === 0, c(r));

    // signals
    r = await step('mmap', { as: 'n', pages: 4, prot: 'none' });
    check('mmap prot none: +0', r.ret === 'ok' && c(r) === 0, c(r));
    r = await step('touch', { map: 'n' });
    check('touch PROT_NONE: SIGSEGV SEGV_ACCERR', r.ret === 'signal' && r.signal === 'SIGSEGV' && r.si_code === 'SEGV_ACCERR', r);
    r = await step('touch', { map: 'n', write: false });
    check('read PROT_NONE: SIGSEGV SEGV_ACCERR, process survives', r.ret === 'signal' && r.si_code === 'SEGV_ACCERR', r);
    r = await step('mprotect', { map: 'n', prot: 'rw' });
    check('mprotect none->rw of 4 pages: +16', r.ret === 'ok' && c(r) === 16, c(r));
    r = await step('touch', { map: 'n', pages: 4 });
    check('touch after mprotect: ok', r.ret === 'ok', r);
    r = await step('munmap', { map: 'n' });

    // file, zero, mremap, brk
    r = await step('mmap', { as: 'f', pages: 2, backing: 'file', shared: true });
    check('mmap file shared rw 2 pages: +0', r.ret === 'ok' && c(r) === 0, c(r));
    r = await step('touch', { map: 'f', pages: 2 });
    check('touch the file pages: ok', r.ret === 'ok', r);
    r = await step('munmap', { map: 'f' });
    r = await step('mmap', { as: 'g', pages: 16384, backing: 'file' });
    check('mmap file private rw: +65536', r.ret === 'ok' && c(r) === 65536, c(r));
    r = await step('munmap', { map: 'g' });
    r = await step('mmap', { as: 'z', pages: 16384, backing: 'zero', shared: true });
    check('mmap /dev/zero shared: +65536', r.ret === 'ok' && c(r) === 65536, c(r));
    r = await step('munmap', { map: 'z' });
    r = await step('mmap', { as: 'm', pages: 16384 });
    r = await step('mremap', { map: 'm', pages: 32768 });
    check('mremap 16384->32768: +131072 total', r.ret === 'ok' && c(r) === 131072, c(r));
    r = await step('munmap', { map: 'm', offset: 16384, pages: 1 });
    check('munmap one page in the middle: -4', r.ret === 'ok' && c(r) === 131068, c(r));
    r = await step('munmap', { map: 'm' });
    check('munmap the rest: back', r.ret === 'ok' && c(r) === 0, c(r));
    r = await step('brk', { pages: 16384 });
    check('brk +16384: +65536', r.ret === 'ok' && c(r) === 65536, c(r));
    r = await step('brk', { pages: -16384 });
    check('brk -16384: back', r.ret === 'ok' && c(r) === 0, c(r));
    r = await step('mmap', { as: 'h', pages: 512, backing: 'hugetlb' });
    check('mmap hugetlb without a pool: ENOMEM', r.ret === 'errno' && r.errno === 'ENOMEM', r);
    if (o0.HugePages_Total === 0) {
      r = await step('mmap', { as: 'hn', pages: 512, backing: 'hugetlb', noreserve: true });
      check('mmap hugetlb noreserve without a pool: ok, +0', r.ret === 'ok' && c(r) === 0, r);
      r = await step('touch', { map: 'hn' });
      check('touch it: SIGBUS BUS_ADRERR, process survives', r.ret === 'signal' && r.signal === 'SIGBUS' && r.si_code === 'BUS_ADRERR', r);
      r = await step('munmap', { map: 'hn' });
    }
    r = await step('mprotect', { map: 'nope', prot: 'r' }).catch((err: Error) => err.message);
    check('unknown map: invalid', typeof r === 'string' && r.includes('"invalid"'), r);
    e = await p.call('step', { session: s, step: { op: 'vm_enough_memory', args: { pages: 1 } } });
    check('internal op: unsupported', e.error?.data?.kind === 'unsupported', e.error);
    e = await p.call('step', { session: s, step: { op: 'mmap', args: { as: 'x', pages: 1 }, proc: 'ghost' } });
    check('unknown proc: invalid', e.error?.data?.kind === 'invalid', e.error);
    const bad = await p.raw('{"jsonrpc":"2.0","id":99,"method":');
    check('broken JSON: invalid error, probe alive', bad.error?.data?.kind === 'invalid' && bad.id === null, bad);

    // steps (batch), with an errno in the middle
    const batch = await p.result('steps', {
      session: s,
      steps: [
        { op: 'mmap', args: { as: 'q', pages: 16384 } },
        { op: 'mmap', args: { as: 'big', pages: 2 ** 40 } },
        { op: 'munmap', args: { map: 'q' } },
      ],
    });
    const rs = batch.results as Json[];
    check('steps: three results, ENOMEM in the middle', rs.length === 3 && c(rs[0]) === 65536 && rs[1].errno === 'ENOMEM' && c(rs[2]) === 0,
      rs.map((x) => [x.ret, x.errno, c(x)]));

    // sysctl step; close puts it back
    r = await step('sysctl', { name: 'overcommit_ratio', value: 40 });
    check('sysctl step sets overcommit_ratio', r.ret === 'ok' && r.observation.overcommit_ratio === 40, r.observation.overcommit_ratio);
    r = await step('sysctl', { name: 'overcommit_memory', value: 7 });
    check('sysctl overcommit_memory=7: EINVAL', r.ret === 'errno' && r.errno === 'EINVAL', r);
    const kids = childPids(p.pid);
    check('close', JSON.stringify(await p.result('close', { session: s })) === '{}');
    check('session processes are gone after close', kids.length > 0 && kids.every((k) => !alive(k)), kids);
    check('knobs restored after close', JSON.stringify(readKnobs()) === JSON.stringify(saved), readKnobs());

    // ---- mode 2 ----
    const open2 = await p.result('open', {
      mechanism: 'overcommit',
      config: { overcommit_memory: 2, user_reserve_kbytes: 0, admin_reserve_kbytes: 0 },
    });
    const s2 = open2.session;
    const o2 = (await p.result('observe', { session: s2 })).observation;
    check('mode 2 applied', o2.overcommit_memory === 2 && o2.user_reserve_kbytes === 0 && o2.admin_reserve_kbytes === 0, o2);
    const over = Math.floor((o2.CommitLimit - o2.Committed_AS) / 4) + 65536;
    r = await p.result('step', { session: s2, step: { op: 'mmap', args: { as: 'big', pages: over } } });
    check(`mode 2: mmap of ${over} pages (limit + 65536): ENOMEM`, r.ret === 'errno' && r.errno === 'ENOMEM', r);
    r = await p.result('step', { session: s2, step: { op: 'mmap', args: { as: 'nr', pages: 16384, noreserve: true } } });
    check('mode 2: MAP_NORESERVE is ignored: +65536', r.ret === 'ok' && r.observation.Committed_AS - o2.Committed_AS === 65536,
      r.observation.Committed_AS - o2.Committed_AS);
    r = await p.result('step', { session: s2, step: { op: 'mmap', args: { as: 'ro', pages: over * 2, prot: 'r' } } });
    check('mode 2: PROT_READ private of twice the room: ok, +0', r.ret === 'ok' && r.observation.Committed_AS - o2.Committed_AS === 65536, r.ret);
    await p.result('close', { session: s2 });
    check('knobs restored after the mode-2 session', JSON.stringify(readKnobs()) === JSON.stringify(saved), readKnobs());

    // ---- a huge page pool ----
    const open3 = await p.result('open', { mechanism: 'overcommit', config: { nr_hugepages: 4 } });
    if (open3.skip) check('hugetlb pool', true, `skipped: ${open3.skip}`);
    else {
      const s3 = open3.session;
      const o3 = (await p.result('observe', { session: s3 })).observation;
      check('nr_hugepages 4 applied', o3.HugePages_Total === 4, o3.HugePages_Total);
      r = await p.result('step', { session: s3, step: { op: 'mmap', args: { as: 'h', pages: 1024, backing: 'hugetlb' } } });
      check('mmap hugetlb 2 huge pages: ok, +0', r.ret === 'ok' && r.observation.Committed_AS === o3.Committed_AS, r);
      r = await p.result('step', { session: s3, step: { op: 'touch', args: { map: 'h', pages: 1024 } } });
      check('touch them', r.ret === 'ok', r);
      // EOF with the session open: the probe cleans up by itself
    }

    const kids3 = childPids(p.pid);
    const code = await p.end();
    check('EOF: exit 0', code === 0, code);
    check('EOF: session processes gone', kids3.every((k) => !alive(k)), kids3);
    check('EOF: knobs restored', JSON.stringify(readKnobs()) === JSON.stringify(saved), readKnobs());
    if (p.stderr) console.log(`probe stderr: ${p.stderr}`);
  } finally {
    p.kill();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('live-check needs root');
    process.exit(2);
  }
  const i = process.argv.indexOf('--probe');
  const given = i > 0 ? process.argv[i + 1] : undefined;
  const path = given ?? await buildProbe({ static: process.argv.includes('--static') });
  console.log(`probe: ${path}`);
  const saved = readKnobs();
  console.log(`knobs before: ${JSON.stringify(saved)}`);
  const onSignal = () => {
    restoreKnobs(saved);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await scenarios(path, saved);
  } catch (err) {
    failed++;
    console.log(`FAIL ${(err as Error).stack}`);
  } finally {
    restoreKnobs(saved);
    const after = readKnobs();
    console.log(`knobs after:  ${JSON.stringify(after)}`);
    if (JSON.stringify(after) !== JSON.stringify(saved)) {
      failed++;
      console.log('FAIL knobs differ from before');
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

await main();
