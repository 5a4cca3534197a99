import type { Outcome } from '../pipeline/pipeline.js';
import type { App } from '../service/app.js';
import type { ReceivedBasis } from '../store/tables.js';
import { zonedInstant } from '../util/time.js';

export interface ReceiptResult {
  outcome: Outcome;
  previous: { at: string; basis: ReceivedBasis };
  at: Date;
}

const LOCAL = /^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A receipt time as a person types it: `2021-07-22 16:03` (or with seconds) on the campaign's
 * clock, the way the notice and the web mail show times, or an ISO instant with its offset.
 */
export function parseReceiptTime(text: string, zone: string): Date {
  const t = text.trim();
  const local = LOCAL.exec(t);
  const at = local ? zonedInstant(local[1]!, local[2]!, zone) : WITH_OFFSET.test(t) ? new Date(t) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw new Error(`"${text}" is not a time: write it as YYYY-MM-DD HH:MM[:SS] on the campaign's clock (${zone}), e.g. "2021-07-22 16:03", or as an ISO time with its offset, e.g. 2021-07-22T16:03:00+08:00`);
  }
  // The wall clock round-trips: 2021-02-30 or 25:00 is refused rather than rolled over.
  if (local && !sameWallClock(at, local[1]!, local[2]!, zone)) throw new Error(`"${text}" does not exist on the calendar or the clock (${zone})`);
  return at;
}

function sameWallClock(at: Date, day: string, time: string, zone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (k: string) => parts.find((p) => p.type === k)?.value;
  const [h, m, s = '00'] = time.split(':');
  return `${get('year')}-${get('month')}-${get('day')}` === day && Number(get('hour')) === Number(h) && get('minute') === m && get('second') === s.padStart(2, '0');
}

/**
 * A person sets when the server received a message, having found it where intake could not (the
 * web mail's list, the provider's delivery log), with the evidence as `note`. Meant for the
 * messages held for review because their time was not the server's, but allowed for any: the
 * person is accountable, and the time intake had found is kept beside theirs. The message is
 * decided again on the new time: late or not, its items' lateness, and a reply now due (a
 * reply already sent is never sent again).
 */
export async function setReceiptTime(app: App, messageRow: number, at: Date, note: string, now = new Date()): Promise<ReceiptResult> {
  if (note.trim() === '') throw new Error('say where the time comes from with --note, e.g. --note "新浪邮箱网页版显示 7月22日 16:03 收到"');
  if (at.getTime() > now.getTime()) throw new Error(`${at.toISOString()} is in the future: a receipt time is when the server received the message`);
  const row = await app.db.selectFrom('messages').selectAll().where('id', '=', messageRow).executeTakeFirst();
  if (!row) throw new Error(`no message #${messageRow}: see \`intake messages\``);
  if (row.status === 'archived') throw new Error(`message #${messageRow} has not been decided yet; run \`intake retry ${messageRow}\` first`);
  // Set again by a person: what intake found stays the first finding, not the person's last.
  const found = { found_received_at: row.found_received_at ?? row.received_at, found_received_basis: row.found_received_basis ?? row.received_basis };
  const set = { ...found, received_at: at.toISOString(), received_basis: 'person' as const, receipt_set_at: now.toISOString(), receipt_note: note.trim() };
  await app.db.updateTable('messages').set(set).where('id', '=', row.id).execute();
  const outcome = await app.pipeline.decide({ ...row, ...set }, { redecide: true });
  return { outcome, previous: { at: row.received_at, basis: row.received_basis }, at };
}
