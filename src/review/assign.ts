import { NO_UNIT } from '../match/assigned.js';
import type { Outcome } from '../pipeline/pipeline.js';
import { normalizeName } from '../rules/names.js';
import type { App } from '../service/app.js';
import { learnAddress } from './learned-addresses.js';

/** A unit named by id, official name or alias; "none" means no unit. */
export function resolveUnit(app: Pick<App, 'rules'>, text: string): string | null {
  const t = text.trim();
  if (t === 'none' || t === NO_UNIT) return NO_UNIT;
  const byId = app.rules.units.find((u) => u.id === t);
  if (byId) return byId.id;
  const key = normalizeName(t);
  return app.rules.units.find((u) => [u.name, ...u.aliases].some((n) => normalizeName(n) === key))?.id ?? null;
}

export interface AssignResult {
  outcome: Outcome;
  previousUnit: string | null;
  learned: 'learned' | 'known' | 'not-learned';
  learnNote?: string;
}

/**
 * A person decides which unit sent a message (or that none did). The message is decided again
 * under that unit: the unit's items and state follow, a now-due reply is queued, and a reply
 * already sent is never sent again. The sender's address is learned for the unit, so its next
 * mail matches by address, unless the roster gives that address to another unit.
 */
export async function assignMessage(app: App, messageRow: number, unitText: string, now = new Date()): Promise<AssignResult> {
  const unit = resolveUnit(app, unitText);
  if (!unit) throw new Error(`no unit "${unitText}": use a unit id, name or alias from rules/units.yaml (see \`intake units\`), or "none"`);
  const row = await app.db.selectFrom('messages').selectAll().where('id', '=', messageRow).executeTakeFirst();
  if (!row) throw new Error(`no message #${messageRow}: see \`intake messages\``);
  if (row.status === 'archived') throw new Error(`message #${messageRow} has not been decided yet; run \`intake retry ${messageRow}\` first`);
  await app.db.updateTable('messages').set({ assigned_unit: unit, assigned_at: now.toISOString() }).where('id', '=', row.id).execute();
  const outcome = await app.pipeline.decide({ ...row, assigned_unit: unit, assigned_at: now.toISOString() }, { redecide: true });

  let learned: AssignResult['learned'] = 'not-learned';
  let learnNote: string | undefined;
  const address = row.from_address;
  if (unit === NO_UNIT || !address) learnNote = 'no unit or no sender address';
  else if (address.toLowerCase() === app.rules.campaign.mailbox.toLowerCase()) learnNote = 'our own address';
  else if (row.reply_reason && /^(auto-reply|bounce|bulk mail|list mail|machine sender)/.test(row.reply_reason)) learnNote = 'a machine sent it';
  else {
    const owner = app.rules.units.find((u) => u.addresses.some((a) => a.toLowerCase() === address.toLowerCase()));
    if (owner && owner.id !== unit) learnNote = `rules/units.yaml lists ${address} for ${owner.id}`;
    else learned = await learnAddress(app.db, address, unit, row.id, now);
  }
  return { outcome, previousUnit: row.unit_id, learned, ...(learnNote ? { learnNote } : {}) };
}
