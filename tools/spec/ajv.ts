// One ajv instance for every schema of the project (draft 2020-12).
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';

export const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
// Annotation used by mechanism schemas: which layer each op belongs to.
ajv.addKeyword({ keyword: 'x-layers', schemaType: 'object' });
ajv.addKeyword({ keyword: 'x-machine-wide', schemaType: 'array' });
ajv.addKeyword({ keyword: 'x-machine-dependent', schemaType: 'array' });

export type { ErrorObject, ValidateFunction };

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
