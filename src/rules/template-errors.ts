import { Tokenizer, TagToken, type Liquid } from 'liquidjs';
import type { RuleProblem } from './yaml-file.js';

/**
 * Liquid mistakes in a reply template, at the line and column of the template file where they
 * are and in words an operator can act on. liquidjs reports an `{% if %}` left open inside a
 * `{% for %}` as "tag endfor not found" at the `{% endfor %}`; the tags are paired here first so
 * that it is reported at the `{% if %}`, as not closed.
 */

/** Block tags and the tag that closes each. */
const BLOCKS: Record<string, string> = {
  if: 'endif',
  unless: 'endunless',
  case: 'endcase',
  for: 'endfor',
  tablerow: 'endtablerow',
  capture: 'endcapture',
  comment: 'endcomment',
  raw: 'endraw',
  block: 'endblock',
};
const OPENER_OF = Object.fromEntries(Object.entries(BLOCKS).map(([open, end]) => [end, open]));
/** Tags that split a block, and the blocks they may split. */
const BRANCHES: Record<string, string[]> = { else: ['if', 'unless', 'case', 'for'], elsif: ['if', 'unless'], when: ['case'] };
/** Blocks whose content is not Liquid: tags inside them are text. */
const VERBATIM = new Set(['raw', 'comment']);

const TAGS_HELP = 'https://liquidjs.com/tags/overview.html';
const FILTERS_HELP = 'https://liquidjs.com/filters/overview.html';

interface Open {
  name: string;
  text: string;
  token: TagToken;
}

/**
 * Line and column of a tag. liquidjs counts them from the start of the template at each call, so
 * this is asked only for a tag reported, not for every tag (a long template took seconds).
 */
function placeOf(token: TagToken): { line: number; column: number } {
  const [line = 1, column = 1] = token.getPosition();
  return { line, column };
}

/** Line and column (1-based, in characters) of `offset` in `text`. */
function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** `{% if x %}` as the operator wrote it, on one line and cut when long. */
function shown(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > 60 ? one.slice(0, 57) + '…' : one;
}

/**
 * The first unpaired block tag of `text` (an `{% if %}` never closed, an `{% endfor %}` or
 * `{% else %}` with nothing to belong to), or undefined when every tag pairs. Tokenizing errors
 * are left to `engine.parse`, which reports them with their position.
 */
export function unpairedTag(engine: Liquid, text: string, file: string): RuleProblem | undefined {
  let tokens;
  try {
    tokens = new Tokenizer(text, engine.options.operators, file).readTopLevelTokens(engine.options);
  } catch {
    return undefined;
  }
  const stack: Open[] = [];
  for (const token of tokens) {
    if (!(token instanceof TagToken)) continue;
    const tag = shown(token.getText());
    const top = stack[stack.length - 1];
    if (top && VERBATIM.has(top.name)) {
      if (token.name === BLOCKS[top.name]) stack.pop();
      continue;
    }
    if (!(token.name in engine.tags) && !OPENER_OF[token.name] && !BRANCHES[token.name]) {
      // {% iff x %}...{% endif %}: the unknown tag, not the {% endif %} it leaves alone.
      return { file, ...placeOf(token), message: unknownTag(engine, token.name, tag) };
    }
    if (BLOCKS[token.name]) {
      stack.push({ name: token.name, text: tag, token });
    } else if (OPENER_OF[token.name]) {
      const opener = OPENER_OF[token.name]!;
      if (top?.name === opener) {
        stack.pop();
        continue;
      }
      if (top && stack.some((o) => o.name === opener)) {
        return { file, ...placeOf(top.token), message: `${top.text} is not closed: add {% ${BLOCKS[top.name]} %} where its part ends, before the ${tag} on line ${placeOf(token).line}` };
      }
      return { file, ...placeOf(token), message: `${tag} has no {% ${opener} … %} before it to close: remove it, or add the {% ${opener} … %} it belongs to` };
    } else if (BRANCHES[token.name]) {
      const allowed = BRANCHES[token.name]!;
      if (!top || !allowed.includes(top.name)) {
        const inside = allowed.map((a) => `{% ${a} %}`).join(' or ');
        return { file, ...placeOf(token), message: `${tag} is not inside ${inside}${top ? ` (it is inside ${top.text} of line ${placeOf(top.token).line})` : ''}: move it there or remove it` };
      }
    }
  }
  const open = stack[stack.length - 1];
  if (open) return { file, ...placeOf(open.token), message: `${open.text} is not closed: add {% ${BLOCKS[open.name]} %} where its part ends` };
  return undefined;
}

