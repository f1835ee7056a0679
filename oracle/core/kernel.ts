// Kernel releases ("6.12.117+deb12-amd64") and the version ranges scenarios carry (">=5.2 <6.7").

export type Version = [number, number, number];

/** The leading x.y[.z] of a kernel release, or null when there is none. */
export function parseVersion(release: string): Version | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const COMPARATOR = /^(>=|<=|>|<|=)(\d+(?:\.\d+){0,2})$/;

// Every scenario and every model asks again for the same few pairs: answered once each.
const answers = new Map<string, boolean>();

/** Whether a kernel release lies in a range: '*' or space-separated comparators, all of which must hold. */
export function inRange(release: string, range: string): boolean {
  const key = `${release}\n${range}`;
  let answer = answers.get(key);
  if (answer === undefined) answers.set(key, (answer = rangeHolds(release, range)));
  return answer;
}

function rangeHolds(release: string, range: string): boolean {
  if (range.trim() === '*') return true;
  // A model following the document alone is judged on the scenarios of the tables' revision.
  const v = parseVersion(release === 'documented' ? DEFAULT_MODEL_KERNEL : release);
  if (!v) throw new Error(`not a kernel version: '${release}'`);
  return range
    .trim()
    .split(/\s+/)
    .every((part) => {
      const m = COMPARATOR.exec(part);
      if (!m) throw new Error(`bad kernel range '${range}': '${part}' is not a comparator like >=6.7`);
      // A bound may name a major release alone ('>=7'): its missing parts are 0.
      const [major = 0, minor = 0, patch = 0] = m[2]!.split('.').map(Number);
      const c = compareVersions(v, [major, minor, patch]);
      switch (m[1]) {
        case '>=': return c >= 0;
        case '<=': return c <= 0;
        case '>': return c > 0;
        case '<': return c < 0;
        default: return c === 0;
      }
    });
}

/** The kernel a model behaves as when a run names none: the revision the tables are written against. */
export const DEFAULT_MODEL_KERNEL = '6.18';
