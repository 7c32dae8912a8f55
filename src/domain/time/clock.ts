/** The only way domain and app code learn "now": injected, so tests and replays control time (the real one is src/app/system-clock.ts). */
export interface Clock {
  nowMs(): number;
}

/** A clock that stands still until moved: for tests and for replays that walk through history. */
export class FixedClock implements Clock {
  constructor(private ms: number) {}
  nowMs(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
