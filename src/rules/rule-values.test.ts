import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemsAfter, replaceIn, replaceLine } from '../testing/rule-problems.js';

describe('rules check: values YAML reads as something else', () => {
  it('a phone number without quotes: read as a number, its leading zero dropped, and how to quote it', () => {
    let line = 0;
    const problems = problemsAfter((d) => (line = replaceIn(d, 'campaign.yaml', 'phone: "0792-8227328"', 'phone: 07928227328')));
    expect(problems).toEqual([
      `campaign.yaml:${line}:10: organiser.phone: 07928227328 was read as a number, and YAML drops its leading zero (it would be 7928227328): it is text here, so write it in quotes, e.g. "07928227328"`,
    ]);
  });

  it('an alias that is a number: read as a number, quote it', () => {
    let line = 0;
    const problems = problemsAfter((d) => (line = replaceIn(d, 'units.yaml', 'aliases: [浔阳区, ', 'aliases: [110, 浔阳区, ')));
    expect(problems).toEqual([`units.yaml:${line}:15: units.0.aliases.0: 110 was read as a number: it is text here, so write it in quotes, e.g. "110"`]);
  });

  it('a list item on its own line, and true read as a yes/no value', () => {
    const problems = problemsAfter((d) => {
      replaceIn(d, 'campaign.yaml', '    - 九江市总工会\n', '    - 0792\n');
      replaceIn(d, 'campaign.yaml', '    - 参赛\n', '    - true\n');
    });
    expect(problems).toEqual([
      expect.stringMatching(/^campaign\.yaml:\d+:7: organiser\.names\.0: 0792 was read as a number, and YAML drops its leading zero \(it would be 792\): it is text here, so write it in quotes, e.g\. "0792"$/),
      expect.stringMatching(/^campaign\.yaml:\d+:7: replies\.campaign_keywords\.4: true was read as true \(a yes\/no value\), not as text: write it in quotes, e\.g\. "true"$/),
    ]);
  });
});

describe('rules check: a key with nothing after it', () => {
  it('is reported as empty, with what to write there (and that a field with a default may go)', () => {
    const lines: number[] = [];
    const problems = problemsAfter((d) => {
      lines.push(replaceLine(d, 'campaign.yaml', 'deadline: 2021-07-22T23:59:59+08:00', 'deadline:'));
      lines.push(replaceLine(d, 'units.yaml', 'aliases: [浔阳区, ', '    aliases:'));
      lines.push(replaceLine(d, 'campaign.yaml', 'department: 市总工会经济技术部', '  department: ""'));
    });
    expect(problems).toEqual([
      `campaign.yaml:${lines[2]}:15: organiser.department: is empty: write the organiser's department, e.g. 市总工会经济技术部`,
      `campaign.yaml:${lines[0]}:10: deadline: is empty: write an ISO time with an offset, e.g. 2021-07-22T23:59:59+08:00`,
      `units.yaml:${lines[1]}:13: units.0.aliases: is empty: write a list of the other ways the unit is written, e.g. [浔阳区, 浔阳区工会], or remove the line`,
    ]);
  });

  it('an empty list item and an empty section are named too', () => {
    const problems = problemsAfter((d) => {
      replaceIn(d, 'campaign.yaml', '    - 九江市总工会\n', '    -\n');
      replaceIn(d, 'campaign.yaml', 'staff:\n  # Who receives the daily digest.\n  digest_recipients:\n    - jjszjjb@sina.com\n', 'staff:\n');
    });
    expect(problems).toEqual([
      expect.stringMatching(/^campaign\.yaml:\d+:6: organiser\.names\.0: is empty \(a "-" with nothing after it\): write the item, or remove the line$/),
      expect.stringMatching(/^campaign\.yaml:\d+:7: staff: is empty: write its fields on the lines below it, indented \(digest_recipients\), or remove the line$/),
    ]);
  });
});

