// Where host runs keep their state (lock, journal, mounts). Apart from the guard, so that every
// start can look for a journal an interrupted run left without loading the guard itself.
import { join } from 'node:path';

export const STATE_DIR = process.env.MMSPEC_HOST_STATE ?? '/run/mmspec';

export const journalPath = (dir: string = STATE_DIR): string => join(dir, 'host-journal.json');
