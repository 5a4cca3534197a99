import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Document, Packer, Paragraph, Table, TableCell, TableRow } from 'docx';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFiles } from '../classify/classify-files.js';
import { detectFormat } from '../mail/file-format.js';
import { loadRules } from '../rules/index.js';
import { REPO } from '../testing/app.js';
import { deeplyNestedDocx, nestedFormDocx, planDocx, registrationXlsx, zipArchive } from '../testing/documents.js';
import { IsolatedReader } from './isolated-reader.js';
import { findSoffice, LibreOfficeConverter } from './libreoffice.js';
import { readFiles } from './read-files.js';
import type { DocumentReader } from './reader.js';
import { documentReaders, readDocument } from './registry.js';
import { decodeText, parseDelimited } from './text-reader.js';
import iconv from 'iconv-lite';

const rules = loadRules(join(REPO, 'rules'));
const FIXTURES = join(REPO, 'fixtures', 'documents');
const withoutLibreOffice = documentReaders(new LibreOfficeConverter(null, { unavailableReason: 'LibreOffice (soffice) is not installed' }));

async function classify(name: string, readers: readonly DocumentReader[] = withoutLibreOffice) {
  const content = readFileSync(join(FIXTURES, name));
  const [read] = await readFiles([{ filename: name, containerPath: name, contentType: '', format: detectFormat(name, content), content }], readers);
  return classifyFiles([read!], rules.documents)[0]!;
}

const LIANXI = [
  { unit: '濂溪区总工会', project: '第二届全市产业工人职业技能竞赛（焊工）', participants: '36', contact: '王丽', phone: '0792-8561234' },
  { unit: '濂溪区总工会', project: '“安康杯”安全知识竞赛', participants: '120', contact: '王丽', phone: '13907921234', notes: '含3个企业' },
];

/** The same package with some parts rewritten: how a hostile file is made from a good one. */
async function rewrite(zip: Buffer, edit: (name: string, text: string) => string, extra: Array<{ name: string; content: Buffer }> = []): Promise<Buffer> {
  const entries: Array<{ name: string; content: Buffer }> = [];
  const zf = await new Promise<yauzl.ZipFile>((res, rej) => yauzl.fromBuffer(zip, { lazyEntries: true }, (e, z) => (e ? rej(e) : res(z))));
  await new Promise<void>((resolve, reject) => {
    zf.on('entry', (entry: yauzl.Entry) =>
      zf.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const content = Buffer.concat(chunks);
          entries.push({ name: entry.fileName, content: /\.(xml|rels)$/.test(entry.fileName) ? Buffer.from(edit(entry.fileName, content.toString('utf8')), 'utf8') : content });
          zf.readEntry();
        });
      }),
    );
    zf.on('end', resolve);
    zf.readEntry();
  });
  return zipArchive([...entries, ...extra], { utf8: true });
}

