import type { Unit } from '../rules/schema.js';
import { planDocx, registrationXlsx } from './documents.js';
import { buildMail } from './mail.js';

/**
 * Test and benchmark material: a unit's submission as units send it, a registration form
 * (.xlsx) and an implementation plan (.docx), with a unique Message-ID. The documents are built
 * once per unit and reused, as a unit resending its files would.
 */
const documentCache = new Map<string, Promise<{ form: Buffer; plan: Buffer }>>();

function unitDocuments(unit: Pick<Unit, 'id' | 'name'>): Promise<{ form: Buffer; plan: Buffer }> {
  let docs = documentCache.get(unit.id);
  if (!docs) {
    docs = (async () => ({
      form: await registrationXlsx({ rows: [{ unit: unit.name, project: '职工职业技能竞赛', participants: '40', contact: '王伟', phone: '0792-8200000' }] }),
      plan: await planDocx({ unit: unit.name }),
    }))();
    documentCache.set(unit.id, docs);
  }
  return docs;
}

export async function submissionMail(unit: Pick<Unit, 'id' | 'name' | 'addresses'>, seq: number, at: Date): Promise<Buffer> {
  const { form, plan } = await unitDocuments(unit);
  const address = unit.addresses[0] ?? `${unit.id}zgh@163.com`;
  return buildMail({
    from: { name: unit.name, address },
    subject: `${unit.name}报送劳动和技能竞赛参赛报名表及实施方案（${seq}）`,
    messageId: `<bench-${seq}-${unit.id}@163.com>`,
    date: at,
    received: at,
    text: `市总工会经济技术部：\n\n附件为${unit.name}参赛报名表和竞赛实施方案，请查收。\n\n${unit.name}`,
    attachments: [
      { filename: `${unit.name}参赛报名表.xlsx`, content: form, nameEncoding: 'rfc2231-utf8' },
      { filename: `${unit.name}竞赛实施方案.docx`, content: plan, nameEncoding: 'rfc2231-utf8' },
    ],
  });
}
