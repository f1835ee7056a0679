#!/usr/bin/env node
// The mmspec command. TypeScript sources run through tsx, so nothing needs building.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
