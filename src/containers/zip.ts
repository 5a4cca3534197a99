import { fromBufferPromise, type Entry } from 'yauzl';
import { decodeUnlabelled } from '../util/text-decode.js';
import { ExpansionBudget, UnreadableError } from './budget.js';

export interface ArchiveEntry {
  /** Path inside the archive, decoded, with any "..", drive or root prefix removed. */
  name: string;
  content?: Buffer;
  error?: UnreadableError;
}

const UTF8_FLAG = 0x800;
const ENCRYPTED_FLAG = 0x1;
const INFO_ZIP_UNICODE_PATH = 0x7075;

/**
 * Entry names: UTF-8 when the archive says so (flag bit 11 or the Info-ZIP Unicode Path extra
 * field); otherwise the bytes of the writer's code page, which for Chinese Windows' built-in zip,
 * WinRAR and 360压缩 is GBK, so decode as UTF-8 when valid, else GB18030.
 */
function entryName(entry: Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  if (entry.generalPurposeBitFlag & UTF8_FLAG) return raw.toString('utf8');
  const unicode = entry.extraFields.find((f) => f.id === INFO_ZIP_UNICODE_PATH);
  if (unicode && unicode.data.length > 5 && unicode.data[0] === 1) return unicode.data.subarray(5).toString('utf8');
  return decodeUnlabelled(raw);
}

/** Names are only ever displayed, never used as paths; still, strip anything that climbs out. */
export function safeEntryName(name: string): string {
  return name
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.' && part !== '..' && !/^[a-zA-Z]:$/.test(part))
    .join('/')
    .replace(/[\u0000-\u001f]/g, '');
}

const JUNK = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)/i;

/** Reads a zip held in memory, entry by entry, enforcing the message's expansion budget. */
export async function readZip(content: Buffer, budget: ExpansionBudget): Promise<ArchiveEntry[]> {
  let zip;
  try {
    zip = await fromBufferPromise(content, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false });
  } catch (err) {
    throw new UnreadableError('corrupt-archive', '压缩包已损坏，无法打开', (err as Error).message);
  }
  const { limits } = budget;
  if (zip.entryCount > limits.max_archive_entries) {
    zip.close();
    throw new UnreadableError('too-many-entries', `压缩包内文件过多（${zip.entryCount} 个，上限 ${limits.max_archive_entries} 个）`);
  }
  const out: ArchiveEntry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const name = safeEntryName(entryName(entry));
      if (name === '' || (entry.fileName as unknown as Buffer).at(-1) === 0x2f || JUNK.test(name)) continue;
      try {
        out.push({ name, content: await readEntry(zip, entry, budget) });
      } catch (err) {
        out.push({ name, error: err instanceof UnreadableError ? err : new UnreadableError('corrupt-archive', '压缩包内的文件无法解压', (err as Error).message) });
      }
    }
  } catch (err) {
    throw new UnreadableError('corrupt-archive', '压缩包已损坏', (err as Error).message);
  } finally {
    zip.close();
  }
  return out;
}

async function readEntry(zip: Awaited<ReturnType<typeof fromBufferPromise>>, entry: Entry, budget: ExpansionBudget): Promise<Buffer> {
  if (entry.generalPurposeBitFlag & ENCRYPTED_FLAG) throw new UnreadableError('encrypted', '文件已加密（设有密码），无法读取');
  const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
  if (entry.uncompressedSize > 1024 * 1024 && ratio > budget.limits.max_compression_ratio) {
    throw new UnreadableError('zip-bomb', `压缩比异常（${Math.round(ratio)}:1），疑似压缩炸弹，未解压`);
  }
  budget.take(entry.uncompressedSize);
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let size = 0;
  // validateEntrySizes stops a stream that lies about its size, but count anyway: the declared
  // size is what the budget was charged for.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > entry.uncompressedSize) {
      stream.destroy();
      throw new UnreadableError('zip-bomb', '解压数据超过声明大小，疑似压缩炸弹，未解压');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
