/** Campaign times are shown to people in China Standard Time, whatever the server's zone. */
export const CHINA_TZ = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(date: Date, zone: string): Record<string, string> {
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
  return Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
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
