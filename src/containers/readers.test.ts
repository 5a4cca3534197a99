import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../mail/file-format.js';
import { DocumentsFileSchema } from '../rules/schema.js';
import { sharedPath } from '../testing/app.js';
import { rar5Archive, rarArchive, tnefFile } from '../testing/archives.js';
import { planDocx, registrationXlsx, zipArchive } from '../testing/documents.js';
import { sevenZipArchive } from '../testing/sevenzip-writer.js';
import { ExpansionBudget } from './budget.js';
import { normaliseRar4Names, readSevenZip } from './sevenzip.js';
import { parseTnef, readTnef } from './tnef.js';
import { readZip } from './zip.js';

const limits = DocumentsFileSchema.parse({ kinds: { registration: { label: 'a' }, plan: { label: 'b' } }, form_fields: { unit: ['单位'], contact: ['联系人'], phone: ['电话'] } }).limits;
const budget = (over: Partial<typeof limits> = {}) => new ExpansionBudget({ ...limits, ...over });

describe('format from the bytes, not the name', () => {
  it('tells documents, archives and messages apart whatever they are called', async () => {
    const docx = await planDocx({ unit: '某单位' });
    expect(detectFormat('附件1', docx, 'application/octet-stream')).toBe('docx');
    expect(detectFormat('方案.xls', docx)).toBe('docx');
    expect(detectFormat('a.zip', zipArchive([{ name: 'x.txt', content: Buffer.from('x') }]))).toBe('zip');
    expect(detectFormat('a.dat', tnefFile([]))).toBe('tnef');
    expect(detectFormat('winmail.dat', Buffer.from('xx'), 'application/ms-tnef')).toBe('tnef');
    expect(detectFormat('a', rarArchive([]))).toBe('rar');
    expect(detectFormat('原邮件', Buffer.from('Received: from x\r\nFrom: a@b.c\r\nSubject: s\r\n\r\nbody'), 'application/octet-stream')).toBe('eml');
    expect(detectFormat('方案.doc', Buffer.from('<html><body>网页格式的文档</body></html>'))).toBe('html');
    expect(detectFormat('方案.doc', Buffer.from('MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n\r\n--x'))).toBe('html');
    expect(detectFormat('说明', Buffer.from('纯文本的说明'))).toBe('text');
    expect(detectFormat('x.bin', Buffer.from([0, 1, 2, 3, 0, 0]))).toBe('unknown');
  });

  it('a Word file with an Excel table embedded is Word: the central directory lists the package\'s own parts', async () => {
    const xlsx = await registrationXlsx({ rows: [{ unit: '浔阳区总工会', project: '职业技能竞赛', participants: '20', contact: '张敏', phone: '13907920001' }] });
    const docxWithSheet = zipArchive(
      [
        { name: '[Content_Types].xml', content: Buffer.from('<Types/>') },
        { name: 'word/embeddings/Microsoft_Excel_Worksheet.xlsx', content: xlsx },
        { name: 'word/document.xml', content: Buffer.from('<w:document/>') },
      ],
      { store: true },
    );
    // The embedded workbook's own part names are in the bytes, before the document's.
    expect(docxWithSheet.indexOf('xl/workbook', 0, 'latin1')).toBeGreaterThan(0);
    expect(detectFormat('方案.docx', docxWithSheet)).toBe('docx');
    // Truncated (no central directory): the part names in the bytes still say it is Office.
    expect(detectFormat('报名表.xlsx', xlsx.subarray(0, xlsx.length - 30))).toBe('xlsx');
  });
});

describe('zip', () => {
  it('decodes GBK names without the UTF-8 flag, and UTF-8 names with it', async () => {
    const gbk = await readZip(zipArchive([{ name: '材料/参赛报名表.xlsx', content: Buffer.from('x') }]), budget());
    const utf8 = await readZip(zipArchive([{ name: '材料/参赛报名表.xlsx', content: Buffer.from('x') }], { utf8: true }), budget());
    expect(gbk.map((e) => e.name)).toEqual(['材料/参赛报名表.xlsx']);
    expect(utf8.map((e) => e.name)).toEqual(['材料/参赛报名表.xlsx']);
  });

  it('counts files across archives of one message', async () => {
    const b = budget({ max_files: 3 });
    const zip = zipArchive([1, 2, 3, 4, 5].map((i) => ({ name: `${i}.txt`, content: Buffer.from('x') })));
    const entries = await readZip(zip, b);
    expect(entries.filter((e) => e.content)).toHaveLength(3);
    expect(entries.at(-1)?.error?.code).toBe('too-many-files');
  });
});

