import type { z } from 'zod';

/** What the YAML file says at the issue's path, for messages that quote the operator's text. */
export interface IssueSource {
  /** The value exactly as written in the file (`07928227328`, before YAML turned it into 7928227328). */
  written?: string;
}

/** A zod issue in plain words: what is wrong with the value, and what to write instead. */
export function describeIssue(issue: z.core.$ZodIssue, source: IssueSource = {}): string {
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling or remove it`;
    case 'invalid_type':
      if (issue.input === undefined) return `${where}is required: add it`;
      if (issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean')) return where + readAsText(issue.input, source.written);
      return `${where}expected ${issue.expected}: ${issue.message.replace(/^Invalid input: /, '')}`;
    case 'invalid_value':
      return `${where}must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}${issue.message}`;
  }
}

/**
 * Text written without quotes that YAML reads as a number (a phone number, an alias such as 110)
 * or as true/false. A number loses what made it text: the leading zero of 07928227328, the
 * trailing zero of 1.50, the digits past the 16th.
 */
function readAsText(value: number | boolean, written: string | undefined): string {
  const text = written ?? String(value);
  const quoted = `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof value === 'boolean') return `${text} was read as ${value} (a yes/no value), not as text: write it in quotes, e.g. ${quoted}`;
  const lost = /^[+-]?0\d/.test(text) ? `, and YAML drops its leading zero (it would be ${value})` : text !== String(value) ? ` (YAML reads it as ${value})` : '';
  return `${text} was read as a number${lost}: it is text here, so write it in quotes, e.g. ${quoted}`;
}
