// The oracle's mechanisms, by name. Adding a mechanism: a folder with a MechanismOracle, listed here.
import type { MechanismOracle } from './core/model.ts';
import { hugetlb } from './hugetlb/index.ts';
import { overcommit } from './overcommit/index.ts';

export const MECHANISMS: Record<string, MechanismOracle> = { overcommit, hugetlb };


export { DEFAULT_MODEL_KERNEL as DEFAULT_KERNEL } from './core/kernel.ts';
