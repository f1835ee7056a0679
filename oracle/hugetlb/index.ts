import type { HugetlbConfig } from '../../spec/mechanisms/hugetlb/types.ts';
import type { MechanismOracle } from '../core/model.ts';
import { hugetlbGenerator } from './generate.ts';
import { HugetlbModel } from './model.ts';
import { HUGETLB_SWITCHES } from './switches.ts';

const hugetlb: MechanismOracle = {
  // From 5.15 on; releases depart from the document as the switches say (live traces: 6.1, 6.12, 6.18, 7.2).
  kernels: '>=5.15',
  create: (config, ctx) => new HugetlbModel(config as HugetlbConfig, ctx),
  switches: HUGETLB_SWITCHES,
  generator: hugetlbGenerator,
};
export default hugetlb;
