/** Clamp a value into [lo, hi]. */
export function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

export const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;

export interface Range {
  lo: number;
  hi: number;
}
