import { UnreadableError } from '../containers/budget.js';
import { extensionOf, formatByName, type FileFormat } from '../mail/file-format.js';
import { scanError, type DocumentContent, type DocumentReader, type ReadHints } from './reader.js';

const FORMAT_NAMES: Partial<Record<FileFormat, string>> = {
  ole: 'Office 97-2003 / WPS',
  pdf: 'PDF',
  rtf: 'RTF',
  rar: 'RAR 压缩包',
  '7z': '7z 压缩包',
  gzip: 'gzip 压缩包',
  image: '图片',
  pptx: 'PowerPoint',
};

/** Picks the reader for a file's real format; formats nobody reads get a reason, not a guess. */
export async function readDocument(readers: readonly DocumentReader[], format: FileFormat, content: Buffer, filename: string, hints?: ReadHints): Promise<DocumentContent> {
  if (content.length === 0) throw new UnreadableError('empty', '文件为空（0 字节）');
  const reader = readers.find((r) => r.formats.includes(format));
  // Bytes that are no known format under a document's name: a damaged or half-sent file, or
  // something renamed, not an unsupported format.
  const claimed = formatByName(filename);
  if (!reader && format === 'unknown' && readers.some((r) => r.formats.includes(claimed))) {
    throw new UnreadableError('corrupt', `文件已损坏，或并非 .${extensionOf(filename)} 格式，无法读取`);
  }
  if (!reader) {
    if (format === 'image') throw scanError('图片文件');
    const ext = extensionOf(filename);
    const what = FORMAT_NAMES[format] ?? (ext ? `.${ext}` : '未知格式');
    throw new UnreadableError('unsupported', `暂不支持读取此格式（${what}），请另存为 .docx 或 .xlsx 后重新发送`);
  }
  try {
    return await reader.read(content, filename, format, hints);
  } catch (err) {
    // V8's own limits (a string or array past its maximum length, a stack overflow) are what a
    // decompression bomb inside a document looks like, e.g. POI's shared-strings proof of concept.
    if (err instanceof RangeError) throw new UnreadableError('too-complex', TOO_COMPLEX, `${err.name}: ${err.message}`);
    throw err;
  }
}

export const TOO_COMPLEX = '文件过于复杂，读取时超出内存限制，请另存或精简后重新发送';
