// Generates spec/types/*.ts from the JSON Schemas (npm run gen). A test fails when they are stale.
import { writeFileSync } from 'node:fs';
import { generateAll } from './schemas-to-ts.ts';

for (const { target, source } of await generateAll()) {
  writeFileSync(target, source);
  console.log(`wrote ${target}`);
}
