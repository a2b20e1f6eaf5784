export { clamp, lerp } from './math';
