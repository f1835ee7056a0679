// module:PATH — a JS/TS module whose default export is an Implementation, a class of one,
// or a function returning one (a named export `createImplementation` works too).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Implementation } from './types.ts';
import { UserError } from '../cli/errors.ts';

export async function loadModuleImplementation(path: string): Promise<Implementation> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError(`module implementation not found: ${file}`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const exported = mod.createImplementation ?? mod.default;
  let impl: unknown = exported;
  if (typeof exported === 'function') {
    const isClass = /^class[\s{]/.test(Function.prototype.toString.call(exported));
    impl = isClass ? new (exported as new () => unknown)() : await (exported as () => unknown)();
  }
  const missing = ['describe', 'open', 'step', 'observe', 'close'].filter((m) => typeof (impl as Record<string, unknown>)?.[m] !== 'function');
  if (missing.length) {
    throw new UserError(`${path} does not export an implementation: missing ${missing.join(', ')} (see README, "Plugging in an implementation")`);
  }
  return impl as Implementation;
}
