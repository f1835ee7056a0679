// Ctrl-C and SIGTERM during a long command: the first one asks the work in progress to stop at
// a safe point (a scenario or a sequence ends, the machine is put back, the summary printed).
export interface Interrupt {
  signal: AbortSignal;
  /** Stops listening (the command is done). */
  release(): void;
}

export function onInterrupt(message: string): Interrupt {
  const abort = new AbortController();
  const stop = () => {
    if (abort.signal.aborted) return;
    abort.abort();
    process.stderr.write(`\n${message}\n`);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    signal: abort.signal,
    release: () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    },
  };
}
