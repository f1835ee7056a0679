import { writeFileSync } from 'node:fs';

/** A mistake in what the user asked for: printed as one clear message, never a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}

/** Writes a report to a file, or to stdout. */
export function writeOut(file: string | undefined, text: string): void {
  if (file) writeFileSync(file, `${text}\n`);
  else process.stdout.write(`${text}\n`);
}
