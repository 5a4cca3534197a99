import { UnreadableError } from '../containers/budget.js';
import { extensionOf, type FileFormat } from '../mail/file-format.js';
export { readDocument } from './read-document.js';
import { docxReader } from './docx-reader.js';
import { LibreOfficeConverter, type OfficeConverter } from './libreoffice.js';
import { openOle } from './ole.js';
import { oleReader } from './ole-reader.js';
import { pdfReader } from './pdf-reader.js';
import { LibraryCannotRead, type DocumentContent, type DocumentReader } from './reader.js';
import { textReader } from './text-reader.js';
import { xlsxReader } from './xlsx-reader.js';

const LIBRARY_READERS: readonly DocumentReader[] = [xlsxReader, docxReader, oleReader, pdfReader, textReader];


/**
 * The readers, each backed by LibreOffice where its library gives up on a file that may well be
 * fine (Word 95, a workbook quirk), and LibreOffice alone for RTF. Without LibreOffice, those
 * files get the library's reason, and the detail says LibreOffice was not there to try.
 */
export function documentReaders(converter: OfficeConverter): DocumentReader[] {
  return [...LIBRARY_READERS.map((r) => withFallback(r, converter)), rtfReader(converter)];
}

/** The readers in this process, with LibreOffice as SOFFICE says (unset: found on PATH). */
export function inProcessReaders(soffice = process.env.SOFFICE): DocumentReader[] {
  return documentReaders(LibreOfficeConverter.fromSetting(soffice));
}

/** What LibreOffice should turn a file into: a word-processing file into .docx, a sheet into .xlsx. */
function targetOf(format: FileFormat, content: Buffer, filename: string): { ext: string; to: 'docx' | 'xlsx' } {
  const ext = extensionOf(filename);
  if (format === 'ole') {
    const kind = (() => {
      try {
        return openOle(content).kind;
      } catch {
        return 'other';
      }
    })();
    if (kind === 'workbook') return { ext: ext === 'et' ? 'et' : 'xls', to: 'xlsx' };
    if (kind === 'word') return { ext: ext === 'wps' ? 'wps' : 'doc', to: 'docx' };
  }
  if (format === 'xlsx') return { ext: ext || 'xlsx', to: 'xlsx' };
  if (['xls', 'et', 'ods', 'csv', 'xlsb'].includes(ext)) return { ext, to: 'xlsx' };
  return { ext: ext || (format === 'rtf' ? 'rtf' : 'doc'), to: 'docx' };
}

async function convertAndRead(converter: OfficeConverter, format: FileFormat, content: Buffer, filename: string): Promise<DocumentContent> {
  const { ext, to } = targetOf(format, content, filename);
  const converted = await converter.convert(content, ext, to);
  const reader = to === 'xlsx' ? xlsxReader : docxReader;
  const read = await reader.read(converted, `converted.${to}`);
  return { ...read, via: `libreoffice → ${read.via ?? reader.name}` };
}

function withFallback(reader: DocumentReader, converter: OfficeConverter): DocumentReader {
  return {
    name: reader.name,
    formats: reader.formats,
    async read(content, filename, format, hints) {
      try {
        const read = await reader.read(content, filename, format, hints);
        return { ...read, via: read.via ?? reader.name };
      } catch (err) {
        if (!(err instanceof LibraryCannotRead)) throw err;
        if (!converter.path) throw new UnreadableError(err.code, err.message, `${err.detail ? `${err.detail}; ` : ''}no fallback: ${converter.unavailableReason}`);
        try {
          return await convertAndRead(converter, reader.formats[0]!, content, filename);
        } catch (second) {
          // LibreOffice could not open it either: the library's reason stands, with both details.
          if (second instanceof UnreadableError && (second.code === 'scan' || second.code === 'encrypted')) throw second;
          throw new UnreadableError(err.code, err.message, `${err.detail ? `${err.detail}; ` : ''}LibreOffice fallback: ${(second as Error).message}`);
        }
      }
    },
  };
}

/** RTF: no maintained JavaScript reader; LibreOffice reads it well. */
function rtfReader(converter: OfficeConverter): DocumentReader {
  return {
    name: 'libreoffice',
    formats: ['rtf'],
    async read(content, filename) {
      if (!converter.path) throw new UnreadableError('unsupported', '暂不支持读取 RTF 文件，请另存为 .docx 后重新发送', `no reader: ${converter.unavailableReason}`);
      try {
        return await convertAndRead(converter, 'rtf', content, filename);
      } catch (err) {
        if (err instanceof UnreadableError) throw err;
        throw new UnreadableError('corrupt', 'RTF 文件无法读取，请另存为 .docx 后重新发送', (err as Error).message);
      }
    },
  };
}

