// Kernel Samepage Merging, as the oracle's registry finds it: oracle/ksm/index.ts, default export.
import type { KsmConfig } from '../../spec/mechanisms/ksm/types.ts';
import type { MechanismOracle } from '../core/model.ts';
import { ksmGenerator } from './generate.ts';
import { KsmModel } from './model.ts';
import { KSM_SWITCHES } from './switches.ts';

const ksm: MechanismOracle = {
  // max_page_sharing and its chains came with 4.13; the model follows 6.1 and later.
  kernels: '>=6.1',
  create: (config, ctx) => new KsmModel(config as KsmConfig, ctx),
  generator: ksmGenerator,
  switches: KSM_SWITCHES,
};
export default ksm;
