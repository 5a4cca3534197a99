import { crc32, deflateRawSync } from 'node:zlib';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';

/** Test material only: real .xlsx/.docx/.zip bytes, built the way units' software builds them. */

const FIXED_DATE = new Date('2021-07-10T08:00:00Z');

export interface FormRowInput {
  unit: string;
  project: string;
  participants: string;
  contact: string;
  phone: string;
  notes?: string;
}

/** `filledBy`: the 填报单位 line above the table (default the first row's unit; empty leaves the line blank, as the template has it). */
export async function registrationXlsx(opts: { title?: string; rows: FormRowInput[]; instructionsSheet?: boolean; sheetName?: string; filledBy?: string }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'WPS';
  wb.created = FIXED_DATE;
  wb.modified = FIXED_DATE;
  if (opts.instructionsSheet) {
    const s = wb.addWorksheet('填表说明');
    s.addRow(['填表说明']);
    s.addRow(['1. 每个竞赛项目填写一行。']);
    s.addRow(['2. 请于7月22日前报送。']);
  }
  const ws = wb.addWorksheet(opts.sheetName ?? 'Sheet1');
  ws.addRow([opts.title ?? '“建功‘十四五’、奋进新征程”主题劳动和技能竞赛参赛报名表']);
  ws.mergeCells('A1:G1');
  ws.addRow(['填报单位（盖章）：' + (opts.filledBy ?? opts.rows[0]?.unit ?? ''), '', '', '', '', '填报日期：2021年7月']);
  ws.addRow(['序号', '参赛单位', '竞赛项目', '参赛人数', '联系人', '联系电话', '备注']);
  opts.rows.forEach((r, i) => ws.addRow([i + 1, r.unit, r.project, r.participants, r.contact, r.phone, r.notes ?? '']));
  ws.columns.forEach((c) => (c.width = 18));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export async function planDocx(opts: { unit: string; title?: string; date?: string; withFormTable?: FormRowInput[] }): Promise<Buffer> {
  const title = opts.title ?? `${opts.unit}关于开展“建功‘十四五’、奋进新征程”主题劳动和技能竞赛的实施方案`;
  const p = (text: string, bold = false) => new Paragraph({ children: [new TextRun({ text, bold, font: '仿宋_GB2312' })] });
  const children: Array<Paragraph | Table> = [
    new Paragraph({ heading: HeadingLevel.TITLE, alignment: AlignmentType.CENTER, children: [new TextRun({ text: title, bold: true, font: '方正小标宋简体' })] }),
    p('根据九江市劳动竞赛委员会《关于在全市职工中广泛开展“建功‘十四五’、奋进新征程”主题劳动和技能竞赛的通知》要求，结合我单位实际，制定本方案。'),
    p('一、指导思想', true),
    p('以习近平新时代中国特色社会主义思想为指导，大力弘扬劳模精神、劳动精神、工匠精神。'),
    p('二、组织领导', true),
    p('成立竞赛活动领导小组，负责竞赛的组织协调。'),
    p('三、竞赛内容', true),
    p('1. 开展职业技能竞赛；2. 开展职工技术创新活动；3. 开展“工人先锋号”创建活动。'),
    p('四、时间安排', true),
    p('2021年7月至12月。'),
    p('五、工作要求', true),
    p('各基层工会要高度重视，精心组织，确保竞赛取得实效。'),
  ];
  if (opts.withFormTable) {
    children.push(p('附件：参赛报名表', true));
    children.push(formTable(opts.withFormTable));
  }
  children.push(p(''), new Paragraph({ alignment: AlignmentType.RIGHT, children: [new TextRun(opts.unit)] }), new Paragraph({ alignment: AlignmentType.RIGHT, children: [new TextRun(opts.date ?? '2021年7月15日')] }));
  const doc = new Document({ creator: 'Microsoft Office', lastModifiedBy: 'WPS', sections: [{ children }] });
  return Buffer.from(await Packer.toBuffer(doc));
}

function formTable(rows: FormRowInput[]): Table {
  const cell = (t: string) => new TableCell({ children: [new Paragraph(t)] });
  return new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: [
      new TableRow({ children: ['参赛单位', '竞赛项目', '参赛人数', '联系人', '联系电话'].map(cell) }),
      ...rows.map((r) => new TableRow({ children: [r.unit, r.project, r.participants, r.contact, r.phone].map(cell) })),
    ],
  });
}

