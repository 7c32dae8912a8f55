/**
 * WebAssembly compiled by V8's baseline compiler (Liftoff) only, for the long-running processes on the embedded store.
 * By default V8 also recompiles PGlite's hot functions (a ~10 MB PostgreSQL module) with its optimizing compiler
 * (TurboFan) on background threads; that code and the compiler's working memory (left behind in the C allocator's
 * per-thread arenas) kept ~100 MB more resident for the daemon's whole life. Measured (compiled, 10-site demo, 30
 * steps, peak RSS): 345–390 MB by default, 232–269 MB with Liftoff only; the 200-site dispatch cycle's CPU 7.50 ->
 * 7.78 s (+4 %): our SQL is small statements, where PGlite's time goes to parsing and planning in either tier.
 * The cost lands on the other WebAssembly solvers in the same process (HiGHS 6.5 -> 10 ms, GLPK 4.5 -> 9 ms per
 * 96-interval plan), which the daemon only uses for models dp declines. V8 reads the flag when a module is compiled,
 * so it must be set before the store opens; the heap flag makes V8 grow the JS heap by 20 % per step rather than up
 * to ~2x, which keeps the heap's slack (and so its resident pages) near the live data between collections.
 */
import { setFlagsFromString } from 'node:v8';

let applied = false;

export function useLeanWasm(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--heap-growing-percent=20');
}
