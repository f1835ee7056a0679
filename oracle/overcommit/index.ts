import type { OvercommitConfig } from '../../spec/mechanisms/overcommit/types.ts';
import type { MechanismOracle } from '../core/model.ts';
import { overcommitGenerator } from './generate.ts';
import { OvercommitModel } from './model.ts';
import { OVERCOMMIT_SWITCHES } from './switches.ts';

const overcommit: MechanismOracle = {
  // Mode 0 is the RAM+swap bound since 5.2; Committed_AS is an exact sum since 5.9.
  kernels: '>=5.9',
  create: (config, ctx) => new OvercommitModel(config as OvercommitConfig, ctx),
  generator: overcommitGenerator,
  switches: OVERCOMMIT_SWITCHES,
};
export default overcommit;
