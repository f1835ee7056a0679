// What every command goes through, whichever entry starts it: a reader that went away, a host
// journal an interrupted run left, and errors turned into messages and exit codes (0 good,
// 1 failures found, 2 usage or input errors).
import { existsSync } from 'node:fs';
import { UserError } from './errors.ts';
import { ImplFailure } from '../impl/types.ts';
import { plural } from '../core/plural.ts';
import { journalPath } from '../linux/state.ts';

export async function outcome(command: () => Promise<number>): Promise<number> {
  // `mmspec list | head`: the reader went away. Stop quietly; exit handlers still put a host back.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  // A host run killed outright leaves its journal behind: put the machine back first.
  if (process.getuid?.() === 0 && existsSync(journalPath())) {
    const { replayJournal } = await import('../linux/guard.ts');
    const restored = replayJournal();
    if (restored) process.stderr.write(`mmspec: ${restored}\n`);
  }
  try {
    return await command();
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`mmspec: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ImplFailure) {
      const tail = e.stderr.trim().split('\n').slice(-20).join('\n');
      process.stderr.write(`mmspec: the implementation failed: ${e.message}${tail ? `\n--- its last output ---\n${tail}` : ''}\n`);
      return 1;
    }
    // Imported only for an error that may be one (tables.ts is loaded already when it is).
    const { TableError } = e instanceof Error && e.name === 'TableError' ? await import('../spec/tables.ts') : { TableError: undefined };
    if (TableError && e instanceof TableError) {
      process.stderr.write(`mmspec: invalid scenario tables (${plural(e.problems.length, 'problem')}):\n${e.message.replace(/^/gm, '  ')}\n`);
      return 2;
    }
    throw e;
  }
}
