// Tables found clean before are not checked again. Compiled (dist/, whose schemas and checks its
// stamp fixes), a table file with the size and modification time it had when last found clean,
// against the same mechanism schemas, is read and parsed only: checking ~250 scenarios is a tenth
// of a run's time. The record is dist/.checked-tables.json; a new build starts it afresh. The
// sources (tsx, vitest) check every table every time.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesInFolders } from '../core/files.ts';
import { mechanismRoots } from '../core/roots.ts';
import { projectRoot } from '../paths.ts';

const COMPILED = import.meta.url.endsWith('.js');

/** A file's size and modification time, or null when it cannot be read. */
function stampOf(path: string): string | null {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}

export class CheckedTables {
  private changed = false;

  private constructor(
    private readonly path: string,
    /** What the checks depend on besides a table: the mechanism roots and their schemas. */
    private readonly key: string,
    private readonly clean: Record<string, string>,
  ) {}

  /** The record, when running compiled; null otherwise. */
  static open(): CheckedTables | null {
    if (!COMPILED) return null;
    const path = join(projectRoot(), 'dist', '.checked-tables.json');
    const key = mechanismRoots()
      .map((root) => [root, ...filesInFolders(root, 'spec/mechanisms', 'mechanism.schema.json').map((f) => `${f} ${stampOf(join(root, f))}`)].join('\n'))
      .join('\n\n');
    let clean: Record<string, string> = {};
    try {
      const saved = JSON.parse(readFileSync(path, 'utf8')) as { key?: unknown; clean?: unknown };
      if (saved.key === key && saved.clean && typeof saved.clean === 'object') clean = saved.clean as Record<string, string>;
    } catch {
      // none yet, or unreadable: start afresh
    }
    return new CheckedTables(path, key, clean);
  }

  /** The table's stamp now, to be passed back to isClean and found. */
  stamp(table: string): string | null {
    return stampOf(table);
  }

  /** Whether the table, stamped so before it was read, was found clean as it is: unchanged since, and still so. */
  isClean(table: string, before: string | null): boolean {
    return before !== null && this.clean[table] === before && stampOf(table) === before;
  }

  /** The table, stamped so before it was read, was found clean. */
  found(table: string, before: string | null): void {
    if (before === null || this.clean[table] === before) return;
    this.clean[table] = before;
    this.changed = true;
  }

  /** Writes the record if it grew (at once, in one rename; tables no longer there are dropped). */
  save(): void {
    if (!this.changed) return;
    const clean = Object.fromEntries(Object.entries(this.clean).filter(([table]) => existsSync(table)));
    const tmp = `${this.path}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, JSON.stringify({ key: this.key, clean }));
      renameSync(tmp, this.path);
    } catch {
      // a read-only build: check again next time
    }
    this.changed = false;
  }
}
