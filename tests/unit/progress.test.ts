// The speed a run shows: over the last minute, not since the start, so a change of load shows.
import { describe, expect, it } from 'vitest';
import { formatDuration, speedometer } from '../../train/progress.ts';

/** Marks `steps` steps, `dt` seconds apart, on a clock the test moves; returns the last speed. */
function run(
  speed: ReturnType<typeof speedometer>,
  clock: { t: number },
  from: number,
  steps: number,
  dt: number,
) {
  let sps = 0;
  for (let s = from + 1; s <= from + steps; s++) {
    clock.t += dt;
    sps = speed.mark(s);
  }
  return sps;
}

describe('speedometer', () => {
  it('is the speed since the start until the window has passed, then the speed within it', () => {
    const clock = { t: 0 };
    const speed = speedometer(10, () => clock.t);
    expect(speed.mark(100)).toBe(0); // the start: a resumed run starts at its step
    // 20 s at 1 step/s (the cores shared) …
    expect(run(speed, clock, 100, 20, 1)).toBeCloseTo(1, 9);
    // … then 20 s at 4 steps/s: 4 once the window has passed, where the average since the start
    // would still say 2.5.
    expect(run(speed, clock, 120, 80, 0.25)).toBeCloseTo(4, 9);
  });

  it('half a window after a change, a blend of the two speeds', () => {
    const clock = { t: 0 };
    const speed = speedometer(10, () => clock.t);
    speed.mark(0);
    run(speed, clock, 0, 20, 1);
    // 5 s at 4 steps/s: the window holds 5 s of each, (5 + 20) steps in 10 s.
    expect(run(speed, clock, 20, 20, 0.25)).toBeCloseTo(2.5, 9);
  });

  it('stays right over many steps (a fast GPU run: thousands of marks leave the window)', () => {
    const clock = { t: 0 };
    const speed = speedometer(1, () => clock.t);
    speed.mark(0);
    expect(run(speed, clock, 0, 5000, 0.01)).toBeCloseTo(100, 6);
    expect(run(speed, clock, 5000, 5000, 0.02)).toBeCloseTo(50, 6);
  });

  it('before the first step it knows no speed; it never divides by zero', () => {
    const speed = speedometer(10, () => 5);
    expect(speed.mark(0)).toBe(0);
    expect(speed.mark(1)).toBe(0);
  });
});

describe('formatDuration', () => {
  it('hours and minutes, or minutes and seconds; ? when unknown', () => {
    expect(formatDuration(3 * 3600 + 25 * 60 + 10)).toBe('3h25m');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