interface LiquidLikeError extends Error {
  token?: { getPosition(): [number, number]; getText(): string; input: string; begin: number; end: number };
}

/**
 * A liquidjs parse or render error as a problem at its place in the template file; `sample`
 * says which sample context a render error came from (an error inside {% if late %} is met
 * only by a late sample).
 */
export function templateProblem(engine: Liquid, err: unknown, file: string, sample?: { label: string; context: object }): RuleProblem {
  const problem = describeError(engine, err, file, sample?.context);
  return sample ? { ...problem, message: `${problem.message}; found rendering it with sample data where ${sample.label}` } : problem;
}

function describeError(engine: Liquid, err: unknown, file: string, context?: object): RuleProblem {
  const e = err as LiquidLikeError;
  const token = e.token;
  const [line, column] = token?.getPosition() ?? [1, 1];
  const at = { file, line, column };
  // liquidjs appends ", file:…, line:…, col:…"; the problem has its own place.
  const bare = String(e.message ?? err).replace(/, (?:file:.*?, )?line:\d+, col:\d+[\s\S]*$/, '');
  const text = token ? shown(token.getText()) : '';
  let m: RegExpExecArray | null;
  if (e.name === 'UndefinedVariableError') {
    // `missing.first.label` of a complete unit: the variable exists, its list is empty.
    const name = bare.replace(/^undefined variable: /, '');
    const root = /^[\w]+/.exec(name)?.[0] ?? '';
    const list = context && (context as Record<string, unknown>)[root];
    if (Array.isArray(list) && list.length === 0 && name !== root) {
      return { ...at, message: `${name} does not exist when ${root} is empty: put it inside {% if ${root}.size > 0 %} … {% endif %}` };
    }
    return { ...at, message: `${bare} (use only the variables listed in the README, "Reply templates")` };
  }
  if ((m = /^undefined filter: (\S+)$/.exec(bare))) {
    const name = m[1]!;
    // Point at the filter's name, not at the {{ that holds it.
    const inToken = token ? new RegExp(`\\|\\s*(${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})\\b`).exec(token.input.slice(token.begin, token.end)) : null;
    const where = inToken && token ? positionAt(token.input, token.begin + inToken.index + inToken[0].length - name.length) : {};
    return { ...at, ...where, message: `unknown filter "${name}"${didYouMean(name, Object.keys(engine.filters))}: check the spelling (the filters are listed at ${FILTERS_HELP})` };
  }
  if ((m = /^tag "(\S+)" not found$/.exec(bare))) {
    const name = m[1]!;
    return { ...at, message: unknownTag(engine, name, text) };
  }
  if ((m = /^tag (\{%[\s\S]*%\}) not closed$/.exec(bare))) {
    const name = /^\{%-?\s*(\w+)/.exec(m[1]!)?.[1] ?? '';
    return { ...at, message: `${shown(m[1]!)} is not closed: add {% ${BLOCKS[name] ?? `end${name}`} %} where its part ends` };
  }
  if (/^output "[\s\S]*" not closed$/.test(bare)) return { ...at, message: 'this {{ is not closed: end the variable with }} on the same line' };
  if (/^tag "[\s\S]*" not closed$/.test(bare)) return { ...at, message: 'this {% is not closed: end the tag with %} on the same line' };
  if (bare === 'expected filter name') return { ...at, message: 'a "|" with no filter name after it: write the filter after the "|" (e.g. | upcase), or remove the "|"' };
  if ((m = /^illegal tag: ([\s\S]*)$/.exec(bare))) {
    const example = /^\{%-?\s*for\b/.test(m[1]!) ? ': write it as {% for item in missing %}' : `: see ${TAGS_HELP} for how it is written`;
    return { ...at, message: `${shown(m[1]!)} cannot be read${example}` };
  }
  return { ...at, message: `${bare}${text && !bare.includes(text) ? ` (in ${text})` : ''}` };
}

function unknownTag(engine: Liquid, name: string, text: string): string {
  return `unknown tag ${text || `"${name}"`}${didYouMean(name, Object.keys(engine.tags))}: check the spelling (the tags are listed at ${TAGS_HELP})`;
}

/** `, did you mean "upcase"?` for a name one or two edits from a known one, else "". */
function didYouMean(name: string, known: string[]): string {
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d <= 2 && d < name.length && (!best || d < best.d)) best = { k, d };
  }
  return best ? ` (did you mean "${best.k}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
