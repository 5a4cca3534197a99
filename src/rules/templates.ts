import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import type { RuleProblem } from './yaml-file.js';

export const REPLY_KINDS = ['ack', 'missing', 'late', 'review'] as const;
export type ReplyTemplateKind = (typeof REPLY_KINDS)[number];

/** What every reply template may use. Keep README "Reply templates" in step with this. */
export interface ReplyContext {
  campaign: { title: string; mailbox: string; deadline: string; organiser: { name: string; department: string; phone: string } };
  unit: { id: string; name: string } | null;
  message: { subject: string; from: string; received_at: string };
  late: boolean;
  complete: boolean;
  /** Items this message brought, with the file each came in. `replaced` when it supersedes an earlier file. */
  received: Array<{ kind: string; label: string; filename: string; replaced: boolean }>;
  /** Every required item the unit now has on file. */
  on_file: Array<{ kind: string; label: string; filename: string; received_at: string; late: boolean }>;
  missing: Array<{ kind: string; label: string }>;
  unreadable: Array<{ filename: string; reason: string }>;
  links: Array<{ url: string }>;
}

export const SAMPLE_CONTEXT: ReplyContext = {
  campaign: {
    title: '示例征集',
    mailbox: 'box@example.com',
    deadline: '2021年7月22日 23:59',
    organiser: { name: '组织单位', department: '某部', phone: '0000000' },
  },
  unit: { id: 'sample', name: '示例单位' },
  message: { subject: '报送材料', from: 'a@example.com', received_at: '2021年7月20日 10:00' },
  late: false,
  complete: false,
  received: [{ kind: 'registration', label: '参赛报名表', filename: '报名表.xlsx', replaced: false }],
  on_file: [{ kind: 'registration', label: '参赛报名表', filename: '报名表.xlsx', received_at: '2021年7月20日 10:00', late: false }],
  missing: [{ kind: 'plan', label: '竞赛实施方案' }],
  unreadable: [{ filename: '扫描件.pdf', reason: '扫描件，无法读取文字' }],
  links: [],
};

export type ReplyTemplates = Record<ReplyTemplateKind, Template[]>;

// trimTagRight: a line holding only a tag leaves no blank line behind, so operators can write
// one tag a line.
const engine = new Liquid({ strictVariables: true, strictFilters: true, trimTagRight: true, greedy: false });

export function renderReply(templates: ReplyTemplates, kind: ReplyTemplateKind, ctx: ReplyContext): string {
  const text = engine.renderSync(templates[kind], ctx) as string;
  // Operators write templates with blank lines around tags; keep at most one blank line in a row.
  return text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}

/**
 * Loads `templates/<kind>.txt` and proves each one renders against a sample context, so an
 * undefined variable or an unclosed tag is caught by `intake rules check`, not by a unit's reply.
 */
export function loadTemplates(dir: string): { templates?: ReplyTemplates; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const templates: Partial<ReplyTemplates> = {};
  for (const kind of REPLY_KINDS) {
    const file = join(dir, `${kind}.txt`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      problems.push({ file, line: 1, column: 1, message: `reply template "${kind}" is missing: create ${kind}.txt (see the README, "Reply templates")` });
      continue;
    }
    try {
      const parsed = engine.parse(text, file);
      // Only the review reply can go out without a unit.
      const samples = kind === 'review' ? [SAMPLE_CONTEXT, { ...SAMPLE_CONTEXT, unit: null }] : [SAMPLE_CONTEXT];
      for (const ctx of samples) engine.renderSync(parsed, ctx);
      templates[kind] = parsed;
    } catch (err) {
      const e = err as Error & { token?: { getPosition?: () => [number, number] } };
      const [line, column] = e.token?.getPosition?.() ?? [1, 1];
      const hint = e.name === 'UndefinedVariableError' ? ' (use only the variables listed in the README, "Reply templates")' : '';
      problems.push({ file, line, column, message: `${e.message.replace(/, line:\d+, col:\d+.*$/s, '')}${hint}` });
    }
  }
  return problems.length > 0 ? { problems } : { templates: templates as ReplyTemplates, problems };
}
