import { clamp } from './lib/math';

export function brightness(level: number): number {
  const v = clamp(level, 0, 100);
  return v;
}
