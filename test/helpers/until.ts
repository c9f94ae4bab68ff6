/**
 * Polls `check` (every 20 ms) until it holds, for at most `maxMs`; resolves with whether it held.
 * For what a test waits on that has no event of its own: it costs nothing when things are fast,
 * and `maxMs` is for a loaded machine, far above the usual wait (the caller then asserts).
 */
export async function until(check: () => boolean | Promise<boolean>, maxMs: number): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
