// Named mappings, as steps refer to them: "pages offset..offset+pages of mapping m".
import { ImplError } from './errors.ts';

export interface Extent {
  start: number;
  pages: number;
}

/** The page range [start, end) of part of a named mapping (default: from offset to its end). */
export function namedRange(maps: Map<string, Extent>, name: string, offset = 0, pages?: number): [number, number] {
  const m = maps.get(name);
  if (!m) throw new ImplError('invalid', `no mapping '${name}' (have: ${[...maps.keys()].join(', ') || 'none'})`);
  const len = pages ?? m.pages - offset;
  if (offset < 0 || len < 0 || offset + len > m.pages)
    throw new ImplError('invalid', `range ${offset}+${len} lies outside mapping '${name}' of ${m.pages} pages`);
  return [m.start + offset, m.start + offset + len];
}
