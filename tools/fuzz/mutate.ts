// Mutated sequences: a generator keeps every step well-formed (a name refers to what an earlier
// step of that process made, a range lies inside its mapping). A user's sequences need not,
// and an implementation must answer those as the kernel (and the probe) does: invalid for a
// name no longer there, EINVAL for an empty range, SIGSEGV past a mapping's end. Mutation
// perturbs some steps of each generated case in such ways, staying within the mechanism's
// schema: a mutated step that its op's schema refuses is left as it was.
import type { GeneratedCase, GenerateOptions, GenStep } from '../../oracle/core/generate.ts';
import type { Random } from '../../oracle/core/random.ts';
import type { MechanismSpec } from '../spec/mechanisms.ts';

type Generate = (rng: Random, opts: GenerateOptions) => GeneratedCase;

/** Arguments that name something an earlier step made. */
const NAME_ARGS = ['map', 'file', 'mount'] as const;

/** The names a case has made so far: mappings, files, mounts (any `as`) and processes (fork). */
interface Seen {
  names: string[];
  procs: string[];
}

/**
 * One mutation of a step, or null when none applies: another name (one made earlier, possibly
 * gone or another process's, or one never made), a range stretched past its end, an empty
 * range, another process (possibly exited), or a second thing of a name already taken.
 */
function mutation(rng: Random, st: GenStep, seen: Seen): GenStep | null {
  const args = { ...st.args };
  const pickName = () => (seen.names.length && rng.chance(0.85) ? rng.pick(seen.names) : 'never-made');
  switch (rng.weighted({ name: 3, stretch: 3, empty: 1, proc: 1.5, again: 1 })) {
    case 'name': {
      const keys = NAME_ARGS.filter((k) => typeof args[k] === 'string');
      if (!keys.length) return null;
      args[rng.pick(keys)] = pickName();
      return { ...st, args };
    }
    case 'stretch': {
      // Only ranges of something that exists: a step making a thing (as) sets its size.
      if (typeof args.as === 'string' || !NAME_ARGS.some((k) => typeof args[k] === 'string')) return null;
      if (typeof args.pages === 'number' && rng.chance(0.6)) args.pages += rng.int(1, 3);
      else if (typeof args.offset === 'number') args.offset += rng.int(1, 4);
      else {
        args.offset = rng.int(0, 6);
        args.pages = rng.int(1, 6);
      }
      return { ...st, args };
    }
    case 'empty':
      if (typeof args.pages !== 'number') return null;
      args.pages = 0;
      return { ...st, args };
    case 'proc': {
      if (!seen.procs.length) return null;
      const proc = rng.pick(['main', ...seen.procs]);
      const { proc: _, ...rest } = st;
      return proc === 'main' ? rest : { ...rest, proc };
    }
    default: {
      if (typeof args.as !== 'string' || !seen.names.length) return null;
      const taken = st.op === 'fork' && seen.procs.length ? seen.procs : seen.names;
      args.as = rng.pick(taken);
      return { ...st, args };
    }
  }
}

/** The generator's cases, each step mutated with probability rate (0: the generator's own). */
export function mutating(generate: Generate, spec: MechanismSpec, rate: number): Generate {
  if (!(rate > 0)) return generate;
  return (rng, opts) => {
    const c = generate(rng, opts);
    const seen: Seen = { names: [], procs: [] };
    const steps = c.steps.map((st) => {
      let out = st;
      if (rng.chance(rate)) {
        const m = mutation(rng, st, seen);
        if (m && spec.ops.get(m.op)?.validateArgs(m.args)) out = m;
      }
      if (typeof out.args.as === 'string') (out.op === 'fork' ? seen.procs : seen.names).push(out.args.as);
      return out;
    });
    return { config: c.config, steps };
  };
}
