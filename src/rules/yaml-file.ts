import { LineCounter, parseDocument, isNode, isScalar, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { describeIssue } from './issue-message.js';
import { readRulesText } from './text-file.js';

/** One problem in a rules file, phrased for the operator who has to fix it. */
export interface RuleProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

export class RulesError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(`rules are invalid:\n${problems.map((p) => '  ' + formatProblem(p)).join('\n')}`);
    this.name = 'RulesError';
  }
}

/** A parsed YAML file that can point back at the line of any path inside it. */
export class YamlFile {
  private constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly parseProblems: RuleProblem[],
    private readonly text = '',
    /** The file's value, aliases (*name) resolved; undefined when it has problems. */
    readonly data: unknown = undefined,
  ) {}

  static read(file: string): YamlFile {
    const read = readRulesText(file);
    if ('problem' in read) {
      const problem = read.missing ? { ...read.problem, message: 'file is missing: create it (see the README, "Rules")' } : read.problem;
      return new YamlFile(file, parseDocument(''), new LineCounter(), [problem]);
    }
    const text = read.text;
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    // One syntax error usually causes a cascade of follow-on errors; the first is the one to fix.
    const first = doc.errors[0];
    if (first) {
      const pos = lines.linePos(first.pos[0]);
      return new YamlFile(file, doc, lines, [{ file, line: pos.line, column: pos.col, message: `YAML: ${first.message.split('\n')[0]} (check indentation, colons and quoting)` }], text);
    }
    const data = resolve(doc, text.length);
    if ('problem' in data) {
      const pos = lines.linePos(data.problem.offset);
      return new YamlFile(file, doc, lines, [{ file, line: pos.line, column: pos.col, message: data.problem.message }], text);
    }
    return new YamlFile(file, doc, lines, [], text, data.value);
  }

  /** Line and column of the deepest node that exists along `path`. */
  locate(path: ReadonlyArray<PropertyKey>): { line: number; column: number } {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) {
        const pos = this.lines.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return { line: 1, column: 1 };
  }

  /** The scalar at `path` exactly as written in the file (before YAML turned it into a number). */
  written(path: ReadonlyArray<PropertyKey>): string | undefined {
    const node = this.doc.getIn(path as unknown[], true);
    return isScalar(node) && node.range ? this.text.slice(node.range[0], node.range[1]).trim() : undefined;
  }

  problem(path: ReadonlyArray<PropertyKey>, message: string): RuleProblem {
    return { file: this.file, ...this.locate(path), message };
  }

  /** Validates the file against a schema; every problem names its line and what to do. */
  parse<S extends z.ZodType>(schema: S): { value?: z.infer<S>; problems: RuleProblem[] } {
    if (this.parseProblems.length > 0) return { problems: this.parseProblems };
    const result = schema.safeParse(this.data ?? {}, { reportInput: true });
    if (result.success) return { value: result.data, problems: [] };
    return { problems: result.error.issues.map((issue) => this.problem(issue.path, describeIssue(issue, { written: this.written(issue.path), schema }))) };
  }
}

/**
 * The document's value. An alias (*name) whose anchor (&name) is not written above it, and
 * aliases that expand to more than the file could spell out, are problems here: yaml throws on
 * both from toJS, after parsing without an error. An anchor may be repeated as often as the file
 * is long (`kind: *dept` on every unit of a long roster); nested repeats that grow beyond that
 * are refused, as yaml does for any document (its limit, 100, would refuse that roster).
 */
function resolve(doc: Document, length: number): { value: unknown } | { problem: { offset: number; message: string } } {
  try {
    return { value: doc.toJS({ maxAliasCount: Math.max(100, length) }) };
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const unresolved = /^Unresolved alias[^:]*: (.*)$/.exec(err.message)?.[1];
    if (unresolved !== undefined) {
      let offset = 0;
      visit(doc, {
        Alias(_, node) {
          if (node.source !== unresolved) return undefined;
          offset = node.range?.[0] ?? 0;
          return visit.BREAK;
        },
      });
      return { problem: { offset, message: `YAML: *${unresolved} repeats the value marked &${unresolved}, and no value above it is marked so: mark the value to repeat with &${unresolved} before this line, or write the value out here` } };
    }
    return { problem: { offset: 0, message: `YAML: its aliases (*name) repeat values that hold aliases themselves, and would expand to far more than the file: write the values out` } };
  }
}
