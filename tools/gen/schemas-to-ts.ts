import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { globSync } from 'glob';
import { projectRoot } from '../paths.ts';

const BANNER = '/* Generated from the JSON Schemas in spec/ by `npm run gen`. Do not edit. */';

/** Every schema and the TypeScript file generated from it. */
export function schemaTargets(): { schema: string; target: string; name: string }[] {
  const root = projectRoot();
  const out = [
    { schema: 'spec/schemas/table.schema.json', target: 'spec/types/table.ts', name: 'ScenarioTable' },
    { schema: 'spec/schemas/protocol.schema.json', target: 'spec/types/protocol.ts', name: 'Protocol' },
  ];
  for (const file of globSync('spec/mechanisms/*/mechanism.schema.json', { cwd: root }).sort()) {
    const mech = basename(join(file, '..'));
    out.push({ schema: file, target: `spec/mechanisms/${mech}/types.ts`, name: mech });
  }
  return out.map((t) => ({ ...t, schema: join(root, t.schema), target: join(root, t.target) }));
}

export async function generateAll(): Promise<{ target: string; source: string }[]> {
  const results = [];
  for (const t of schemaTargets()) {
    const schema = JSON.parse(readFileSync(t.schema, 'utf8')) as JSONSchema;
    const source = await compile(schema, t.name, {
      bannerComment: BANNER,
      unreachableDefinitions: true,
      additionalProperties: false,
      strictIndexSignatures: true,
      format: true,
      style: { singleQuote: true, printWidth: 110 },
    });
    results.push({ target: t.target, source });
  }
  return results;
}
