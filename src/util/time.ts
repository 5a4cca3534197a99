/** Campaign times are shown to people in China Standard Time, whatever the server's zone. */
export const CHINA_TZ = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * formatToParts costs tens of microseconds, and every reply formats the campaign's same few
 * times (deadline, opening) again: recent results are kept, keyed by zone and instant.
 */
const recentParts = new Map<string, Readonly<Record<string, string>>>();
const RECENT_PARTS = 256;

function partsIn(date: Date, zone: string): Readonly<Record<string, string>> {
  const key = `${zone}\0${date.getTime()}`;
  const known = recentParts.get(key);
  if (known) {
    // Kept as the most recent: the campaign's deadline outlives the stream of receipt times.
    recentParts.delete(key);
    recentParts.set(key, known);
    return known;
  }
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, f);
  }
  const parts = Object.freeze(Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value])));
  if (recentParts.size >= RECENT_PARTS) recentParts.delete(recentParts.keys().next().value!);
  recentParts.set(key, parts);
  return parts;
}

function toDate(d: Date | string): Date {
  return typeof d === 'string' ? new Date(d) : d;
}

/** `2021-07-20 10:15:03` in the given zone (China time by default). */
export function formatLocalTime(d: Date | string, zone: string = CHINA_TZ): string {
  const p = partsIn(toDate(d), zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** `2021年7月22日 23:59` — the way Chinese notices write a time. */
export function formatChineseTime(d: Date | string, zone: string = CHINA_TZ): string {
  const p = partsIn(toDate(d), zone);
  return `${p.year}年${Number(p.month)}月${Number(p.day)}日 ${p.hour}:${p.minute}`;
}

/** `2021年7月22日 23:59:59`: a receipt time, to the second, for a notice that may turn on it. */
export function formatChineseTimeExact(d: Date | string, zone: string = CHINA_TZ): string {
  const p = partsIn(toDate(d), zone);
  return `${p.year}年${Number(p.month)}月${Number(p.day)}日 ${p.hour}:${p.minute}:${p.second}`;
}

/** `2021年7月20日` for a day given as YYYY-MM-DD. */
export function formatChineseDate(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

/** The calendar day of an instant in a zone, as YYYY-MM-DD. */
export function localDay(d: Date | string, zone: string = CHINA_TZ): string {
  const p = partsIn(toDate(d), zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** The zone's offset from UTC at an instant, in minutes (480 for China). */
function offsetMinutes(at: Date, zone: string): number {
  const p = partsIn(at, zone);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/**
 * The instant a wall-clock time in a zone names: `2021-07-19`, `09:00`, Asia/Shanghai →
 * 2021-07-19T01:00:00Z. Corrected twice so a time next to a daylight-saving change lands right.
 */
export function zonedInstant(day: string, time: string, zone: string = CHINA_TZ): Date {
  const [y, mo, d] = day.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = [...time.split(':').map(Number), 0] as [number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let t = wall;
  for (let i = 0; i < 2; i++) t = wall - offsetMinutes(new Date(t), zone) * 60_000;
  return new Date(t);
}

/** YYYY-MM-DD plus (or minus) whole days. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