describe('every format units send, read and classified', () => {
  it.each([
    ['form-merged-title.xlsx', 'exceljs'],
    ['form-instructions-first.xlsx', 'exceljs'],
    ['form-instructions-first.xls', 'sheetjs'],
    ['form-wps.et', 'sheetjs'],
    ['form.pdf', 'pdfjs'],
  ])('%s: a registration form, its rows read below the merged title (%s)', async (name, reader) => {
    const f = await classify(name);
    expect(f.readable).toBe(true);
    expect(f.content?.via).toBe(reader);
    expect(f.classification.kinds).toEqual(['registration']);
    expect(f.form?.rows).toEqual(LIANXI);
    expect(f.form).toMatchObject({ unit: '濂溪区总工会', unitSource: 'label', problems: [] });
    // "联 系 人" and "联系\n电话" are the contact and phone columns.
    expect(f.form?.headers.contact?.replace(/\s/g, '')).toBe('联系人');
  });

  it('reads the sheet after an instructions sheet, and names both sheets', async () => {
    const f = await classify('form-instructions-first.xlsx');
    expect(f.content?.sheets).toEqual(['填表说明', '报名表']);
    expect(f.form?.table).toBe(1);
  });

  it.each([
    ['form-word-table.docx', 'mammoth'],
    ['form-word-table.doc', 'word-extractor'],
  ])('%s: a Word table with a merged unit cell and a two-line header (%s)', async (name, reader) => {
    const f = await classify(name);
    expect(f.content?.via).toBe(reader);
    expect(f.classification.kinds).toEqual(['registration']);
    expect(f.form?.unit).toBe('共青城市总工会');
    // word-extractor turns curly quotes into straight ones.
    expect(f.form?.rows.map((r) => [r.unit, r.project?.replace(/[“”]/g, '"'), r.participants, r.contact, r.phone])).toEqual([
      ['共青城市总工会', '纺织服装职业技能竞赛', '50', '刘芳', '0792-4361234'],
      ['共青城市总工会', '"五小"创新成果评选', '20', '刘芳', '139 0792 5678'],
    ]);
    expect(f.form?.problems).toEqual([]);
  });

  it.each([
    ['plan.docx', 'mammoth'],
    ['plan.doc', 'word-extractor'],
    ['plan-wps.wps', 'word-extractor'],
    ['plan.pdf', 'pdfjs'],
    ['plan-gb18030.txt', 'text (gb18030)'],
  ])('%s: an implementation plan (%s)', async (name, reader) => {
    const f = await classify(name);
    expect(f.content?.via).toBe(reader);
    expect(f.classification.kinds).toEqual(['plan']);
    expect(f.form).toBeNull();
    expect(f.content?.text).toMatch(/实施方案/);
  });

  it('a plan with the form in it is both, with the form rows', async () => {
    const f = await classify('plan-with-form.docx');
    expect(f.classification.kinds.sort()).toEqual(['plan', 'registration']);
    expect(f.form?.rows).toEqual([{ unit: '彭泽县总工会', project: '核电建设劳动竞赛', participants: '200', contact: '赵强', phone: '0792-5621234' }]);
  });

  it('a form table inside a layout table: both tables read, and the layout rows after it kept', async () => {
    const rows = [
      { unit: '瑞昌市总工会', project: '铜冶炼职业技能竞赛', participants: '30', contact: '李娜', phone: '0792-4221234' },
      { unit: '瑞昌市总工会', project: '“安康杯”安全知识竞赛', participants: '80', contact: '李娜', phone: '0792-4221234' },
    ];
    const content = await nestedFormDocx({ unit: '瑞昌市总工会', rows, filledBy: '李娜（工会办公室）' });
    const [read] = await readFiles([{ filename: '报名表.docx', containerPath: '报名表.docx', contentType: '', format: 'docx', content }], withoutLibreOffice);
    // The layout table, its nested cell holding the entries' text, then the entries themselves.
    expect(read!.content?.tables).toHaveLength(2);
    expect(read!.content?.tables[0]?.at(-1)).toEqual(['填表人', '李娜（工会办公室）']);
    expect(read!.content?.tables[1]).toEqual([['参赛单位', '竞赛项目', '参赛人数', '联系人', '联系电话'], ...rows.map((r) => [r.unit, r.project, r.participants, r.contact, r.phone])]);
    const f = classifyFiles([read!], rules.documents)[0]!;
    expect(f.classification.kinds).toEqual(['registration']);
    expect(f.form?.rows).toEqual(rows);
  });

  it('tables nested deep inside each other are each read once, their text not copied into every table around them', async () => {
    const depth = 120;
    const content = await deeplyNestedDocx(depth);
    const [read] = await readFiles([{ filename: 'nested.docx', containerPath: 'nested.docx', contentType: '', format: 'docx', content }], withoutLibreOffice);
    const tables = read!.content!.tables;
    expect(tables).toHaveLength(depth);
    expect(tables.at(-1)).toEqual([[`第${depth}层`]]);
    // Each level's label appears in its own table only: linear in the depth, not quadratic.
    const cellChars = tables.flat(2).join('').length;
    expect(cellChars).toBeLessThan(depth * 10);
  });

  it('a merged cell whose span cannot be read counts as one cell, so the row keeps its columns', async () => {
    const cell = (t: string, columnSpan?: number) => new TableCell({ ...(columnSpan ? { columnSpan } : {}), children: [new Paragraph(t)] });
    const table = new Table({ rows: [new TableRow({ children: [cell('参赛单位', 2)] }), new TableRow({ children: [cell('瑞昌市总工会'), cell('铜冶炼职业技能竞赛')] })] });
    const good = Buffer.from(await Packer.toBuffer(new Document({ sections: [{ children: [table] }] })));
    // As a generator that writes a bad w:gridSpan leaves it: mammoth reads it as NaN.
    let spoiled = 0;
    const content = await rewrite(good, (n, t) => (n === 'word/document.xml' ? t.replace(/<w:gridSpan w:val="2"\/>/g, () => (spoiled++, '<w:gridSpan w:val="x"/>')) : t));
    expect(spoiled).toBe(1);
    const [read] = await readFiles([{ filename: 'form.docx', containerPath: 'form.docx', contentType: '', format: 'docx', content }], withoutLibreOffice);
    expect(read!.content?.tables).toEqual([[['参赛单位'], ['瑞昌市总工会', '铜冶炼职业技能竞赛']]]);
  });

  it.each([
    ['form-gbk.csv', 'text (gb18030)', '湖口县总工会'],
    ['form-utf8-bom.csv', 'text (utf-8 (BOM))', '都昌县总工会'],
  ])('%s: CSV as Excel saves it, decoded (%s), quoted fields kept, a 10-digit mobile flagged', async (name, reader, unit) => {
    const f = await classify(name);
    expect(f.content?.via).toBe(reader);
    expect(f.form?.rows).toEqual([
      { unit, project: '船舶制造焊接技能竞赛（含"双百"工程）', participants: '40', contact: '周敏', phone: '0792-6321234' },
      { unit, project: '安全生产知识竞赛', participants: '60', contact: '周敏', phone: '1397921234', notes: '待定' },
    ]);
    expect(f.form?.problems).toEqual([{ code: 'phone-invalid', message: '报名表第 2 行的联系电话格式不正确', row: 2 }]);
  });
});

