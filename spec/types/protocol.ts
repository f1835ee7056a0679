/* Generated from the JSON Schemas in spec/ by `npm run gen`. Do not edit. */

/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Response".
 */
export type Response = {
  [k: string]: unknown | undefined;
};
/**
 * unsupported: a known gap (the scenario is skipped); invalid: the request is malformed; internal: the implementation failed.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ErrorKind".
 */
export type ErrorKind = 'unsupported' | 'invalid' | 'internal';
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "OpenResult".
 */
export type OpenResult =
  | {
      session: string;
    }
  | {
      skip: string;
      /**
       * The skip is because the kernel lacks what the scenario needs (a feature or config it is built without), not because the implementation cannot do it: such a scenario counts as covered.
       */
      lacks?: boolean;
      /**
       * The machine holds what earlier sessions left and no step can undo (leaked huge page reservations, say): on a fresh machine the scenario can run. A QEMU guest reboots and opens the session again.
       */
      polluted?: boolean;
    };

/**
 * mmspec line protocol 1: JSON-RPC 2.0, one JSON object per line on stdin (requests) and stdout (responses).
 */
export interface Protocol {
  [k: string]: unknown | undefined;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Request".
 */
export interface Request {
  jsonrpc: '2.0';
  id: number;
  method: 'hello' | 'open' | 'step' | 'steps' | 'observe' | 'close';
  params: {
    [k: string]: unknown | undefined;
  };
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "RpcError".
 */
export interface RpcError {
  code: number;
  message: string;
  data: {
    kind: ErrorKind;
    detail?: unknown;
  };
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "HelloParams".
 */
export interface HelloParams {
  protocol: 1;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ImplementationInfo".
 */
export interface ImplementationInfo {
  name: string;
  version: string;
  mechanisms: string[];
  layers: ('abi' | 'internal')[];
  /**
   * Kernel release it is (uname -r), or null for a model that takes the kernel to model from open.
   */
  kernel: string | null;
  /**
   * Relevant kernel config bits, e.g. CONFIG_NUMA: 'y'.
   */
  config?: {
    [k: string]: (string | boolean | number) | undefined;
  };
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "HelloResult".
 */
export interface HelloResult {
  protocol: 1;
  implementation: ImplementationInfo;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "OpenParams".
 */
export interface OpenParams {
  mechanism: string;
  config: {
    [k: string]: unknown | undefined;
  };
  /**
   * Kernel version a model should behave as; a real kernel ignores it.
   */
  kernel?: string;
  /**
   * Scenario id, for the implementation's logs.
   */
  scenario?: string;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "StepRequest".
 */
export interface StepRequest {
  op: string;
  /**
   * Concrete values: the runner has already evaluated any expressions.
   */
  args: {
    [k: string]: unknown | undefined;
  };
  /**
   * Process performing the step; absent means 'main'.
   */
  proc?: string;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "StepParams".
 */
export interface StepParams {
  session: string;
  step: StepRequest;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "StepsParams".
 */
export interface StepsParams {
  session: string;
  steps: StepRequest[];
}
/**
 * Counters by the kernel's own names, after the step. Absolute values; the runner computes deltas.
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "Observation".
 */
export interface Observation {
  [k: string]: (number | string | boolean) | undefined;
}
/**
 * ret 'errno' comes with errno, ret 'signal' with signal (checked by the runner).
 *
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "StepResult".
 */
export interface StepResult {
  ret: 'ok' | 'errno' | 'signal';
  errno?: string;
  signal?: string;
  si_code?: string;
  value?: number | string | boolean;
  observation: Observation;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "StepsResult".
 */
export interface StepsResult {
  results: StepResult[];
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ObserveParams".
 */
export interface ObserveParams {
  session: string;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "ObserveResult".
 */
export interface ObserveResult {
  observation: Observation;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "CloseParams".
 */
export interface CloseParams {
  session: string;
}
/**
 * This interface was referenced by `Protocol`'s JSON-Schema
 * via the `definition` "CloseResult".
 */
export interface CloseResult {}