/** A Word registration form laid out as label/value pairs, as many offices do it. */
export async function registrationDocx(opts: { unit: string; project: string; contact: string; phone: string }): Promise<Buffer> {
  const cell = (t: string) => new TableCell({ children: [new Paragraph(t)] });
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun({ text: '劳动和技能竞赛参赛报名表', bold: true })] }),
          new Table({
            rows: [
              new TableRow({ children: [cell('参赛单位'), cell(opts.unit), cell('联系人'), cell(opts.contact)] }),
              new TableRow({ children: [cell('竞赛项目'), cell(opts.project), cell('联系电话'), cell(opts.phone)] }),
              new TableRow({ children: [cell('参赛人数'), cell('30'), cell('备注'), cell('')] }),
            ],
          }),
        ],
      },
    ],
  });
  return Buffer.from(await Packer.toBuffer(doc));
}

export interface ZipEntryInput {
  name: string;
  content: Buffer;
}

/**
 * A zip as Windows' built-in compressor and WinRAR write it on a Chinese system: names in GBK
 * and no UTF-8 flag (unless `utf8` is set). Built by hand because zip libraries always write UTF-8.
 */
export function zipArchive(entries: ZipEntryInput[], opts: { utf8?: boolean; store?: boolean; encryptedFlag?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = opts.utf8 ? Buffer.from(e.name, 'utf8') : iconv.encode(e.name, 'gbk');
    const data = opts.store ? e.content : deflateRawSync(e.content);
    const method = opts.store ? 0 : 8;
    const flags = (opts.utf8 ? 0x800 : 0) | (opts.encryptedFlag ? 0x1 : 0);
    const crc = crc32(e.content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0x52e10000, 10);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(e.content.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0x52e10000, 12);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(e.content.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * A Word registration form whose entry table sits inside a layout table, with the layout's
 * "filled in by" row after it: how forms converted from old templates often come.
 */
export async function nestedFormDocx(opts: { unit: string; rows: FormRowInput[]; filledBy: string }): Promise<Buffer> {
  const cell = (t: string, o: { columnSpan?: number } = {}) => new TableCell({ ...o, children: t.split('\n').map((line) => new Paragraph(line)) });
  const entries = new Table({
    rows: [
      new TableRow({ children: ['参赛单位', '竞赛项目', '参赛人数', '联系人', '联系电话'].map((t) => cell(t)) }),
      ...opts.rows.map((r) => new TableRow({ children: [r.unit, r.project, r.participants, r.contact, r.phone].map((t) => cell(t)) })),
    ],
  });
  const doc = new Document({
    sections: [
      {
        children: [
          new Table({
            width: { size: 100, type: WidthType.PERCENTAGE },
            rows: [
              new TableRow({ children: [cell('九江市劳动和技能竞赛参赛报名表', { columnSpan: 2 })] }),
              new TableRow({ children: [cell('填报单位'), cell(opts.unit)] }),
              new TableRow({ children: [new TableCell({ columnSpan: 2, children: [new Paragraph('报名项目'), entries, new Paragraph('')] })] }),
              new TableRow({ children: [cell('填表人'), cell(opts.filledBy)] }),
            ],
          }),
        ],
      },
    ],
  });
  return Buffer.from(await Packer.toBuffer(doc));
}

/** Tables nested `depth` deep, one in the only cell of the one before, each labelled with its level. */
export async function deeplyNestedDocx(depth: number): Promise<Buffer> {
  let inner: Table | null = null;
  for (let level = depth; level >= 1; level--) {
    const children = [new Paragraph(`第${level}层`), ...(inner ? [inner, new Paragraph('')] : [])];
    inner = new Table({ rows: [new TableRow({ children: [new TableCell({ children })] })] });
  }
  return Buffer.from(await Packer.toBuffer(new Document({ sections: [{ children: [inner!] }] })));
}
