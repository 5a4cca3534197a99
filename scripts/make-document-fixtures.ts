/**
 * Builds the committed document fixtures under fixtures/documents/: every format units send,
 * made the way their software makes it. .xlsx with exceljs, .docx with the `docx` package, and
 * the rest by LibreOffice from those (.xls, .doc, .pdf; WPS's .et and .wps are the same binary
 * formats under another name, as WPS Office writes them). Needs soffice on PATH; the outputs are
 * committed so tests never need LibreOffice. Run `npm run fixtures:documents` after changing it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { AlignmentType, Document, ImageRun, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import { XLSX } from '../src/documents/sheetjs.js';
import { planDocx } from '../src/testing/documents.js';

const OUT = join(import.meta.dirname, '..', 'fixtures', 'documents');
const FIXED = new Date('2021-07-12T02:00:00Z');

const ROWS = [
  { unit: '濂溪区总工会', project: '第二届全市产业工人职业技能竞赛（焊工）', participants: '36', contact: '王丽', phone: '0792-8561234', notes: '' },
  { unit: '濂溪区总工会', project: '“安康杯”安全知识竞赛', participants: '120', contact: '王丽', phone: '13907921234', notes: '含3个企业' },
];

/** A form as county unions fill it in Excel or WPS: merged title, a stamp line, spaced and broken headers. */
async function formWorkbook(opts: { instructionsFirst: boolean }): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'WPS';
  wb.created = FIXED;
  wb.modified = FIXED;
  if (opts.instructionsFirst) {
    const s = wb.addWorksheet('填表说明');
    s.addRow(['填表说明']);
    s.addRow(['1. 每个竞赛项目填写一行，参赛单位请写全称。']);
    s.addRow(['2. 联系电话请填写手机或带区号的座机号码。']);
    s.addRow(['3. 请于2021年7月22日前报送至 jjszjjb@sina.com。']);
  }
  const ws = wb.addWorksheet('报名表');
  ws.pageSetup = { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, paperSize: 9 };
  ws.addRow(['附件2']);
  ws.addRow(['“建功‘十四五’、奋进新征程”主题劳动和技能竞赛参赛报名表']);
  ws.mergeCells('A2:G2');
  ws.addRow(['填报单位（盖章）：濂溪区总工会', '', '', '', '', '填报时间：2021年7月12日']);
  ws.mergeCells('A3:D3');
  ws.addRow(['序号', '参赛单位', '竞赛项目', '参赛人数', '联 系 人', '联系\n电话', '备  注']);
  ROWS.forEach((r, i) => ws.addRow([i + 1, r.unit, r.project, Number(r.participants), r.contact, r.phone, r.notes]));
  ws.addRow([]);
  ws.addRow(['填表人：王丽', '', '', '审核人：陈刚']);
  ws.getRow(4).alignment = { wrapText: true, vertical: 'middle', horizontal: 'center' };
  ws.columns.forEach((c, i) => (c.width = [6, 18, 34, 10, 10, 16, 12][i] ?? 12));
  return wb;
}

/** A Word registration form: a table with a merged unit cell down two rows and a header with a line break. */
async function formDocx(): Promise<Buffer> {
  const cell = (t: string, o: { rowSpan?: number } = {}) =>
    new TableCell({ ...o, children: t.split('\n').map((line) => new Paragraph({ children: [new TextRun({ text: line, font: '仿宋_GB2312' })] })) });
  const doc = new Document({
    creator: 'Microsoft Office User',
    sections: [
      {
        children: [
          new Paragraph({ children: [new TextRun('附件2')] }),
          new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun({ text: '九江市劳动和技能竞赛参赛报名表', bold: true, size: 36, font: '方正小标宋简体' })] }),
          new Paragraph({ children: [new TextRun('填报单位（盖章）：共青城市总工会')] }),
          new Table({
            width: { size: 100, type: WidthType.PERCENTAGE },
            rows: [
              new TableRow({ children: ['参赛单位', '竞赛项目', '参赛\n人数', '联系人', '联系电话', '备注'].map((t) => cell(t)) }),
              new TableRow({ children: [cell('共青城市总工会', { rowSpan: 2 }), cell('纺织服装职业技能竞赛'), cell('50'), cell('刘芳'), cell('0792-4361234'), cell('')] }),
              new TableRow({ children: [cell('“五小”创新成果评选'), cell('20'), cell('刘芳'), cell('139 0792 5678'), cell('手机')] }),
            ],
          }),
          new Paragraph({ children: [new TextRun('注：请于7月22日前报送电子版及盖章扫描件。')] }),
        ],
      },
    ],
  });
  return Buffer.from(await Packer.toBuffer(doc));
}