describe('files that cannot be read get a named reason', () => {
  it.each([
    ['encrypted.xls', 'encrypted'],
    ['encrypted.doc', 'encrypted'],
    ['encrypted.docx', 'encrypted'],
    ['encrypted.pdf', 'encrypted'],
    ['scan-only-image.pdf', 'scan'],
    ['scan-only-image.docx', 'scan'],
    ['truncated.xlsx', 'corrupt'],
    ['truncated.doc', 'corrupt'],
    ['empty.xlsx', 'empty'],
  ])('%s: %s', async (name, code) => {
    const f = await classify(name);
    expect(f.readable).toBe(false);
    expect(f.error?.code).toBe(code);
    if (code === 'scan') expect(f.error?.message).toMatch(/扫描件.*请发送电子版/);
    if (code === 'encrypted') expect(f.error?.message).toMatch(/密码/);
  });

  it('an image attachment is a scan', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    await expect(readDocument(withoutLibreOffice, detectFormat('报名表.png', png), png, '报名表.png')).rejects.toMatchObject({ code: 'scan' });
  });
});

describe('LibreOffice as the fallback reader', () => {
  it('without it, RTF and Word 95 files say LibreOffice is not there', async () => {
    const rtf = await classify('plan.rtf');
    expect(rtf.error).toMatchObject({ code: 'unsupported', detail: expect.stringContaining('LibreOffice (soffice) is not installed') });
    const word95 = readFileSync(join(REPO, '..', 'shared', 'corpora', 'office', 'apache-poi', 'document', 'Word95.doc'));
    await expect(readDocument(withoutLibreOffice, 'ole', word95, 'Word95.doc')).rejects.toMatchObject({ code: 'unsupported', detail: expect.stringMatching(/Word 95|nFib.*no fallback: LibreOffice \(soffice\) is not installed/) });
  });

  it('a missing binary is reported as not found, and SOFFICE=off as switched off', () => {
    expect(findSoffice('/nonexistent/soffice')).toEqual({ path: null, reason: 'LibreOffice not found at SOFFICE=/nonexistent/soffice' });
    expect(findSoffice('off')).toEqual({ path: null, reason: 'LibreOffice is switched off (SOFFICE=off)' });
    expect(findSoffice(undefined, '/nonexistent').path === null || findSoffice(undefined, '/nonexistent').path!.endsWith('soffice')).toBe(true);
  });

  // This machine either has LibreOffice or not; the test takes the branch that matches it and
  // asserts what that branch must do.
  const found = findSoffice(undefined);
  it(`on this machine (${found.path ?? found.reason}): RTF is ${found.path ? 'converted and read' : 'refused with the reason'}`, { timeout: 180_000 }, async () => {
    const readers = documentReaders(LibreOfficeConverter.fromSetting(undefined, { timeoutMs: 120_000 }));
    const f = await classify('plan.rtf', readers);
    if (found.path) {
      expect(f.error).toBeNull();
      expect(f.content?.via).toBe('libreoffice → mammoth');
      expect(f.classification.kinds).toEqual(['plan']);
      expect(f.content?.text).toContain('庐山市总工会关于开展');
    } else {
      expect(f.error?.detail).toContain(found.reason!);
    }
  });

  it(`on this machine: a Word 95 file is ${found.path ? 'read through LibreOffice' : 'refused'}`, { timeout: 180_000 }, async () => {
    const readers = documentReaders(LibreOfficeConverter.fromSetting(undefined, { timeoutMs: 120_000 }));
    const word95 = readFileSync(join(REPO, '..', 'shared', 'corpora', 'office', 'apache-poi', 'document', 'Word95.doc'));
    const read = readDocument(readers, 'ole', word95, 'Word95.doc');
    if (found.path) await expect(read).resolves.toMatchObject({ via: 'libreoffice → mammoth', text: expect.stringMatching(/\w{3,}/) });
    else await expect(read).rejects.toMatchObject({ code: 'unsupported' });
  });
});

