import type { Outcome } from '../pipeline/pipeline.js';
import type { MessageSource } from '../sources/source.js';
import type { App } from './app.js';

/** Archives and decides every message a source has that is not known yet. */
export async function ingestFrom(app: App, source: MessageSource): Promise<Outcome[]> {
  const known = async (s: string) => (await app.db.selectFrom('messages').select('id').where('source', '=', s).executeTakeFirst()) !== undefined;
  const out: Outcome[] = [];
  for await (const msg of source.scan(known)) out.push(await app.pipeline.process(msg));
  return out;
}
