// Mechanism schemas (spec/mechanisms/<name>/mechanism.schema.json): config, ops with their
// arguments and layers, and observation fields. Tables are checked against them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesInFolders } from '../core/files.ts';
import { mechanismRoots } from '../core/roots.ts';
import { ajv, type ValidateFunction } from './ajv.ts';

export type Layer = 'abi' | 'internal';

export interface OpSpec {
  name: string;
  layer: Layer;
  validateArgs: ValidateFunction;
}

export interface MechanismSpec {
  name: string;
  file: string;
  description: string;
  validateConfig: ValidateFunction;
  ops: Map<string, OpSpec>;
  observationFields: Set<string>;
  /**
   * Observation fields named by pattern (the observation's patternProperties): fields of each
   * process or mapping, named after it ("main.a.present").
   */
  observationPatterns: RegExp[];
  /** Observation fields other processes move too (x-machine-wide): compared as changes. */
  machineWide: Set<string>;
  /** Facts config.machine accepts that an observation also reports: how a model is set up as a kernel was. */
  machineFacts: Set<string>;
  /** Observation fields whose values depend on the machine (x-machine-dependent): not portable expectations. */
  machineDependent: Set<string>;
}

interface MechanismSchema {
  $id: string;
  description?: string;
  properties: {
    config: { $ref: string };
    observation: { $ref: string };
    ops: { properties: Record<string, { $ref: string }> };
  };
  'x-layers': Record<string, Layer>;
  'x-machine-wide'?: string[];
  'x-machine-dependent'?: string[];
  $defs: Record<string, { properties?: Record<string, { $ref?: string; properties?: Record<string, unknown> }>; patternProperties?: Record<string, unknown> }>;
}

/** Whether a mechanism's observation has a field of this name (fixed, or matching one of its patterns). */
export function hasObservationField(spec: Pick<MechanismSpec, 'observationFields' | 'observationPatterns'>, name: string): boolean {
  return spec.observationFields.has(name) || spec.observationPatterns.some((p) => p.test(name));
}

let cache: Map<string, MechanismSpec> | undefined;
let cacheKey = '';

/** Every mechanism that has a schema, by name. */
export function mechanisms(): Map<string, MechanismSpec> {
  const roots = mechanismRoots();
  if (cache && cacheKey === roots.join(':')) return cache;
  cache = new Map();
  cacheKey = roots.join(':');
  for (const root of roots) for (const rel of filesInFolders(root, 'spec/mechanisms', 'mechanism.schema.json')) {
    const name = rel.split('/')[2]!;
    const schema = JSON.parse(readFileSync(join(root, rel), 'utf8')) as MechanismSchema;
    if (!ajv.hasSchema(schema.$id)) ajv.addSchema(schema);
    const ref = (r: string) => ajv.getSchema(`${schema.$id}${r}`)!;
    const ops = new Map<string, OpSpec>();
    for (const [op, argsRef] of Object.entries(schema.properties.ops.properties)) {
      const layer = schema['x-layers'][op];
      if (layer !== 'abi' && layer !== 'internal') throw new Error(`${rel}: op '${op}' has no layer in x-layers`);
      ops.set(op, { name: op, layer, validateArgs: ref(argsRef.$ref) });
    }
    const obsDef = schema.properties.observation.$ref.replace('#/$defs/', '');
    const observationFields = new Set(Object.keys(schema.$defs[obsDef]?.properties ?? {}));
    const observationPatterns = Object.keys(schema.$defs[obsDef]?.patternProperties ?? {}).map((p) => new RegExp(p, 'u'));
    const configDef = schema.$defs[schema.properties.config.$ref.replace('#/$defs/', '')];
    const machine = configDef?.properties?.machine;
    const machineProps = machine?.$ref ? schema.$defs[machine.$ref.replace('#/$defs/', '')]?.properties : machine?.properties;
    cache.set(name, {
      name,
      file: rel,
      description: schema.description ?? '',
      validateConfig: ref(schema.properties.config.$ref),
      ops,
      observationFields,
      observationPatterns,
      machineWide: new Set(schema['x-machine-wide'] ?? []),
      machineDependent: new Set(schema['x-machine-dependent'] ?? []),
      machineFacts: new Set(Object.keys(machineProps ?? {}).filter((f) => observationFields.has(f))),
    });
  }
  return cache;
}
