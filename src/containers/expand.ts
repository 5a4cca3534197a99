import { detectFormat, type FileFormat } from '../mail/file-format.js';
import { parseMessage, type MailAttachment, type ParsedMessage } from '../mail/parse.js';
import type { Limits } from '../rules/schema.js';
import { ExpansionBudget, UnreadableError, asUnreadable, tooLarge } from './budget.js';
import { readSevenZip } from './sevenzip.js';
import { readTnef } from './tnef.js';
import { readZip, type ArchiveEntry } from './zip.js';

/** One file the sender sent, wherever it was: attached, inside an archive, inside a forward. */
export interface FoundFile {
  filename: string;
  /** The chain of containers and the file, e.g. "转发：材料.eml / 材料.zip / 报名表.xlsx". */
  containerPath: string;
  contentType: string;
  format: FileFormat;
  /** Bytes of the file as sent (counted while streaming, also when they were not kept). */
  size?: number;
  content?: Buffer;
  /** The charset an attached part declared, if it was a mail attachment with one (text files). */
  charset?: string;
  error?: UnreadableError;
}

export interface ExpandedMessage {
  files: FoundFile[];
  /** Messages forwarded inside this one, outermost first. */
  forwarded: ParsedMessage[];
}

export const PATH_SEPARATOR = ' / ';

/** Formats that hold other files; everything else is a document for the readers. */
const CONTAINERS = new Set<FileFormat>(['eml', 'zip', 'rar', '7z', 'tar', 'gzip', 'tnef']);

/**
 * Opens every container a message carries (forwarded messages, zip/rar/7z/tar/gzip archives and
 * winmail.dat, nested) and lists the files inside, each with its decoded name and where it was
 * found. All containers of one message share one budget (see ExpansionBudget), so nesting
 * cannot multiply the limits. Any container or file that cannot be opened becomes one
 * unreadable file with a named reason; nothing here throws for bad input.
 */
export async function expandMessage(msg: ParsedMessage, limits: Limits): Promise<ExpandedMessage> {
  const out: ExpandedMessage = { files: [], forwarded: [] };
  const budget = new ExpansionBudget(limits);
  await expandAttachments(msg.attachments, '', 1, budget, out);
  return out;
}

async function expandAttachments(attachments: MailAttachment[], prefix: string, depth: number, budget: ExpansionBudget, out: ExpandedMessage): Promise<void> {
  for (const a of attachments) {
    // Inline images are logos and signature pictures, not submissions.
    if (a.inline && a.contentType.startsWith('image/')) continue;
    const size = a.size ?? a.content.length;
    try {
      budget.countFile();
    } catch (err) {
      out.files.push(unreadable(a.filename, prefix, a.contentType, 'unknown', size, asUnreadable(err)));
      return;
    }
    if (a.oversize || size > budget.limits.max_attachment_bytes) {
      out.files.push(unreadable(a.filename, prefix, a.contentType, 'unknown', size, tooLarge(size, budget.limits.max_attachment_bytes)));
      continue;
    }
    await expandFile(a.filename, a.contentType, a.content, prefix, depth, budget, out, a.charset);
  }
}

async function expandFile(filename: string, contentType: string, content: Buffer, prefix: string, depth: number, budget: ExpansionBudget, out: ExpandedMessage, charset?: string): Promise<void> {
  const format = detectFormat(filename, content, contentType);
  const path = prefix + filename;
  if (!CONTAINERS.has(format) || content.length === 0) {
    out.files.push({ filename, containerPath: path, contentType, format, size: content.length, content, ...(charset ? { charset } : {}) });
    return;
  }
  if (depth > budget.limits.max_depth) {
    out.files.push(unreadable(filename, prefix, contentType, format, content.length, new UnreadableError('too-deep', `嵌套层数过多（超过 ${budget.limits.max_depth} 层），未打开`)));
    return;
  }
  if (format === 'eml') {
    let inner: ParsedMessage;
    try {
      inner = await parseMessage(content, { maxAttachmentBytes: budget.limits.max_attachment_bytes });
    } catch (err) {
      out.files.push(unreadable(filename, prefix, contentType, format, content.length, new UnreadableError('corrupt-message', '转发的邮件无法解析', (err as Error).message)));
      return;
    }
    out.forwarded.push(inner);
    await expandAttachments(inner.attachments, path + PATH_SEPARATOR, depth + 1, budget, out);
    return;
  }
  let entries: ArchiveEntry[];
  try {
    if (format === 'zip') entries = await readZip(content, budget);
    else if (format === 'tnef') entries = readTnef(content, budget);
    else entries = await readSevenZip(content, format as 'rar' | '7z' | 'tar' | 'gzip', budget, filename);
  } catch (err) {
    out.files.push(unreadable(filename, prefix, contentType, format, content.length, asUnreadable(err, 'corrupt-archive', '压缩包已损坏，无法打开')));
    return;
  }
  for (const e of entries) {
    const slash = e.name.lastIndexOf('/');
    const base = slash >= 0 ? e.name.slice(slash + 1) : e.name;
    const entryPrefix = path + PATH_SEPARATOR + (slash >= 0 ? e.name.slice(0, slash).split('/').join(PATH_SEPARATOR) + PATH_SEPARATOR : '');
    if (e.name === '' && e.error) {
      // An error about the archive itself (its budget ran out part way): recorded on the archive.
      out.files.push(unreadable(filename, prefix, contentType, format, content.length, e.error));
    } else if (e.error || !e.content) {
      out.files.push(unreadable(base, entryPrefix, '', 'unknown', e.content?.length ?? 0, e.error ?? new UnreadableError('corrupt-archive', '无法解压')));
    } else {
      await expandFile(base, '', e.content, entryPrefix, depth + 1, budget, out);
    }
  }
}

function unreadable(filename: string, prefix: string, contentType: string, format: FileFormat, size: number, error: UnreadableError): FoundFile {
  return { filename, containerPath: prefix + filename, contentType, format, size, error };
}
