// One ajv instance for every schema of the project (draft 2020-12).
//
// A compiled build (dist/, tools/bin/build.js) carries this project's schemas compiled ahead —
// ajv standalone code in dist/validators/, a file per schema, made with the same options (verbose
// errors included) — and `ajv` hands those out for the schemas added to it. ajv itself is loaded,
// and a schema compiled, only for what the build does not hold: a mechanism of another root
// (MMSPEC_MECHANISMS), a ref not compiled ahead (precompiledRefs), the sources run through tsx.
import { createRequire } from 'node:module';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchema, AnySchemaObject, ErrorObject, Options, ValidateFunction } from 'ajv';

export type { ErrorObject, ValidateFunction };

const require = createRequire(import.meta.url);

export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true };

/** An ajv instance with the project's options and keywords (extra options: the build's code.source). */
export function createAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const a = new Ajv({ ...AJV_OPTIONS, ...extra });
  // Annotation used by mechanism schemas: which layer each op belongs to.
  a.addKeyword({ keyword: 'x-layers', schemaType: 'object' });
  a.addKeyword({ keyword: 'x-machine-wide', schemaType: 'array' });
  a.addKeyword({ keyword: 'x-machine-dependent', schemaType: 'array' });
  return a;
}

/**
 * The refs the build compiles ahead for a schema: those the project asks ajv for — a mechanism's
 * config and op arguments, every $defs type of the protocol, the table schema itself.
 */
export function precompiledRefs(schema: AnySchemaObject): string[] {
  const id = String(schema.$id);
  const props = schema.properties as { config?: { $ref?: string }; ops?: { properties?: Record<string, { $ref?: string }> } } | undefined;
  if (schema['x-layers']) {
    const refs = [props?.config?.$ref, ...Object.values(props?.ops?.properties ?? {}).map((o) => o.$ref)];
    return [...new Set(refs.filter((r): r is string => typeof r === 'string' && r.startsWith('#')))].map((r) => `${id}${r}`);
  }
  if (schema.$defs && !schema.type) return Object.keys(schema.$defs as object).map((d) => `${id}#/$defs/${d}`);
  return [id];
}

/** The build's file of one schema's validators, under dist/validators/. */
export const precompiledFile = (id: string): string => `${id.replace(/[^A-Za-z0-9_-]+/g, '_')}.cjs`;

/** The build's validators of one schema (dist/validators/*.cjs), when this module runs compiled; else none. */
function loadPrecompiled(id: string): Record<string, ValidateFunction> {
  if (!import.meta.url.endsWith('.js')) return {};
  try {
    return require(`../../validators/${precompiledFile(id)}`) as Record<string, ValidateFunction>;
  } catch {
    return {};
  }
}

class ProjectAjv {
  #instance: Ajv2020 | undefined;
  #pending: AnySchema[] = [];
  #ids = new Set<string>();
  #precompiled = new Map<string, Record<string, ValidateFunction>>();

  /** The ajv instance itself, made (with every schema added so far) on first need. */
  get instance(): Ajv2020 {
    if (!this.#instance) {
      this.#instance = createAjv();
      for (const s of this.#pending) this.#instance.addSchema(s);
      this.#pending = [];
    }
    return this.#instance;
  }

  addSchema(schema: AnySchemaObject): this {
    if (schema.$id) this.#ids.add(String(schema.$id));
    if (this.#instance) this.#instance.addSchema(schema);
    else this.#pending.push(schema);
    return this;
  }

  /** True when a schema with this $id was added (nothing is compiled). */
  hasSchema(id: string): boolean {
    return this.#ids.has(id);
  }

  getSchema<T = unknown>(ref: string): ValidateFunction<T> | undefined {
    return (this.#ahead(ref) ?? this.instance.getSchema<T>(ref)) as ValidateFunction<T> | undefined;
  }

  compile<T = unknown>(schema: AnySchemaObject): ValidateFunction<T> {
    if (schema.$id && !this.#ids.has(String(schema.$id))) this.addSchema(schema);
    return ((schema.$id && this.#ahead(String(schema.$id))) || this.instance.compile<T>(schema)) as ValidateFunction<T>;
  }

  /** The validator compiled ahead for ref, when its schema was added and the build holds it. */
  #ahead(ref: string): ValidateFunction | undefined {
    const id = ref.split('#')[0]!;
    if (!this.#ids.has(id)) return undefined;
    let file = this.#precompiled.get(id);
    if (!file) this.#precompiled.set(id, (file = loadPrecompiled(id)));
    const key = ref.endsWith('#') ? id : ref;
    const v = file[key];
    // A standalone function has no .schema: what reads it gets the schema's own.
    if (v && !Object.hasOwn(v, 'schema')) Object.defineProperty(v, 'schema', { configurable: true, get: () => this.instance.getSchema(key)?.schema });
    return v;
  }
}

export const ajv = new ProjectAjv();

/** One line per ajv error: "JSON/PATH: message (detail)". */
export function describeErrors(errors: ErrorObject[] | null | undefined, prefix = ''): string[] {
  const lines = new Set<string>();
  for (const e of errors ?? []) {
    if (e.keyword === 'oneOf' || e.keyword === 'if' || e.keyword === 'anyOf') continue;
    const path = prefix + (e.instancePath || '') || '/';
    let msg = e.message ?? e.keyword;
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') msg = `unknown property '${String(p.additionalProperty)}'`;
    else if (e.keyword === 'required') {
      lines.add(`${prefix}${e.instancePath}/${String(p.missingProperty)}: is required but missing`);
      continue;
    } else if (e.keyword === 'minItems') msg = `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    else if (e.keyword === 'enum') msg = `must be one of ${JSON.stringify(p.allowedValues)}`;
    else if (e.keyword === 'const') msg = `must be ${JSON.stringify(p.allowedValue)}`;
    else if (e.keyword === 'pattern') {
      const about = (e.parentSchema as { description?: string } | undefined)?.description;
      msg = `${JSON.stringify(e.data)} is not of the expected form${about ? `: ${about}` : ` (${String(p.pattern)})`}`;
    }
    lines.add(`${path}: ${msg}`);
  }
  if (lines.size === 0 && errors?.length) {
    for (const e of errors) lines.add(`${prefix + (e.instancePath || '') || '/'}: ${e.message ?? e.keyword}`);
  }
  return [...lines];
}
