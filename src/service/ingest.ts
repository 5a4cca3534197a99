import type { SourceMessage } from '../pipeline/archive.js';
import type { Outcome } from '../pipeline/pipeline.js';
import type { MessageSource } from '../sources/source.js';
import type { App } from './app.js';

/**
 * Messages handed to the pipeline together, so that reading the next overlaps deciding one; at
 * most this many, and about this many bytes (each file is read whole).
 */
const BATCH = 25;
const BATCH_BYTES = 32 * 1024 * 1024;

/** Archives and decides every message a source has that is not known yet. */
export async function ingestFrom(app: App, source: MessageSource): Promise<Outcome[]> {
  const known = async (s: string) => (await app.db.selectFrom('messages').select('id').where('source', '=', s).executeTakeFirst()) !== undefined;
  const out: Outcome[] = [];
  let batch: SourceMessage[] = [];
  let bytes = 0;
  const flush = async () => {
    await app.pipeline.processAll(batch, (_, o) => void out.push(o));
    batch = [];
    bytes = 0;
  };
  for await (const msg of source.scan(known)) {
    batch.push(msg);
    bytes += msg.raw.length;
    if (batch.length >= BATCH || bytes >= BATCH_BYTES) await flush();
  }
  await flush();
  return out;
}
