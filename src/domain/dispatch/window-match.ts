/**
 * When an existing command already does what a plan window asks: same mode, same end, about the same power and
 * target, and it started no later than the window (a window whose lead time has passed is trimmed to start later,
 * and the command that is already running still covers it).
 */
export interface WindowShape {
  mode: string;
  powerKw: number;
  targetReservePercent: number;
  startMs: number;
  endMs: number;
}

export const POWER_MATCH_KW = 0.05;
export const TARGET_MATCH_PERCENT = 0.5;

/** `existing` covers `wanted`. */
export function sameWindow(existing: WindowShape, wanted: WindowShape): boolean {
  return (
    existing.mode === wanted.mode &&
    existing.endMs === wanted.endMs &&
    existing.startMs <= wanted.startMs &&
    Math.abs(existing.powerKw - wanted.powerKw) <= POWER_MATCH_KW &&
    Math.abs(existing.targetReservePercent - wanted.targetReservePercent) <= TARGET_MATCH_PERCENT
  );
}
