/* Generated from the JSON Schemas in spec/ by `npm run gen`. Do not edit. */

/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "MechanismName".
 */
export type MechanismName = string;
/**
 * a document path such as Documentation/mm/<name>.rst
 *
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "DocPath".
 */
export type DocPath = string;
/**
 * a kernel range: '*' or space-separated comparators on versions, e.g. '>=6.7' or '>=5.2 <6.7'
 *
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "KernelRange".
 */
export type KernelRange = string;
/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "ExpectedValue".
 */
export type ExpectedValue =
  | (
      | (number | string | boolean)
      | {
          delta: number;
        }
      | Expr
    )
  | undefined;

/**
 * One topic of one mechanism: scenarios derived from a Documentation/mm document.
 */
export interface ScenarioTable {
  $schema?: string;
  mechanism: MechanismName;
  doc: DocPath;
  /**
   * What this file covers, in a few words.
   */
  topic?: string;
  /**
   * @minItems 1
   */
  scenarios: [Scenario, ...Scenario[]];
}
/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "Scenario".
 */
export interface Scenario {
  /**
   * a stable name, never renumbered: mechanism.topic.what (lower case, digits and dashes)
   */
  id: string;
  title: string;
  level: 'must' | 'should' | 'may' | 'quirk' | 'erratum';
  layer: 'abi' | 'internal';
  kernels: KernelRange;
  /**
   * @minItems 1
   */
  cites: [Cite, ...Cite[]];
  /**
   * Mechanism configuration; validated by the mechanism's schema.
   */
  config?: {
    [k: string]: unknown | undefined;
  };
  /**
   * @minItems 1
   */
  steps: [Step, ...Step[]];
  /**
   * How the expected values follow from the cited text, by hand.
   */
  derivation?: string;
  /**
   * Real-kernel observations the expected values rest on (kernel release and where recorded).
   */
  evidence?: string[];
  erratum?: Erratum;
  divergences?: KnownDivergence[];
}
/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "Cite".
 */
export interface Cite {
  /**
   * a document path such as Documentation/mm/<name>.rst
   */
  doc?: string;
  section: string;
  quote: string;
}
/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "Step".
 */
export interface Step {
  /**
   * an op name of the mechanism's schema (lower case, digits, underscores)
   */
  op: string;
  /**
   * Validated by the mechanism's schema; any value may be an Expr.
   */
  args?: {
    [k: string]: unknown | undefined;
  };
  /**
   * a process name (lower case, digits, '_' and '-'); default 'main'
   */
  proc?: string;
  expect?: Expect;
  note?: string;
}
/**
 * Partial: only the named fields are compared. Without ret/errno/signal the step must return ok.
 *
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "Expect".
 */
export interface Expect {
  ret?: 'ok' | 'errno' | 'signal' | 'any';
  errno?: string;
  signal?: string;
  si_code?: string;
  value?: number | string | boolean;
  observe?: {
    [k: string]: ExpectedValue | undefined;
  };
}
/**
 * Arithmetic over the latest observation's fields (start.X is X at scenario start): + - * / ( ), floor, ceil, min, max.
 *
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "Expr".
 */
export interface Expr {
  expr: string;
}
/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "Erratum".
 */
export interface Erratum {
  /**
   * What the document states.
   */
  document: string;
  /**
   * What kernels do instead (the oracle follows this).
   */
  kernel: string;
  /**
   * @minItems 1
   */
  evidence: [string, ...string[]];
  /**
   * Upstream change that corrects the document, where known.
   */
  fix?: string;
}
/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "KnownDivergence".
 */
export interface KnownDivergence {
  kernels: KernelRange;
  summary: string;
  /**
   * @minItems 1
   */
  evidence: [string, ...string[]];
  fix?: string;
  /**
   * Exactly what the affected kernels answer differently: per step, the outcome and observed fields that replace the document's expectation (the rest of the step's expectation still holds). On those kernels the scenario is a known divergence only when every step matches these answers.
   *
   * @minItems 1
   */
  answers?: [PinnedAnswer, ...PinnedAnswer[]];
}
/**
 * This interface was referenced by `ScenarioTable`'s JSON-Schema
 * via the `definition` "PinnedAnswer".
 */
export interface PinnedAnswer {
  /**
   * Index of the step in the scenario.
   */
  step: number;
  ret?: 'ok' | 'errno' | 'signal';
  errno?: string;
  signal?: string;
  si_code?: string;
  value?: number | string | boolean;
  observe?: {
    [k: string]: ExpectedValue | undefined;
  };
}
