// `mmspec run` with no options, as npm start runs it: its defaults need no option parser, so
// this entry starts without loading one (tools/bin/mmspec.js picks it).
import { outcome } from './outcome.ts';
import { runCommand } from './run.ts';
import { RUN_DEFAULTS } from './run-defaults.ts';

export const main = (): Promise<number> => outcome(() => runCommand({ ...RUN_DEFAULTS }));