describe('nothing external is ever resolved', () => {
  let server: Server;
  let hits: string[] = [];
  let port = 0;
  const secretDir = mkdtempSync(join(tmpdir(), 'intake-xxe-'));
  const secret = join(secretDir, 'secret.txt');
  writeFileSync(secret, 'TOP-SECRET-CONTENT-42');

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('FETCHED-CONTENT-17');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));


  const doctype = () => `<!DOCTYPE x [<!ENTITY web SYSTEM "http://127.0.0.1:${port}/xxe"><!ENTITY file SYSTEM "file://${secret}"><!ENTITY % remote SYSTEM "http://127.0.0.1:${port}/dtd"> %remote;]>`;
  const withDoctype = (text: string) => text.replace(/^(<\?xml[^>]*\?>)?/, (m) => `${m}${doctype()}`);

  it.each([
    ['docx', async () => rewrite(await planDocx({ unit: '武宁县总工会' }), (n, t) => (n === 'word/document.xml' ? withDoctype(t).replace('一、指导思想', '一、指导思想&web;&file;') : n === 'word/_rels/document.xml.rels' ? t.replace('</Relationships>', `<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="http://127.0.0.1:${port}/img.png" TargetMode="External"/><Relationship Id="rIdY" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/subDocument" Target="file://${secret}" TargetMode="External"/></Relationships>`) : t))],
    ['xlsx', async () => rewrite(await registrationXlsx({ rows: [{ unit: '武宁县总工会', project: '职业技能竞赛', participants: '20', contact: '李华', phone: '13907920000' }] }), (n, t) => (n === 'xl/sharedStrings.xml' || n.startsWith('xl/worksheets/sheet') ? withDoctype(t) : n === 'xl/_rels/workbook.xml.rels' ? t.replace('</Relationships>', `<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>`) : t), [
      { name: 'xl/externalLinks/externalLink1.xml', content: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><externalBook r:id="rId1"/></externalLink>`) },
      { name: 'xl/externalLinks/_rels/externalLink1.xml.rels', content: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" Target="http://127.0.0.1:${port}/book.xlsx" TargetMode="External"/></Relationships>`) },
    ])],
  ])('%s with an XXE DOCTYPE and external links: no fetch, no file read, readable or a named error', async (ext, make) => {
    hits = [];
    const file = await make();
    const name = `hostile.${ext}`;
    const [read] = await readFiles([{ filename: name, containerPath: name, contentType: '', format: detectFormat(name, file), content: file }], withoutLibreOffice);
    const f = classifyFiles([read!], rules.documents)[0]!;
    if (f.readable) expect(f.content?.text).not.toMatch(/TOP-SECRET|FETCHED-CONTENT/);
    else expect(f.error?.code).toBe('corrupt');
    const all = JSON.stringify(f);
    expect(all).not.toContain('TOP-SECRET-CONTENT-42');
    expect(all).not.toContain('FETCHED-CONTENT-17');
    // Through LibreOffice too, where it is installed: it must not follow the links either.
    if (found.path) {
      await new LibreOfficeConverter(found.path, { timeoutMs: 120_000 }).convert(file, ext, ext === 'docx' ? 'docx' : 'xlsx').catch(() => null);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(hits).toEqual([]);
  }, 180_000);
  const found = findSoffice(undefined);
});

