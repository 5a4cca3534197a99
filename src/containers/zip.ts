import { fromBufferPromise, type Entry, type ZipFile } from 'yauzl';
import { decodeUnlabelled } from '../util/text-decode.js';
import { ExpansionBudget, UnreadableError, asUnreadable } from './budget.js';

/** One file listed by an archive: its decoded name, and its bytes or why there are none. */
export interface ArchiveEntry {
  /** Path inside the archive, decoded, with any "..", drive or root prefix removed. Display only. */
  name: string;
  content?: Buffer;
  error?: UnreadableError;
}

const UTF8_FLAG = 0x800;
const ENCRYPTED_FLAG = 0x1;
const INFO_ZIP_UNICODE_PATH = 0x7075;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

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

/**
 * Names are only ever displayed, never used as paths (nothing is written to disk); still, strip
 * anything that climbs out, roots, drive letters, NUL and other control characters.
 */
export function safeEntryName(name: string): string {
  return name
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/\\/g, '/')
    .split('/')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== '.' && part !== '..' && !/^[a-zA-Z]:$/.test(part))
    .join('/');
}

/** Files that archivers add and nobody sent: macOS resource forks, Finder and Explorer caches. */
export const JUNK_ENTRY = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$|desktop\.ini$|~\$[^/]*$)/i;

/**
 * Reads a zip held in memory, entry by entry, enforcing the message's budget before each entry
 * is inflated and while it streams: the declared size must fit the limits, the declared ratio
 * must not be a bomb's, and the stream may not run past what the entry declared (yauzl checks
 * this too). A limit hit on the message's total stops the archive with one named error.
 */
export async function readZip(content: Buffer, budget: ExpansionBudget): Promise<ArchiveEntry[]> {
  let zip: ZipFile;
  try {
    zip = await fromBufferPromise(content, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false });
  } catch (err) {
    throw new UnreadableError('corrupt-archive', '压缩包已损坏，无法打开', (err as Error).message);
  }
  const { limits } = budget;
  if (zip.entryCount > limits.max_archive_entries) {
    zip.close();
    throw new UnreadableError('too-many-entries', `压缩包内文件过多（${zip.entryCount} 个，上限 ${limits.max_archive_entries} 个），未打开`);
  }
  const out: ArchiveEntry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const rawName = entry.fileName as unknown as Buffer;
      const name = safeEntryName(entryName(entry));
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (name === '' || rawName.at(-1) === 0x2f || rawName.at(-1) === 0x5c || JUNK_ENTRY.test(name) || mode === S_IFLNK) continue;
      budget.countFile();
      try {
        out.push({ name, content: await readEntry(zip, entry, budget) });
      } catch (err) {
        const e = asUnreadable(err, 'corrupt-archive', '压缩包内的文件无法解压');
        // The message's budget is spent: no later entry can be read either.
        if (e.code === 'expanded-limit') throw e;
        out.push({ name, error: e });
      }
    }
  } catch (err) {
    const e = asUnreadable(err, 'corrupt-archive', '压缩包已损坏');
    if (e.code === 'expanded-limit' || e.code === 'too-many-files') {
      out.push({ name: '', error: e });
      return out;
    }
    throw e;
  } finally {
    zip.close();
  }
  return out;
}

async function readEntry(zip: ZipFile, entry: Entry, budget: ExpansionBudget): Promise<Buffer> {
  if (entry.generalPurposeBitFlag & ENCRYPTED_FLAG) throw new UnreadableError('encrypted', '文件已加密（设有密码），无法读取，请不设密码重新压缩后发送');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new UnreadableError('unsupported-archive', `压缩包使用了不支持的压缩方式（${entry.compressionMethod}），请用常规 zip 格式重新压缩`);
  }
  budget.checkRatio(entry.uncompressedSize, entry.compressedSize);
  budget.take(entry.uncompressedSize);
  let size = 0;
  try {
    const stream = await zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      // The budget was charged for the declared size; more is a lie (yauzl stops it too).
      if (size > entry.uncompressedSize) {
        stream.destroy();
        throw new UnreadableError('zip-bomb', '解压数据超过声明大小，疑似压缩炸弹，未解压');
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  } catch (err) {
    budget.giveBack(entry.uncompressedSize);
    if (err instanceof UnreadableError) throw err;
    const msg = (err as Error).message;
    if (/too many bytes|expected \d+ bytes/i.test(msg)) throw new UnreadableError('zip-bomb', '解压数据与声明大小不符，疑似压缩炸弹，未解压', msg);
    throw new UnreadableError('corrupt-archive', '压缩包内的文件无法解压（数据已损坏）', msg);
  }
}
