import { describe, expect, it } from '@jest/globals'
import { simulateContention } from '../../bench/contention-sim.js'
import { backoffDelay, type BackoffPolicy } from '../../src/publish/backoff.js'

describe('backoffDelay', () => {
  const policy: BackoffPolicy = { minWindowMs: 50, firstCeilingWindows: 2, growth: 2, maxCeilingWindows: 8, maxDelayMs: 5000 }

  it.each([
    // lost, window, random, delay: the ceiling is 2, 4, 8, 8 windows, and the draw lies in [ceiling/2, ceiling].
    [1, 100, 0, 100],
    [1, 100, 0.999, 200],
    [2, 100, 0, 200],
    [3, 100, 0.5, 600],
    [4, 100, 0.999, 800],
    [50, 100, 0.999, 800],
    // A 10 ms window counts as 50 ms.
    [1, 10, 0, 50],
    [3, 10, 0.999, 400],
    // A 1 s window would allow 8 s; the absolute ceiling holds it to 5 s.
    [4, 1000, 0, 2500],
    [4, 1000, 0.999, 4998],
  ])('after lost race %i with a %i ms window and random %f waits %i ms', (lost, windowMs, random, delay) => {
    expect(backoffDelay(lost, windowMs, random, policy)).toBe(delay)
  })

  it.each([
    // window, longest wait: 8 windows of at least 50 ms, and never more than 15 s.
    [10, 400],
    [100, 800],
    [1000, 8000],
    [5000, 15_000],
    [60_000, 15_000],
  ])('with a %i ms window waits at most %i ms by default, however many races it lost', (windowMs, longest) => {
    const delays = Array.from({ length: 100 }, (_, lost) => [0, 0.5, 0.999].map((random) => backoffDelay(lost + 1, windowMs, random))).flat()
    expect(Math.min(...delays)).toBeGreaterThan(0)
    expect(Math.max(...delays)).toBeLessThanOrEqual(longest)
    expect(Math.max(...delays)).toBeGreaterThan(longest * 0.99)
  })
})

describe('contention simulation', () => {
  it('lands 16 racers with no other pusher within 10 attempts', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const outcome = simulateContention({ racers: 16, firstAttemptMs: 600, windowMs: 100, maxAttempts: 10, budgetMs: 300_000 }, backoffDelay, seed)
      expect(outcome.landed).toBe(16)
      expect(Math.max(...outcome.attempts)).toBeLessThanOrEqual(10)
    }
  })
})