describe('rules check: documents.yaml form_fields', () => {
  it('refuses an empty list of headers, saying what the field is for', () => {
    let line = 0;
    const problems = problemsAfter((d) => (line = replaceLine(d, 'documents.yaml', 'contact: [', '  contact: []')));
    expect(problems).toEqual([
      `documents.yaml:${line}:12: form_fields.contact: is an empty list: write a list of the column headers of the contact person, e.g. [联系人, 负责人, 经办人] (a form whose contact person cannot be found is answered with 报名表未填写联系人)`,
    ]);
    expect(problemsAfter((d) => replaceLine(d, 'documents.yaml', 'notes: [', '  notes: []'))).toEqual([
      expect.stringMatching(/^documents\.yaml:\d+:10: form_fields\.notes: is an empty list: write a list of the column headers of remarks, e\.g\. \[备注, 说明\], or remove the line \(the digest's workbook lists each unit's remarks\)$/),
    ]);
  });

  it('requires the unit, contact and phone fields the registration-form reader needs, and the section itself', () => {
    const problems = problemsAfter((d) => {
      replaceLine(d, 'documents.yaml', 'unit: [', '');
      replaceLine(d, 'documents.yaml', 'phone: [', '');
    });
    expect(problems).toEqual([
      expect.stringMatching(/^documents\.yaml:\d+:3: form_fields\.unit: is required: add it, with a list of the column headers naming the unit, e\.g\. \[单位, 单位名称, 参赛单位\] \(the unit a form names is evidence of who sent it \(form_unit in units\.yaml\), and a form whose unit cannot be found is answered with 报名表未写明参赛单位\)$/),
      expect.stringMatching(/^documents\.yaml:\d+:3: form_fields\.phone: is required: add it, with a list of the column headers of the contact's phone, e\.g\. \[联系电话, 电话, 手机\] \(a form whose phone number cannot be found is answered with 报名表未填写联系电话, and the numbers found are checked\)$/),
    ]);
    const withoutSection = problemsAfter((d) => {
      const p = join(d, 'documents.yaml');
      writeFileSync(p, readFileSync(p, 'utf8').replace(/^form_fields:\n(?: {2}.*\n)+/m, ''));
    });
    expect(withoutSection).toEqual([
      expect.stringMatching(/^documents\.yaml:\d+:1: form_fields: is required: add it, with the column headers of a registration form for each field read from it, unit, contact and phone at least, as the README shows under "Rules" \(without them no registration form can be read\)$/),
    ]);
  });
});

describe('rules check: campaign.yaml times that do not exist', () => {
  it('names the deadline, the opening, the paper deadline and a reminder time as not existing, at their lines', () => {
    const lines: number[] = [];
    const problems = problemsAfter((d) => {
      lines.push(replaceLine(d, 'campaign.yaml', 'opens: ', 'opens: 2021-02-30T00:00:00+08:00'));
      lines.push(replaceLine(d, 'campaign.yaml', 'deadline: 2021-07-22', 'deadline: 2021-07-22T24:30:00+08:00'));
      lines.push(replaceLine(d, 'campaign.yaml', '# deadline: 2021-07-22', '  deadline: 2021-06-31T23:59:59+08:00'));
      lines.push(replaceIn(d, 'campaign.yaml', 'at: "09:00"', 'at: "25:00"'));
    });
    expect(problems).toEqual([
      `campaign.yaml:${lines[0]}:8: opens: 2021-02-30T00:00:00+08:00 names a date that does not exist: February 2021 has 28 days: write a real date, e.g. 2021-02-28T00:00:00+08:00`,
      `campaign.yaml:${lines[1]}:11: deadline: 2021-07-22T24:30:00+08:00 names a time that does not exist: hours go from 00 to 23 (the end of a day is 23:59:59), e.g. 2021-07-22T23:59:59+08:00`,
      `campaign.yaml:${lines[2]}:13: paper.deadline: 2021-06-31T23:59:59+08:00 names a date that does not exist: June 2021 has 30 days: write a real date, e.g. 2021-06-30T23:59:59+08:00`,
      `campaign.yaml:${lines[3]}:11: reminders.times.0.at: "25:00" is a time of day that does not exist: hours go from 00 to 23, e.g. "09:00" or "23:00"`,
    ]);
  });
});