describe('text files', () => {
  it('decodes UTF-8 with and without BOM, UTF-16 and GB18030', () => {
    const s = '参赛单位,联系人\n浔阳区总工会,张敏\n';
    expect(decodeText(Buffer.from(s, 'utf8'))).toEqual({ text: s, encoding: 'utf-8' });
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)]))).toEqual({ text: s, encoding: 'utf-8 (BOM)' });
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]))).toEqual({ text: s, encoding: 'utf-16le' });
    // Without a BOM, UTF-16 shows itself by the zero bytes of its ASCII characters.
    const mixed = 'No,Unit,Contact,Phone\n1,浔阳区总工会,张敏,13907920001\n';
    expect(decodeText(Buffer.from(mixed, 'utf16le'))).toEqual({ text: mixed, encoding: 'utf-16le' });
    expect(decodeText(Buffer.from('c4bfb1ea', 'hex'))).toEqual({ text: '目标', encoding: 'gb18030' });
  });

  it('believes the charset a mail part declared where the bytes bear it out', () => {
    const big5 = iconv.encode('報名表', 'big5');
    expect(decodeText(big5).text).not.toBe('報名表');
    expect(decodeText(big5, 'big5')).toEqual({ text: '報名表', encoding: 'big5 (declared)' });
    // Two traditional characters in GBK are too few to guess from; the label settles it.
    expect(decodeText(iconv.encode('單位', 'gbk'), 'GB2312')).toEqual({ text: '單位', encoding: 'gb18030 (declared)' });
    // GBK bytes labelled UTF-8: the label is wrong, the bytes decide.
    expect(decodeText(iconv.encode('实施方案', 'gbk'), 'utf-8')).toEqual({ text: '实施方案', encoding: 'gb18030' });
    // A BOM outranks any label; ASCII is ASCII.
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('方案')]), 'gbk')).toEqual({ text: '方案', encoding: 'utf-8 (BOM)' });
    expect(decodeText(Buffer.from('plan'), 'big5')).toEqual({ text: 'plan', encoding: 'ascii' });
  });

  it('parses quoted CSV fields with commas, quotes and line breaks', () => {
    expect(parseDelimited('a,"b,c","d ""e""",\r\n"多\n行",x\r\n', ',')).toEqual([['a', 'b,c', 'd "e"'], ['多 行', 'x']]);
  });

  it('keeps prose in a .txt as written: fullwidth commas split only a .csv', async () => {
    const prose = '关于开展劳动竞赛的实施方案\n一、指导思想，以习近平新时代中国特色社会主义思想为指导，围绕中心，服务大局。\n二、组织领导，成立竞赛领导小组。\n';
    const txt = await readDocument(withoutLibreOffice, 'text', Buffer.from(prose), '方案.txt');
    expect(txt.text).toBe(prose.trim());
    expect(txt.tables).toEqual([]);
    const csv = await readDocument(withoutLibreOffice, 'text', Buffer.from('单位，联系人，电话\n浔阳区总工会，张敏，13907920001\n'), '报名表.csv');
    expect(csv.tables).toEqual([[['单位', '联系人', '电话'], ['浔阳区总工会', '张敏', '13907920001']]]);
    // Tab-separated text (Excel's "Unicode text") is a table whatever its name.
    const tabbed = await readDocument(withoutLibreOffice, 'text', Buffer.from('单位\t联系人\n浔阳区总工会\t张敏\n'), '报名表.txt');
    expect(tabbed.tables).toEqual([[['单位', '联系人'], ['浔阳区总工会', '张敏']]]);
  });

  it('bytes of no known format under a document\'s name are a damaged file, not an unsupported format', async () => {
    const noise = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251));
    await expect(readDocument(withoutLibreOffice, 'unknown', noise, '实施方案.pdf')).rejects.toMatchObject({ code: 'corrupt', message: '文件已损坏，或并非 .pdf 格式，无法读取' });
    await expect(readDocument(withoutLibreOffice, 'unknown', noise, '数据.bin')).rejects.toMatchObject({ code: 'unsupported' });
  });

  it('a reader that hits a V8 limit (a string too long to build) is a named "too-complex" error', async () => {
    const bomb: DocumentReader = {
      name: 'bomb',
      formats: ['xlsx'],
      read: async () => {
        throw new RangeError('Invalid string length');
      },
    };
    await expect(readDocument([bomb], 'xlsx', Buffer.from('PK'), 'a.xlsx')).rejects.toMatchObject({ code: 'too-complex', detail: 'RangeError: Invalid string length' });
  });
});

describe('reading in a child process', () => {
  it('reads there, and a file over the time limit is a named error; the next file is read again', async () => {
    const xlsx = readFileSync(join(FIXTURES, 'form-merged-title.xlsx'));
    const slow = new IsolatedReader({ soffice: 'off', timeoutMs: 1 });
    try {
      await expect(slow.read(xlsx, 'a.xlsx', 'xlsx')).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('超时') });
    } finally {
      slow.close();
    }
    const reader = new IsolatedReader({ soffice: 'off', timeoutMs: 60_000 });
    try {
      const read = await reader.read(xlsx, 'a.xlsx', 'xlsx');
      expect(read.tables[0]).toContainEqual(['1', '濂溪区总工会', '第二届全市产业工人职业技能竞赛（焊工）', '36', '王丽', '0792-8561234']);
      await expect(reader.read(readFileSync(join(FIXTURES, 'encrypted.xls')), 'b.xls', 'ole')).rejects.toMatchObject({ code: 'encrypted' });
    } finally {
      reader.close();
    }
  }, 120_000);
});
