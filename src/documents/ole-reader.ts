import { UnreadableError } from '../containers/budget.js';
import { readWordBinary } from './doc-reader.js';
import { openOle } from './ole.js';
import { LibraryCannotRead, type DocumentContent, type DocumentReader } from './reader.js';
import { readWorkbookWithSheetJS } from './xls-reader.js';

/**
 * Every OLE2 compound file: .doc/.wps go to word-extractor, .xls/.et to SheetJS, and a
 * password-protected .docx/.xlsx (which Office wraps in the same container) is named as such.
 */
export const oleReader: DocumentReader = {
  name: 'ole',
  formats: ['ole'],
  async read(content: Buffer): Promise<DocumentContent> {
    const ole = openOle(content);
    switch (ole.kind) {
      case 'encrypted-ooxml':
        throw new UnreadableError('encrypted', '文件设置了打开密码（已加密），无法读取，请取消密码后重新发送');
      case 'word':
        return { ...(await readWordBinary(content, ole)), via: 'word-extractor' };
      case 'workbook':
        return { ...readWorkbookWithSheetJS(content), via: 'sheetjs' };
      case 'powerpoint':
        throw new UnreadableError('unsupported', '暂不支持读取 PowerPoint 文件，请另存为 .docx 或 PDF 后重新发送');
      case 'outlook-msg':
        throw new UnreadableError('unsupported', '暂不支持读取 Outlook 邮件文件（.msg），请直接转发原邮件或发送其中的附件');
      default:
        throw new LibraryCannotRead('unsupported', '暂不支持读取此格式（Office 97-2003 / WPS 文件中没有可识别的文档），请另存为 .docx 或 .xlsx 后重新发送', `streams: ${ole.streams.join(', ').slice(0, 200)}`);
    }
  },
};
