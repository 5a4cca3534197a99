import { createHash } from 'node:crypto';
import { UnreadableError } from '../containers/budget.js';
import type { FoundFile } from '../containers/expand.js';
import { ReaderUnavailable, type DocumentContent, type DocumentReader } from './reader.js';
import { readDocument } from './read-document.js';

export interface ReadFile {
  seq: number;
  filename: string;
  containerPath: string;
  contentType: string;
  format: string;
  size: number;
  sha256: string;
  content: DocumentContent | null;
  error: { code: string; message: string; detail?: string } | null;
}

/**
 * At most this many files of one message are being read at once: enough for a pool of reading
 * processes to work side by side, few enough that a message of a thousand files does not have
 * a thousand readers' working memory at once.
 */
const READ_AHEAD = 4;

/**
 * Reads every file found in a message, several at a time. One bad file never stops the others,
 * and the result is in the order the files were found. Rejects only when the readers themselves
 * are unavailable (ReaderUnavailable).
 */
export async function readFiles(files: FoundFile[], readers: readonly DocumentReader[]): Promise<ReadFile[]> {
  const out: ReadFile[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const seq = next++;
      out[seq] = await readOne(files[seq]!, seq, readers);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_AHEAD, files.length) }, worker));
  return out;
}

async function readOne(f: FoundFile, seq: number, readers: readonly DocumentReader[]): Promise<ReadFile> {
  let content: DocumentContent | null = null;
  let error: ReadFile['error'] = f.error ? errorOf(f.error) : null;
  if (!error && f.content) {
    try {
      content = await readDocument(readers, f.format, f.content, f.filename, { charset: f.charset });
    } catch (err) {
      // Not this file's fault: the message fails and is read again, nothing is said to the sender.
      if (err instanceof ReaderUnavailable) throw err;
      error = err instanceof UnreadableError ? errorOf(err) : { code: 'reader-failed', message: '文件读取失败', detail: (err as Error).message };
    }
  }
  return {
    seq,
    filename: f.filename,
    containerPath: f.containerPath,
    contentType: f.contentType,
    format: f.format,
    size: f.size ?? f.content?.length ?? 0,
    sha256: f.content ? createHash('sha256').update(f.content).digest('hex') : '',
    content,
    error,
  };
}

function errorOf(e: UnreadableError): NonNullable<ReadFile['error']> {
  return e.detail ? { code: e.code, message: e.message, detail: e.detail.slice(0, 300) } : { code: e.code, message: e.message };
}
