// `mmspec run`'s options when none is given: the main job (npm start), every table against the oracle.
export const RUN_DEFAULTS = { impl: 'oracle', reporter: 'pretty', timeout: '30', specTables: true } as const;
