// Builds the native probe — its core (tools/probe/*.c), each mechanism's folder
// (tools/probe/<name>/*.c) and the table generated from the folders' mechanism.json — and
// caches the binary under ${XDG_CACHE_HOME:-~/.cache}/mmspec/probe/<sha256 of compiler, flags
// and sources>/probe[-static], so it is rebuilt only when a source or a flag changes.
//
//   node tools/bin/run-ts.js tools/probe/build.ts [--static]   prints the binary's path
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../paths.ts';
import { isExecutable, run, which } from '../core/host.ts';
import { probeMechanisms, registrySource } from './registry.ts';

// From the project root, not this module's folder: compiled, this runs from dist/, where no C sources are.
export const PROBE_SOURCE_DIR = join(projectRoot(), 'tools', 'probe');
const FLAGS = ['-O2', '-Wall', '-Wextra', '-std=gnu11'];

export interface BuildProbeOptions {
  /** Link statically (for a QEMU guest's initramfs). */
  static?: boolean;
  /** Compiler to use; default: $CC, then cc, gcc, clang. */
  cc?: string;
}

/** The first C compiler found: opts.cc, $CC, cc, gcc, clang. */
export async function findCompiler(explicit?: string): Promise<string> {
  const tried = [explicit, process.env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => !!c);
  for (const cand of tried) {
    const found = which(cand);
    if (found) return found;
  }
  throw new Error(`no C compiler found: install gcc (apt-get install gcc) or set CC (tried ${tried.join(', ')})`);
}

/** Compiles the probe if needed; returns the path of the binary. */
export async function buildProbe(opts: BuildProbeOptions = {}): Promise<string> {
  const cc = await findCompiler(opts.cc);
  const flags = opts.static ? [...FLAGS, '-static'] : FLAGS;
  const core = (await readdir(PROBE_SOURCE_DIR)).filter((f) => /\.[ch]$/.test(f)).sort().map((f) => join(PROBE_SOURCE_DIR, f));
  const mechanisms = probeMechanisms();
  const own = (
    await Promise.all(mechanisms.map(async (m) => (await readdir(m.dir)).filter((f) => /\.[ch]$/.test(f)).sort().map((f) => join(m.dir, f))))
  ).flat();
  const registry = registrySource();
  const files = [...core, ...own];
  if (!files.some((f) => f.endsWith('.c'))) throw new Error(`no C sources in ${PROBE_SOURCE_DIR}`);

  const hash = createHash('sha256');
  hash.update(`${cc}\0${flags.join(' ')}\0${registry}\0`);
  for (const f of files) hash.update(`${f}\0`).update(await readFile(f)).update('\0');
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(cacheRoot, 'mmspec', 'probe', hash.digest('hex'));
  const out = join(dir, opts.static ? 'probe-static' : 'probe');
  if (isExecutable(out)) return out;

  await mkdir(dir, { recursive: true });
  const gen = join(dir, `registry.gen-${process.pid}.c`);
  await writeFile(gen, registry);
  const tmp = `${out}.tmp-${process.pid}`;
  const sources = [...files.filter((f) => f.endsWith('.c')), gen];
  const { code, stderr } = await run(cc, [...flags, `-I${PROBE_SOURCE_DIR}`, '-o', tmp, ...sources], { cwd: PROBE_SOURCE_DIR });
  await rm(gen, { force: true });
  if (code !== 0) {
    await rm(tmp, { force: true });
    throw new Error(`compiling the probe failed (${cc} ${flags.join(' ')}, exit ${code}):\n${stderr.trimEnd()}`);
  }
  await rename(tmp, out); // atomic: a concurrent build yields the same bytes
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    console.log(await buildProbe({ static: process.argv.includes('--static') }));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
