// The errors a model (and any implementation) answers a request with: the protocol's error kinds.

export type ImplErrorKind = 'unsupported' | 'invalid' | 'internal';

/**
 * An implementation's own verdict on a request. `unsupported` skips the scenario (the
 * implementation does not model it); `invalid` and `internal` fail it.
 */
export class ImplError extends Error {
  constructor(
    readonly kind: ImplErrorKind,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'ImplError';
  }
}
