import { describe, expect, it } from 'vitest';
import { isoTimeProblem, timeOfDayProblem } from './iso-time.js';

describe('isoTimeProblem', () => {
  it('accepts ISO times with an offset that exist, as Date.parse reads them', () => {
    for (const t of ['2021-07-22T23:59:59+08:00', '2024-02-29T00:00:00+08:00', '2021-07-22T23:59+08:00', '2021-07-22T15:59:59.5Z', '2021-07-22T23:59:59-05:30']) {
      expect(isoTimeProblem(t), t).toBeUndefined();
      expect(Number.isNaN(Date.parse(t)), t).toBe(false);
    }
  });

  it('names dates and times that do not exist, with a real one to write', () => {
    expect(isoTimeProblem('2021-02-30T23:59:59+08:00')).toBe('2021-02-30T23:59:59+08:00 names a date that does not exist: February 2021 has 28 days: write a real date, e.g. 2021-02-28T23:59:59+08:00');
    expect(isoTimeProblem('2023-02-29T10:00:00+08:00')).toMatch(/^2023-02-29T10:00:00\+08:00 names a date that does not exist: February 2023 has 28 days/);
    expect(isoTimeProblem('2021-04-31T10:00:00+08:00')).toMatch(/April 2021 has 30 days: write a real date, e\.g\. 2021-04-30T10:00:00\+08:00$/);
    expect(isoTimeProblem('2021-13-01T10:00:00+08:00')).toBe('2021-13-01T10:00:00+08:00 names a date that does not exist: there is no month 13 (months go from 01 to 12)');
    expect(isoTimeProblem('2021-07-22T24:30')).toBe('2021-07-22T24:30 names a time that does not exist: hours go from 00 to 23 (the end of a day is 23:59:59), e.g. 2021-07-22T23:59:59+08:00');
    expect(isoTimeProblem('2021-07-22T25:00:00+08:00')).toMatch(/^2021-07-22T25:00:00\+08:00 names a time that does not exist: hours go from 00 to 23/);
    expect(isoTimeProblem('2021-07-22T23:60:00+08:00')).toMatch(/minutes go from 00 to 59/);
    expect(isoTimeProblem('2021-07-22T23:59:60+08:00')).toMatch(/seconds go from 00 to 59/);
    expect(isoTimeProblem('2021-07-22T23:59:59+18:00')).toMatch(/has an offset that does not exist \(\+18:00\)/);
  });

  it('says what is missing from a date without a time or a time without an offset, and keeps the format message for the rest', () => {
    expect(isoTimeProblem('2021-07-22T23:59:59')).toBe('2021-07-22T23:59:59 has no offset, so it is no single moment: add one, e.g. 2021-07-22T23:59:59+08:00 for China time');
    expect(isoTimeProblem('2021-07-22')).toBe('2021-07-22 is a date without a time: add the time and the offset, e.g. 2021-07-22T23:59:59+08:00 for the end of that day');
    expect(isoTimeProblem('2021/07/22 23:59')).toBe('must be an ISO time with an offset, e.g. 2021-07-22T23:59:59+08:00');
  });
});

describe('timeOfDayProblem', () => {
  it('accepts HH:MM and names times of day that do not exist', () => {
    expect(timeOfDayProblem('09:00')).toBeUndefined();
    expect(timeOfDayProblem('23:59')).toBeUndefined();
    expect(timeOfDayProblem('25:00')).toBe('"25:00" is a time of day that does not exist: hours go from 00 to 23, e.g. "09:00" or "23:00"');
    expect(timeOfDayProblem('09:60')).toBe('"09:60" is a time of day that does not exist: minutes go from 00 to 59, e.g. "09:59"');
    expect(timeOfDayProblem('9:00')).toBe('must be a time of day as "HH:MM", with two digits for the hour: write "09:00"');
    expect(timeOfDayProblem('nine')).toBe('must be a time of day as "HH:MM", e.g. "09:00"');
  });
});
