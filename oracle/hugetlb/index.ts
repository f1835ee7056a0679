import type { HugetlbConfig } from '../../spec/types/hugetlb.ts';
import type { MechanismOracle } from '../core/model.ts';
import { hugetlbGenerator } from './generate.ts';
import { HugetlbModel } from './model.ts';
import { HUGETLB_SWITCHES } from './switches.ts';

export const hugetlb: MechanismOracle = {
  // The reservation counters behave alike from 5.15 to 6.18 (live traces: 6.1, 6.12, 6.18).
  kernels: '>=5.15',
  create: (config, ctx) => new HugetlbModel(config as HugetlbConfig, ctx),
  switches: HUGETLB_SWITCHES,
  generator: hugetlbGenerator,
};
