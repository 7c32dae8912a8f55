/** Small row ↔ domain helpers shared by the repositories. */
export function toDate(ms: number): Date {
  return new Date(ms);
}

export function msOrNull(d: Date | null | undefined): number | null {
  return d ? d.getTime() : null;
}

export function dateOrNull(ms: number | null | undefined): Date | null {
  return ms === null || ms === undefined ? null : new Date(ms);
}

/** Consecutive runs of aligned instants as [startMs, endMs) ranges (endMs = last + stepMs). */
export function toRanges(instantsMs: readonly number[], stepMs: number): { startMs: number; endMs: number }[] {
  const out: { startMs: number; endMs: number }[] = [];
  for (const t of instantsMs) {
    const last = out[out.length - 1];
    if (last && last.endMs === t) last.endMs = t + stepMs;
    else out.push({ startMs: t, endMs: t + stepMs });
  }
  return out;
}
