import { describe, expect, it } from 'vitest';
import { formatChineseTime, formatChineseTimeExact, formatLocalTime, localDay, zonedInstant } from './time.js';

describe('campaign times shown to people', () => {
  it('writes an instant in China time, the same each time it is asked, and in another zone when asked', () => {
    const deadline = new Date('2021-07-22T15:59:59Z');
    for (let i = 0; i < 3; i++) {
      expect(formatChineseTime(deadline)).toBe('2021年7月22日 23:59');
      expect(formatChineseTimeExact(deadline)).toBe('2021年7月22日 23:59:59');
      // The same instant in a second zone is that zone's wall clock, not a remembered China time.
      expect(formatLocalTime(deadline, 'Europe/London')).toBe('2021-07-22 16:59:59');
      expect(formatLocalTime(deadline)).toBe('2021-07-22 23:59:59');
    }
    expect(localDay(new Date('2021-07-22T16:00:00Z'))).toBe('2021-07-23');
  });

  it('stays right past the instants it remembers', () => {
    // More distinct instants than are kept: the earliest are worked out again, and still right.
    const start = Date.UTC(2021, 6, 1);
    for (let i = 0; i < 1000; i++) formatLocalTime(new Date(start + i * 1000));
    expect(formatLocalTime(new Date(start))).toBe('2021-07-01 08:00:00');
    expect(formatLocalTime(new Date(start + 999_000))).toBe('2021-07-01 08:16:39');
  });

  it('finds the instant of a wall-clock time across a daylight-saving change', () => {
    expect(zonedInstant('2021-07-19', '09:00').toISOString()).toBe('2021-07-19T01:00:00.000Z');
    expect(zonedInstant('2021-03-28', '03:30', 'Europe/London').toISOString()).toBe('2021-03-28T02:30:00.000Z');
  });
});