/** A grey page with dark bars: what a phone photo or a scanner gives, and no text layer. */
function scanPng(width = 600, height = 800): Buffer {
  const raw = Buffer.alloc((width + 1) * height, 0xee);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    const bar = y > 80 && y % 40 < 12;
    for (let x = 0; x < width; x++) if (bar && x > 60 && x < 60 + ((y * 37) % 460)) raw[y * (width + 1) + 1 + x] = 0x30;
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function scanDocx(): Promise<Buffer> {
  const doc = new Document({ sections: [{ children: [new Paragraph({ children: [new ImageRun({ type: 'png', data: scanPng(), transformation: { width: 450, height: 600 } })] })] }] });
  return Buffer.from(await Packer.toBuffer(doc));
}

/**
 * A password-protected .docx as Word writes it: not a zip but an OLE2 compound file with an
 * EncryptionInfo stream (the agile encryption descriptor) and the EncryptedPackage. The payload
 * here is random bytes: intake must recognise the container, never decrypt it.
 */
function encryptedOoxml(): Buffer {
  const cfb = XLSX.CFB.utils.cfb_new();
  const descriptor =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password"><keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/><keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password"><p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></keyEncryptor></keyEncryptors></encryption>';
  const info = Buffer.concat([Buffer.from([4, 0, 4, 0, 0x40, 0, 0, 0]), Buffer.from(descriptor, 'utf8')]);
  const payload = Buffer.alloc(4104);
  payload.writeUInt32LE(4096, 0);
  for (let i = 8; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
  XLSX.CFB.utils.cfb_add(cfb, 'EncryptionInfo', info);
  XLSX.CFB.utils.cfb_add(cfb, 'EncryptedPackage', payload);
  return Buffer.from(XLSX.CFB.write(cfb, { type: 'buffer', fileType: 'cfb' }) as Uint8Array);
}

// --- LibreOffice -------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'intake-fixtures-'));
const profile = join(work, 'profile');

function soffice(args: string[]): void {
  const r = spawnSync('soffice', ['--headless', '--invisible', '--norestore', `-env:UserInstallation=${pathToFileURL(profile).href}`, ...args], { timeout: 120_000, killSignal: 'SIGKILL', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`soffice ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

function convert(input: Buffer, inName: string, to: string, outName: string): Buffer {
  const dir = mkdtempSync(join(work, 'c-'));
  writeFileSync(join(dir, inName), input);
  soffice(['--convert-to', to, '--outdir', join(dir, 'out'), join(dir, inName)]);
  const out = readFileSync(join(dir, 'out', inName.replace(/\.[^.]+$/, '.' + to.split(':')[0])));
  writeFileSync(join(OUT, outName), out);
  return out;
}

/**
 * Office 97 files with an opening password. LibreOffice's command line cannot set one, so a
 * Basic routine of our own, installed in the generator's private profile, saves with a password.
 */
function savePasswordProtected(input: Buffer, inName: string, filter: string, outName: string): void {
  const basic = join(profile, 'user', 'basic', 'Standard');
  mkdirSync(basic, { recursive: true });
  writeFileSync(
    join(basic, 'Module1.xba'),
    `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub SaveEncrypted(src As String, dst As String, filter As String, pw As String)
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = &quot;Hidden&quot;
  args(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), &quot;_blank&quot;, 0, args())
  Dim props(1) As New com.sun.star.beans.PropertyValue
  props(0).Name = &quot;FilterName&quot;
  props(0).Value = filter
  props(1).Name = &quot;Password&quot;
  props(1).Value = pw
  doc.storeToURL(ConvertToURL(dst), props())
  doc.close(True)
End Sub
</script:module>`,
  );
  const dir = mkdtempSync(join(work, 'e-'));
  writeFileSync(join(dir, inName), input);
  const dst = join(dir, outName);
  soffice([`macro:///Standard.Module1.SaveEncrypted("${join(dir, inName)}","${dst}","${filter}","jjzgh2021")`]);
  copyFileSync(dst, join(OUT, outName));
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const put = (name: string, b: Buffer) => (writeFileSync(join(OUT, name), b), b);

  const form = put('form-merged-title.xlsx', Buffer.from(await (await formWorkbook({ instructionsFirst: false })).xlsx.writeBuffer()));
  const formInstr = put('form-instructions-first.xlsx', Buffer.from(await (await formWorkbook({ instructionsFirst: true })).xlsx.writeBuffer()));
  const plan = put('plan.docx', await planDocx({ unit: '庐山市总工会', title: '庐山市总工会关于开展“建功‘十四五’、奋进新征程”主题劳动和技能竞赛的实施方案' }));
  put('plan-with-form.docx', await planDocx({ unit: '彭泽县总工会', withFormTable: [{ unit: '彭泽县总工会', project: '核电建设劳动竞赛', participants: '200', contact: '赵强', phone: '0792-5621234' }] }));
  const wordForm = put('form-word-table.docx', await formDocx());
  const scan = put('scan-only-image.docx', await scanDocx());
  put('encrypted.docx', encryptedOoxml());
  put('truncated.xlsx', form.subarray(0, Math.floor(form.length / 2)));
  put('empty.xlsx', Buffer.alloc(0));

  // Excel on Chinese Windows saves CSV in GBK; newer Excel offers "CSV UTF-8", with a BOM.
  const csv = ['序号,参赛单位,竞赛项目,参赛人数,联系人,联系电话,备注', '1,湖口县总工会,"船舶制造焊接技能竞赛（含""双百""工程）",40,周敏,0792-6321234,', '2,湖口县总工会,安全生产知识竞赛,60,周敏,1397921234,待定'].join('\r\n') + '\r\n';
  put('form-gbk.csv', iconv.encode(csv, 'gbk'));
  put('form-utf8-bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv.replace(/湖口县/g, '都昌县'), 'utf8')]));
  put('plan-gb18030.txt', iconv.encode('永修县劳动和技能竞赛实施方案\r\n\r\n一、指导思想\r\n以习近平新时代中国特色社会主义思想为指导。\r\n二、组织领导\r\n成立领导小组。\r\n三、竞赛内容\r\n开展职业技能竞赛。\r\n四、工作要求\r\n精心组织。\r\n', 'gb18030'));

  mkdirSync(profile, { recursive: true });
  convert(formInstr, 'form.xlsx', 'xls', 'form-instructions-first.xls');
  copyFileSync(join(OUT, 'form-instructions-first.xls'), join(OUT, 'form-wps.et'));
  convert(plan, 'plan.docx', 'doc', 'plan.doc');
  copyFileSync(join(OUT, 'plan.doc'), join(OUT, 'plan-wps.wps'));
  convert(wordForm, 'form.docx', 'doc', 'form-word-table.doc');
  convert(form, 'form.xlsx', 'pdf', 'form.pdf');
  convert(plan, 'plan.docx', 'pdf', 'plan.pdf');
  convert(plan, 'plan.docx', 'rtf', 'plan.rtf');
  convert(scan, 'scan.docx', 'pdf', 'scan-only-image.pdf');
  convert(plan, 'plan.docx', 'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},"DocumentOpenPassword":{"type":"string","value":"jjzgh2021"}}', 'encrypted.pdf');
  savePasswordProtected(form, 'form.xlsx', 'MS Excel 97', 'encrypted.xls');
  savePasswordProtected(plan, 'plan.docx', 'MS Word 97', 'encrypted.doc');
  const doc = readFileSync(join(OUT, 'plan.doc'));
  writeFileSync(join(OUT, 'truncated.doc'), doc.subarray(0, 5000));
  rmSync(work, { recursive: true, force: true });
}

await main();
