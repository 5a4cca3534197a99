import { detectFormat, type FileFormat } from '../mail/file-format.js';
import { parseMessage, type MailAttachment, type ParsedMessage } from '../mail/parse.js';
import type { Limits } from '../rules/schema.js';
import { ExpansionBudget, UnreadableError, mb } from './budget.js';
import { readZip } from './zip.js';

/** One file the sender sent, wherever it was: attached, inside an archive, inside a forward. */
export interface FoundFile {
  filename: string;
  /** The chain of containers and the file, e.g. "转发：材料.eml / 材料.zip / 报名表.xlsx". */
  containerPath: string;
  contentType: string;
  format: FileFormat;
  content?: Buffer;
  error?: UnreadableError;
}

export interface ExpandedMessage {
  files: FoundFile[];
  /** Messages forwarded inside this one, outermost first. */
  forwarded: ParsedMessage[];
}

const SEP = ' / ';

/**
 * Opens every container a message carries (forwarded messages and archives, nested) and lists
 * the files inside, each with its decoded name and where it was found. Any container that
 * cannot be opened becomes one unreadable file with a named reason; nothing here throws for bad
 * input.
 */
export async function expandMessage(msg: ParsedMessage, limits: Limits): Promise<ExpandedMessage> {
  const out: ExpandedMessage = { files: [], forwarded: [] };
  const budget = new ExpansionBudget(limits);
  await expandAttachments(msg.attachments, '', 0, budget, out);
  return out;
}

async function expandAttachments(attachments: MailAttachment[], prefix: string, depth: number, budget: ExpansionBudget, out: ExpandedMessage): Promise<void> {
  for (const a of attachments) {
    // Inline images are logos and signature pictures, not submissions.
    if (a.inline && a.contentType.startsWith('image/')) continue;
    if (a.content.length > budget.limits.max_attachment_bytes) {
      out.files.push(unreadable(a.filename, prefix, a.contentType, 'unknown', new UnreadableError('too-large', `文件过大（${mb(a.content.length)}，上限 ${mb(budget.limits.max_attachment_bytes)}）`)));
      continue;
    }
    await expandFile(a.filename, a.contentType, a.content, prefix, depth, budget, out);
  }
}

async function expandFile(filename: string, contentType: string, content: Buffer, prefix: string, depth: number, budget: ExpansionBudget, out: ExpandedMessage): Promise<void> {
  const format = detectFormat(filename, content, contentType);
  const path = prefix + filename;
  if ((format === 'eml' || format === 'zip') && depth >= budget.limits.max_depth) {
    out.files.push(unreadable(filename, prefix, contentType, format, new UnreadableError('too-deep', `嵌套层数过多（超过 ${budget.limits.max_depth} 层），未打开`)));
    return;
  }
  if (format === 'eml') {
    let inner: ParsedMessage;
    try {
      inner = await parseMessage(content);
    } catch (err) {
      out.files.push(unreadable(filename, prefix, contentType, format, new UnreadableError('corrupt-message', '转发的邮件无法解析', (err as Error).message)));
      return;
    }
    out.forwarded.push(inner);
    await expandAttachments(inner.attachments, path + SEP, depth + 1, budget, out);
    return;
  }
  if (format === 'zip') {
    let entries;
    try {
      entries = await readZip(content, budget);
    } catch (err) {
      out.files.push(unreadable(filename, prefix, contentType, format, asUnreadable(err)));
      return;
    }
    for (const e of entries) {
      const base = e.name.split('/').pop() ?? e.name;
      const entryPrefix = path + SEP + (e.name.includes('/') ? e.name.slice(0, e.name.lastIndexOf('/') + 1).replace(/\//g, SEP) : '');
      if (e.error || !e.content) out.files.push(unreadable(base, entryPrefix, '', 'unknown', e.error ?? new UnreadableError('corrupt-archive', '无法解压')));
      else await expandFile(base, '', e.content, entryPrefix, depth + 1, budget, out);
    }
    return;
  }
  out.files.push({ filename, containerPath: path, contentType, format, content });
}

function unreadable(filename: string, prefix: string, contentType: string, format: FileFormat, error: UnreadableError): FoundFile {
  return { filename, containerPath: prefix + filename, contentType, format, error };
}

function asUnreadable(err: unknown): UnreadableError {
  return err instanceof UnreadableError ? err : new UnreadableError('corrupt', '文件无法读取', (err as Error).message);
}
