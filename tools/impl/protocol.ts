// Validation of line-protocol messages against spec/schemas/protocol.schema.json.
import protocolSchema from '../../spec/schemas/protocol.schema.json' with { type: 'json' };
import { ajv, describeErrors, type ValidateFunction } from '../spec/ajv.ts';

ajv.addSchema(protocolSchema);
const def = (name: string): ValidateFunction => ajv.getSchema(`mmspec:protocol#/$defs/${name}`)!;

export const RESULT_SCHEMA: Record<string, string> = {
  hello: 'HelloResult', open: 'OpenResult', step: 'StepResult', steps: 'StepsResult', observe: 'ObserveResult', close: 'CloseResult',
};
export const PARAMS_SCHEMA: Record<string, string> = {
  hello: 'HelloParams', open: 'OpenParams', step: 'StepParams', steps: 'StepsParams', observe: 'ObserveParams', close: 'CloseParams',
};

/** Problems with a message against one $defs type, or [] when it conforms. */
export function check(defName: string, value: unknown): string[] {
  const v = def(defName);
  return v(value) ? [] : describeErrors(v.errors);
}

export const ERROR_CODES = { unsupported: -32001, invalid: -32602, internal: -32603 } as const;

/** What the schema cannot say about a StepResult: errno and signal come with their ret. */
export function stepResultProblems(r: { ret: string; errno?: string; signal?: string }): string[] {
  if (r.ret === 'errno' && !r.errno) return ["ret 'errno' without errno"];
  if (r.ret === 'signal' && !r.signal) return ["ret 'signal' without signal"];
  return [];
}
