// The mmspec command line. Each command's module is imported when that command runs, so that
// starting one loads only what it needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type * as commander from 'commander';
import { UserError } from './errors.ts';
import { KERNELS } from '../qemu/kernel-names.ts';
import { projectRoot } from '../paths.ts';
import { outcome } from './outcome.ts';
import { RUN_DEFAULTS } from './run-defaults.ts';

// commander is CommonJS: required rather than imported, it loads in half the time (no scan for its exports).
const { Command, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof commander;
type Command = commander.Command;

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function program(setExit: (code: number) => void): Command {
  const p = new Command('mmspec')
    .description('Conformance suite and reference oracle for Linux memory management, from Documentation/mm.')
    .version((JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version)
    .showHelpAfterError('(mmspec help <command> shows its options)')
    .exitOverride();

  p.command('run')
    .description('run scenarios against an implementation and compare every step')
    .option('--impl <spec>', 'implementation under test: oracle | module:PATH | exec:COMMAND | linux | qemu:debian-6.1 | qemu:debian-6.12 | qemu:debian-sid | qemu:PATH (fetch qemu:debian-* kernels first with `mmspec kernel fetch`)', RUN_DEFAULTS.impl)
    .option('--mechanism <name>', 'only this mechanism (repeatable, or comma-separated)', collect)
    .option('--filter <glob>', "only scenario ids matching these globs or ids (repeatable, or comma-separated), e.g. 'overcommit.mode2.*'", collect)
    .option('--kernel <version>', "kernel release a model behaves as (real kernels report their own), or 'documented': the document alone, no kernel's quirks")
    .addOption(new Option('--reporter <kind>', 'output format').choices(['pretty', 'json', 'junit', 'tap']).default(RUN_DEFAULTS.reporter))
    .option('--output <file>', 'write the json/junit/tap report to this file instead of stdout')
    .option('--bail', 'stop at the first failure')
    .option('--max-failures <n>', 'stop after n failures')
    .option('--rerun-failed <report>', 'only the scenarios a previous --reporter json report marks failed or flaky')
    .option('--timeout <seconds>', 'per-request timeout for exec implementations', RUN_DEFAULTS.timeout)
    .option('--tables <dir>', 'more scenario tables (a folder or a file) besides spec/tables, e.g. fixtures/divergences (repeatable)', collect)
    .option('--no-spec-tables', 'leave spec/tables out: only the --tables given')
    .option('--allow-host-changes', 'let --impl linux change machine-wide settings (restored afterwards)')
    .option('-v, --verbose', 'show the reason of every skip')
    .action(async (o) => setExit(await (await import('./run.ts')).runCommand(o)));

  p.command('record')
    .description('record a real kernel\'s answers to every abi scenario into fixtures/kernels/<release>/')
    .requiredOption('--impl <spec>', 'a real kernel: linux | qemu:debian-6.1 | qemu:debian-6.12 | qemu:debian-sid | qemu:PATH')
    .option('--mechanism <name>', 'only this mechanism (repeatable, or comma-separated)', collect)
    .option('--timeout <seconds>', 'per-request timeout', '60')
    .option('--allow-host-changes', 'let --impl linux change machine-wide settings (restored afterwards)')
    .action(async (o) => setExit(await (await import('./record.ts')).recordCommand(o)));

  p.command('fuzz')
    .description('differential fuzzing: random sequences on two implementations, compared after every step; divergences are shrunk and kept as scenario rows')
    .option('--mechanism <name>', 'the mechanisms to fuzz, one after another (repeatable, or comma-separated; default: every one with a sequence generator)', collect)
    .option('--impl <spec>', 'implementation A (see run --impl)', 'oracle')
    .option('--against <spec>', "implementation B; default: the oracle behaving as A's kernel, set up as A's machine", 'oracle')
    .option('--seed <n>', 'the campaign seed (default: random, printed); the same seed gives the same sequences')
    .option('--count <n>', 'sequences to run', '100')
    .option('--length <n>', 'steps per sequence, or a range such as 12-25', '12-25')
    .option('--kernel <version>', 'kernel release the models behave as when A is a model (default 6.18)')
    .option('--out <dir>', 'where divergence rows go (default fixtures/divergences/<mechanism>)')
    .option('--no-write', 'do not write divergence rows')
    .option('--report <file>', 'write the JSON report (for CI) to this file')
    .option('--timeout <seconds>', 'per-request timeout', '60')
    .option('--shrink-budget <runs>', 'runs spent shrinking each divergence', '300')
    .option('--mutate <share>', 'share of steps (0 to 1) perturbed past what the generator keeps to: names gone or never made, ranges past the end or empty, exited processes, names taken twice', '0')
    .option('--allow-host-changes', 'let --impl linux change machine-wide settings (restored afterwards)')
    .action(async (o) => setExit(await (await import('./fuzz.ts')).fuzzCommand(o)));

  const kernel = p.command('kernel').description('kernels for qemu: implementations');
  kernel
    .command('fetch')
    .description(
      'download a Debian kernel package (and install qemu-system-x86, busybox-static when missing). ' +
        'debian-6.1 and debian-6.12 come from this machine\'s apt sources and are fetched once; debian-sid follows ' +
        'Debian unstable\'s linux-image-amd64 at every fetch (unless --release pins one), through a private apt state ' +
        'in ~/.cache/mmspec/apt-sid checked against the Debian archive keyring; the machine\'s apt setup is not changed',
    )
    .argument('<name>', `one of ${Object.keys(KERNELS).join(', ')}`)
    .option('--release <release>', 'this kernel release instead of the newest: the RELEASE of linux-image-RELEASE-amd64, e.g. 7.2.13+deb14 (sid), 6.1.0-57 (6.1); replaces the cached one')
    .option('--force', 'download again even when cached')
    .action(async (name: string, o: { force?: boolean; release?: string }) => {
      const { fetchKernel, isKernelName, kernelDir } = await import('../qemu/fetch.ts');
      if (!isKernelName(name)) throw new UserError(`unknown kernel '${name}': use one of ${Object.keys(KERNELS).join(', ')}`);
      try {
        const m = await fetchKernel(name, { force: o.force, release: o.release });
        console.log(`${name}: ${m.package} ${m.version} (release ${m.release}) in ${kernelDir(name)}`);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      setExit(0);
    });

  p.command('list')
    .description('list scenarios with level, layer, kernels and citations')
    .option('--mechanism <name>', 'only this mechanism (repeatable, or comma-separated)', collect)
    .option('--filter <glob>', 'only scenario ids matching these globs or ids (repeatable, or comma-separated)', collect)
    .addOption(new Option('--level <level>', 'only this level').choices(['must', 'should', 'may', 'quirk', 'erratum']))
    .option('--json', 'print JSON')
    .option('--tables <dir>', 'more scenario tables besides spec/tables (repeatable)', collect)
    .option('--no-spec-tables', 'leave spec/tables out: only the --tables given')
    .action(async (o) => setExit((await import('./list.ts')).listCommand(o)));

  p.command('explain')
    .description("the oracle's step-by-step trace of one scenario, with the cited document text")
    .argument('<id>', 'scenario id')
    .option('--kernel <version>', 'kernel release the oracle behaves as')
    .option('--docs <dir>', 'Documentation tree for the cited text')
    .option('--tables <dir>', 'more scenario tables besides spec/tables (repeatable)', collect)
    .option('--no-spec-tables', 'leave spec/tables out: only the --tables given')
    .action(async (id, o) => setExit(await (await import('./explain.ts')).explainCommand(id, o)));

  p.command('check-impl')
    .description('check an implementation speaks the line protocol (spec/protocol.md) before running scenarios: one line per check, ok / warn / FAIL with the fix')
    .requiredOption('--impl <spec>', 'the implementation: exec:COMMAND | module:PATH | oracle (see run --impl)')
    .option('--mechanism <name>', 'only this mechanism (repeatable, or comma-separated)', collect)
    .option('--kernel <version>', 'kernel release a model is asked to behave as')
    .option('--timeout <seconds>', 'per-request timeout', '10')
    .option('--json', 'print the findings as JSON')
    .option('--allow-host-changes', 'let --impl linux change machine-wide settings (restored afterwards)')
    .action(async (o) => setExit(await (await import('./check-impl.ts')).checkImplCommand(o)));

  p.command('serve')
    .description('serve the oracle over the line protocol on stdin/stdout (see spec/protocol.md)')
    .action(async () => {
      const [{ serve }, { OracleImplementation }] = await Promise.all([import('../impl/serve.ts'), import('../impl/oracle.ts')]);
      await serve(new OracleImplementation(), process.stdin, process.stdout);
      setExit(0);
    });

  p.command('cite')
    .description('check that every quote appears in its document section')
    .option('--docs <dir>', 'Documentation tree (default: $MMSPEC_DOCS, ../shared/docs/linux, Debian linux-doc-6.12)')
    .option('--mechanism <name>', 'only this mechanism (repeatable, or comma-separated)', collect)
    .option('--filter <glob>', 'only scenario ids matching these globs or ids (repeatable, or comma-separated)', collect)
    .option('--tables <dir>', 'more scenario tables besides spec/tables (repeatable)', collect)
    .option('--no-spec-tables', 'leave spec/tables out: only the --tables given')
    .option('--coverage', 'also print each document\'s coverage: sections covered, normative sentences cited, the uncited ones')
    .action(async (o) => setExit((await import('./cite.ts')).citeCommand(o)));

  p.command('report')
    .description('write one self-contained HTML report: conformance matrix (recorded kernels, run reports), every scenario\'s outcomes and diffs, errata, known and fuzz-found divergences, document coverage')
    .option('--out <file>', 'the HTML file to write', 'mmspec-report.html')
    .option('--results <files...>', 'run reports from `mmspec run --reporter json --output FILE`, one column each (repeatable)')
    .option('--docs <dir>', 'Documentation tree for the coverage (default: $MMSPEC_DOCS, ../shared/docs/linux, Debian linux-doc-6.12)')
    .option('--tables <dir>', 'more scenario tables besides spec/tables (repeatable)', collect)
    .option('--no-spec-tables', 'leave spec/tables out: only the --tables given')
    .option('--no-coverage', 'leave the document coverage out (no Documentation tree needed)')
    .action(async (o) => setExit((await import('./report.ts')).reportCommand(o)));

  return p;
}

/** Runs the CLI and returns the exit code: 0 good, 1 failures found, 2 usage or input errors. */
export function main(argv: string[]): Promise<number> {
  return outcome(async () => {
    let code = 0;
    try {
      await program((c) => (code = c)).parseAsync(argv);
    } catch (e) {
      if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
      throw e;
    }
    return code;
  });
}
