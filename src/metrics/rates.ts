/**
 * `n / d` rounded half-up to 3 decimals, in integer arithmetic so that exact halves
 * (0.0005, 0.0015, ...) never fall on the wrong side through binary floating point.
 * 0 when `d` is 0.
 */
export function rate(n: number, d: number): number {
  if (d <= 0) return 0;
  return Math.floor((2000 * n + d) / (2 * d)) / 1000;
}
