// Page contents, as the probe writes them and as ksmd compares them. Every content the ops make
// is an 8-byte head followed by one byte repeated to the page's end, so a content is kept as 18
// hex digits: the head (16), then the repeated byte (2). Comparing two such strings gives the
// sign memcmp gives over the 4096 bytes: head first, byte by byte, then the repeated tail.
import { ImplError } from '../core/errors.ts';

export type Content = string;

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

/** Every byte 0. */
export const ZERO: Content = '00'.repeat(9);

/** The byte of a unique page's tail. */
const UNIQUE_TAIL = 0x5a;

/** Every byte b. */
export function byteFill(b: number): Content {
  return hex2(b & 0xff).repeat(9);
}

/** A unique page: bytes 0-7 hold the tag big-endian (seed * 65536 + index), the rest 0x5a. */
export function unique(seed: number, index: number): Content {
  const tag = seed * 65536 + index;
  if (!Number.isSafeInteger(tag) || tag < 0 || tag >= 2 ** 48) throw new ImplError('invalid', `unique tag ${tag} out of range`);
  return tag.toString(16).padStart(16, '0') + hex2(UNIQUE_TAIL);
}

/** The content after the page's first byte is written with b. */
export function withFirstByte(c: Content, b: number): Content {
  return hex2(b & 0xff) + c.slice(2);
}

/** memcmp's sign over two whole pages. */
export function compare(a: Content, b: Content): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Pattern {
  pattern: 'zero' | 'byte' | 'unique';
  value?: number;
  period?: number;
}

/** The content a fill gives page `index` of a mapping. */
export function patternContent(p: Pattern, index: number): Content {
  switch (p.pattern) {
    case 'zero':
      return ZERO;
    case 'byte':
      if ((p.value ?? 0) > 255) throw new ImplError('invalid', `byte value ${p.value} is not a byte`);
      return byteFill(p.value ?? 0);
    case 'unique':
      return unique(p.value ?? 0, p.period ? index % p.period : index);
  }
}
