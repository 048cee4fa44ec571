// How long the fuzz suites (test/fuzz/) run and from which seed. In CI each property makes a
// fixed number of runs from a fixed seed, so a landing is never blocked by a new random find;
// the longer modes start from a fresh random seed, which they log. The environment asks for more:
//   FUZZ_SEED=<n>     start from this seed (a failing run prints its seed and replay path)
//   FUZZ_PATH=<path>  with FUZZ_SEED, replay just the failing case fast-check printed
//   FUZZ_RUNS=<n>     runs per property instead of the CI count
//   FUZZ_SECONDS=<n>  run each property for this long instead (as many runs as fit)
// `npm run fuzz` runs every fuzz property for FUZZ_SECONDS (default 60) each.
import fc from "fast-check";

const env = process.env;
const MS_PER_SECOND = 1000;
// Time a run needs beyond its budget: engine start, shrinking a failure, the last case.
const TIMEOUT_SLACK_MS = 120_000;

function numberFromEnv(name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v} is not a non-negative number`);
  return n;
}

/** The seed this process starts every property from (logged once per property). */
const SECONDS = numberFromEnv("FUZZ_SECONDS");
const RUNS = numberFromEnv("FUZZ_RUNS");
const CI_SEED = 488557904; // the seed that found the -R count lost at mn (assembly/session/conn.ts)
const SEED = numberFromEnv("FUZZ_SEED")
  ?? (SECONDS === undefined && RUNS === undefined ? CI_SEED : (Math.random() * 0x7fffffff) | 0);

/** fast-check parameters for a property that makes `ciRuns` runs in CI; logs the seed. */
export function fuzzParameters<T>(name: string, ciRuns: number): fc.Parameters<T> {
  const params: fc.Parameters<T> = { seed: SEED, numRuns: RUNS ?? ciRuns };
  if (env.FUZZ_PATH) params.path = env.FUZZ_PATH;
  if (SECONDS !== undefined && RUNS === undefined) {
    params.numRuns = Number.MAX_SAFE_INTEGER;
    params.interruptAfterTimeLimit = SECONDS * MS_PER_SECOND;
  }
  const size = params.interruptAfterTimeLimit ? `${SECONDS} s` : `${params.numRuns} runs`;
  console.log(`      ${name}: FUZZ_SEED=${SEED} (${size})`);
  return params;
}

/** The same seed for the fuzzers that draw their own numbers (test/helpers/rng.ts). */
export function fuzzSeed(name: string): number {
  console.log(`      ${name}: FUZZ_SEED=${SEED}`);
  return SEED;
}

/** Operation count for a seeded (non fast-check) run: the CI size, FUZZ_RUNS, or unbounded under FUZZ_SECONDS. */
export function fuzzOps(ciOps: number): number {
  if (RUNS !== undefined) return RUNS;
  return SECONDS !== undefined ? Number.MAX_SAFE_INTEGER : ciOps;
}

/** When a seeded run must stop (FUZZ_SECONDS), or never. */
export function fuzzDeadline(): number {
  return SECONDS !== undefined ? Date.now() + SECONDS * MS_PER_SECOND : Number.POSITIVE_INFINITY;
}

/** A mocha timeout for a suite that takes about `ciMs` in CI. */
export function fuzzTimeout(ciMs: number): number {
  if (SECONDS !== undefined) return SECONDS * MS_PER_SECOND + TIMEOUT_SLACK_MS;
  if (RUNS !== undefined) return 0; // as long as the asked-for runs take
  return ciMs;
}
