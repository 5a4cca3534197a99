import { createHash } from 'node:crypto';
import { UnreadableError } from '../containers/budget.js';
import type { FoundFile } from '../containers/expand.js';
import type { DocumentContent, DocumentReader } from './reader.js';
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

/** Reads every file found in a message. One bad file never stops the others. */
export async function readFiles(files: FoundFile[], readers: readonly DocumentReader[]): Promise<ReadFile[]> {
  const out: ReadFile[] = [];
  for (const [seq, f] of files.entries()) {
    let content: DocumentContent | null = null;
    let error: ReadFile['error'] = f.error ? errorOf(f.error) : null;
    if (!error && f.content) {
      try {
        content = await readDocument(readers, f.format, f.content, f.filename);
      } catch (err) {
        error = err instanceof UnreadableError ? errorOf(err) : { code: 'reader-failed', message: '文件读取失败', detail: (err as Error).message };
      }
    }
    out.push({
      seq,
      filename: f.filename,
      containerPath: f.containerPath,
      contentType: f.contentType,
      format: f.format,
      size: f.size ?? f.content?.length ?? 0,
      sha256: f.content ? createHash('sha256').update(f.content).digest('hex') : '',
      content,
      error,
    });
  }
  return out;
}

function errorOf(e: UnreadableError): NonNullable<ReadFile['error']> {
  return e.detail ? { code: e.code, message: e.message, detail: e.detail.slice(0, 300) } : { code: e.code, message: e.message };
}
