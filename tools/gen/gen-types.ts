// Generates the TypeScript types from the JSON Schemas (npm run gen): spec/types/ for the shared
// schemas, spec/mechanisms/<name>/types.ts for each mechanism. A test fails when they are stale.
import { writeFileSync } from 'node:fs';
import { generateAll } from './schemas-to-ts.ts';

for (const { target, source } of await generateAll()) {
  writeFileSync(target, source);
  console.log(`wrote ${target}`);
}
