import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { planDocx } from './documents.js';
import { buildMail } from './mail.js';

/**
 * Test material for rule changes: a unit (hukou) writing from an address no rule knows yet, with
 * a plan that names no unit, so it goes to review until the roster gives hukou the address.
 */
export const NEW_ADDRESS = 'hkzgh2021@163.com';

export async function planFromNewAddress(id: string, at: Date): Promise<Buffer> {
  return buildMail({
    from: { name: '办公室', address: NEW_ADDRESS },
    subject: '实施方案',
    messageId: `<${id}@163.com>`,
    date: at,
    received: at,
    text: '',
    attachments: [{ filename: '方案.docx', content: await planDocx({ unit: '', title: '劳动和技能竞赛实施方案' }) }],
  });
}

/** Edits rules/units.yaml in `rulesDir`: hukou gets NEW_ADDRESS. */
export function giveHukouTheAddress(rulesDir: string): void {
  const units = join(rulesDir, 'units.yaml');
  const text = readFileSync(units, 'utf8');
  const edited = text.replace(/(- id: hukou\n(?: {4}.*\n)*? {4}addresses: \[)/, `$1${NEW_ADDRESS}, `);
  if (edited === text) throw new Error(`no addresses list for hukou in ${units}`);
  writeFileSync(units, edited);
}

/** The messages of a data folder's SQLite database, read while or after the CLI writes it. */
export function storedDecisions(dataDir: string): Array<{ id: number; source: string; status: string; unit_id: string | null; reply_kind: string | null }> {
  const db = new SQLite(join(dataDir, 'intake.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select id, source, status, unit_id, reply_kind from messages order by id').all() as ReturnType<typeof storedDecisions>;
  } finally {
    db.close();
  }
}
