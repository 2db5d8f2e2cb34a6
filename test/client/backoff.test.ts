import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../client/backoff';

const options = { initialMs: 500, maxMs: 30_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, options, () => 0.999_999))).toEqual([
      500, 1000, 2000, 4000,
    ]);
  });

  it('never waits less than half the ceiling', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, options, () => 0))).toEqual([
      250, 500, 1000, 2000,
    ]);
  });

  it('caps the delay at maxMs however many attempts failed', () => {
    expect(backoffDelay(50, options, () => 0.999_999)).toBe(30_000);
    expect(backoffDelay(5000, options, () => 0)).toBe(15_000);
  });

  it('spreads clients that failed at the same moment', () => {
    const delays = new Set([0.1, 0.4, 0.7].map((r) => backoffDelay(4, options, () => r)));
    expect(delays.size).toBe(3);
  });
});
