/** The network bounds of one request, on a fake clock. */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { networkBounds, RequestWatch } from '../../src/network.js'

describe('request bounds', () => {
  beforeEach(() => {
    jest.useFakeTimers()
  })
  afterEach(() => {
    jest.useRealTimers()
  })

  const bounds = networkBounds(15)
  function watch(): { watch: RequestWatch; reasons: string[] } {
    const reasons: string[] = []
    return { watch: new RequestWatch(bounds, (reason) => reasons.push(reason)), reasons }
  }

  it('a connection not made within the stall limit', () => {
    const { watch: w, reasons } = watch()
    w.connectionStarted()
    jest.advanceTimersByTime(14_999)
    expect(reasons).toEqual([])
    jest.advanceTimersByTime(1)
    expect(reasons).toEqual(['could not be connected to within 15 s'])
  })

  it('a host that takes the request and never answers', () => {
    const { watch: w, reasons } = watch()
    w.connectionStarted()
    jest.advanceTimersByTime(10_000)
    w.connectionMade()
    jest.advanceTimersByTime(14_999)
    expect(reasons).toEqual([])
    jest.advanceTimersByTime(1)
    expect(reasons).toEqual(['did not answer within 15 s'])
  })

  it('an answer that stops', () => {
    const { watch: w, reasons } = watch()
    jest.advanceTimersByTime(5_000)
    w.received()
    jest.advanceTimersByTime(15_000)
    expect(reasons).toEqual(['stopped sending for 15 s'])
  })

  it('an answer that keeps dripping ends at the overall limit; every bound expires once', () => {
    const { watch: w, reasons } = watch()
    for (let t = 0; t < 100; t++) {
      jest.advanceTimersByTime(1_000)
      w.received()
    }
    expect(reasons).toEqual(['did not finish answering within 60 s'])
  })

  it('an answer larger than the cap ends as soon as it crosses it, once', () => {
    const { watch: w, reasons } = watch()
    w.received()
    w.received(bounds.maxAnswerBytes)
    expect(reasons).toEqual([])
    w.received(1)
    w.received(1)
    jest.advanceTimersByTime(600_000)
    expect(reasons).toEqual(['sent more than 512 MiB in one answer'])
  })

  it('a finished request expires never', () => {
    const { watch: w, reasons } = watch()
    w.received()
    w.finish()
    w.received()
    jest.advanceTimersByTime(600_000)
    expect(reasons).toEqual([])
  })
})