describe('RAR, 7z, tar and gzip through 7-Zip', () => {
  it('reads RAR 4 with GBK names (WinRAR on Chinese Windows) and with Unicode names', async () => {
    const files = [{ name: '材料\\报名表.xlsx', content: Buffer.from('报名表') }];
    for (const gbk of [true, false]) {
      const out = await readSevenZip(rarArchive(files, { gbk }), 'rar', budget(), 'a.rar');
      expect(out.map((e) => [e.name, e.content?.toString()])).toEqual([['材料/报名表.xlsx', '报名表']]);
    }
    expect(normaliseRar4Names(rarArchive(files), (b) => b.toString())).toEqual(rarArchive(files));
  });

  it('reads RAR 5 (WinRAR 5 and later)', async () => {
    const out = await readSevenZip(rar5Archive([{ name: '材料/实施方案.docx', content: Buffer.from('方案内容') }, { name: 'readme.txt', content: Buffer.from('hi') }]), 'rar', budget(), 'a.rar');
    expect(out.map((e) => [e.name, e.content?.toString()]).sort()).toEqual([
      ['readme.txt', 'hi'],
      ['材料/实施方案.docx', '方案内容'],
    ]);
  });

  it('reads 7z and tar.gz, and names an encrypted 7z', async () => {
    const sz = await readSevenZip(await sevenZipArchive([{ name: '目录/方案.txt', content: Buffer.from('方案') }], '7z'), '7z', budget(), 'a.7z');
    expect(sz.map((e) => [e.name, e.content?.toString()])).toEqual([['目录/方案.txt', '方案']]);
    const tgz = await readSevenZip(await sevenZipArchive([{ name: '说明.txt', content: Buffer.from('说明') }], 'tar.gz', undefined, '材料.tar'), 'gzip', budget(), '材料.tar.gz');
    expect(tgz.map((e) => e.name)).toEqual(['材料.tar']);
    await expect(readSevenZip(await sevenZipArchive([{ name: 'a.txt', content: Buffer.from('a') }], '7z', 'secret'), '7z', budget(), 'a.7z')).rejects.toMatchObject({ code: 'encrypted' });
  });

  it('stops extraction at the limits while 7-Zip writes, even when the archive lies about nothing', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x41);
    const sz = await sevenZipArchive([{ name: 'big.txt', content: big }, { name: 'small.txt', content: Buffer.from('small') }], '7z');
    const out = await readSevenZip(sz, '7z', budget({ max_attachment_bytes: 1024 * 1024, max_compression_ratio: 1e9 }), 'a.7z');
    expect(out.map((e) => [e.name, e.error?.code ?? e.content?.length])).toEqual([
      ['big.txt', 'too-large'],
      ['small.txt', 5],
    ]);
  });
});

describe('winmail.dat (TNEF)', () => {
  it('reads GBK titles and Unicode long names', () => {
    const out = readTnef(tnefFile([{ name: '参赛报名表.xlsx', content: Buffer.from('x') }]), budget());
    expect(out.map((e) => [e.name, e.content?.toString()])).toEqual([['参赛报名表.xlsx', 'x']]);
    const short = readTnef(tnefFile([{ name: '参赛报名表.xlsx', content: Buffer.from('x') }], { longNames: false }), budget());
    expect(short.map((e) => e.name)).toEqual(['参赛报名表.xlsx']);
  });

  it('finds the attachments MimeKit finds in its TNEF samples', () => {
    const dir = sharedPath('corpora', 'mail', 'mimekit', 'UnitTests', 'TestData', 'tnef');
    const checked: string[] = [];
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.tnef'))) {
      const expected = readFileSync(join(dir, f.replace(/\.tnef$/, '.list')), 'utf8')
        .split(/\r?\n/)
        .filter((l) => l && !/^body\.(rtf|html)$/.test(l) && l !== 'Untitled Attachment');
      const got = parseTnef(readFileSync(join(dir, f))).map((a) => a.longName || a.shortName || a.title || '');
      for (const name of expected) expect(got, f).toContain(name);
      checked.push(f);
    }
    expect(checked.length).toBeGreaterThanOrEqual(19);
  });

  it('reads a truncated stream up to where it ends', () => {
    const tnef = tnefFile([{ name: 'a.txt', content: Buffer.from('aaaa') }, { name: 'b.txt', content: Buffer.from('bbbb') }]);
    expect(parseTnef(tnef.subarray(0, tnef.length - 60)).length).toBeLessThan(2);
    expect(() => parseTnef(Buffer.from('not tnef'))).toThrow();
  });
});
