/**
 * The times of campaign.yaml, checked the way a person reads them: 2021-02-30 and 24:30 are
 * named as a date and a time that do not exist, not as text in the wrong format.
 */

const EXAMPLE = '2021-07-22T23:59:59+08:00';
const FORMAT = `must be an ISO time with an offset, e.g. ${EXAMPLE}`;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The pieces of anything shaped like an ISO date or time, valid or not (2021-7-2 is not). */
const LOOSE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})?$/;

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Why `text` is not an ISO time with an offset (`2021-07-22T23:59:59+08:00`, seconds and
 * fractions optional, `Z` for UTC), or undefined when it is one that exists. Anything it accepts,
 * Date.parse reads as the same instant.
 */
export function isoTimeProblem(text: string): string | undefined {
  if (text.trim() === '') return `is empty: write an ISO time with an offset, e.g. ${EXAMPLE}`;
  const m = LOOSE.exec(text);
  if (!m) return FORMAT;
  const [, y, mo, d, h, mi, s, frac = '', offset] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const time = h === undefined ? 'T23:59:59' : `T${h}:${mi}${s === undefined ? '' : `:${s}${frac}`}`;
  const zone = offset ?? '+08:00';
  if (month < 1 || month > 12) {
    return `${text} names a date that does not exist: there is no month ${mo} (months go from 01 to 12)`;
  }
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) {
    const fixed = `${y}-${mo}-${String(Math.min(Math.max(day, 1), last)).padStart(2, '0')}${time}${zone}`;
    return `${text} names a date that does not exist: ${MONTHS[month - 1]} ${year} has ${last} days: write a real date, e.g. ${fixed}`;
  }
  if (h !== undefined) {
    const date = `${y}-${mo}-${d}`;
    if (Number(h) > 23) {
      return `${text} names a time that does not exist: hours go from 00 to 23 (the end of a day is 23:59:59), e.g. ${date}T23:59:59${zone}`;
    }
    if (Number(mi) > 59) return `${text} names a time that does not exist: minutes go from 00 to 59, e.g. ${date}T${h}:59${s === undefined ? '' : ':59'}${zone}`;
    if (s !== undefined && Number(s) > 59) return `${text} names a time that does not exist: seconds go from 00 to 59, e.g. ${date}T${h}:${mi}:59${zone}`;
  }
  if (offset !== undefined && offset !== 'Z') {
    const [oh, om] = offset.slice(1).split(':').map(Number) as [number, number];
    if (oh > 14 || om > 59) return `${text} has an offset that does not exist (${offset}): China time is +08:00, UTC is Z`;
  }
  if (h === undefined) return `${text} is a date without a time: add the time and the offset, e.g. ${y}-${mo}-${d}T23:59:59${zone} for the end of that day`;
  if (offset === undefined) return `${text} has no offset, so it is no single moment: add one, e.g. ${text}+08:00 for China time`;
  return undefined;
}

/** Why `text` is not a time of day "HH:MM" that exists, or undefined when it is one. */
export function timeOfDayProblem(text: string): string | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) return 'must be a time of day as "HH:MM", e.g. "09:00"';
  const [, h, mi] = m as unknown as [string, string, string];
  if (Number(h) > 23) return `"${text}" is a time of day that does not exist: hours go from 00 to 23, e.g. "09:00" or "23:00"`;
  if (Number(mi) > 59) return `"${text}" is a time of day that does not exist: minutes go from 00 to 59, e.g. "${h.padStart(2, '0')}:59"`;
  if (h.length === 1) return `must be a time of day as "HH:MM", with two digits for the hour: write "0${text}"`;
  return undefined;
}
