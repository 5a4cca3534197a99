import type { Campaign, Matching, Signal, Unit } from '../rules/schema.js';
import { NameIndex } from './name-index.js';

/** The texts of one message that can name its unit, by signal. */
export interface MatchInput {
  address: string | null;
  display_name: string;
  subject: string;
  filename: string[];
  form_unit: string[];
  document: string[];
  body: string;
  forwarded_from: string[];
}

export interface SignalHit {
  /** A matching signal, or "person" when a person assigned the unit. */
  signal: Signal | 'person';
  unit: string;
  /** The name or address that matched, as written in the roster. */
  match: string;
  weight: number;
}

export interface MatchResult {
  unit: string | null;
  score: number;
  /** Every unit that scored, best first. */
  scores: Array<{ unit: string; score: number }>;
  evidence: SignalHit[];
  reason: string;
  /** Set when a person decided the unit (or that there is none) rather than the rules. */
  assigned?: boolean;
}

export class UnitMatcher {
  private readonly index: NameIndex;
  private readonly addresses = new Map<string, string>();

  constructor(
    private readonly units: Unit[],
    private readonly matching: Matching,
    campaign: Campaign,
  ) {
    const entries: Array<{ term: string; unit: string | null }> = [];
    for (const u of units) for (const term of [u.name, ...u.aliases]) entries.push({ term, unit: u.id });
    for (const term of [campaign.organiser.name, ...campaign.organiser.names]) entries.push({ term, unit: null });
    this.index = new NameIndex(entries);
    for (const u of units) for (const a of u.addresses) this.addresses.set(a.toLowerCase(), u.id);
  }

  /**
   * `learned` holds addresses people confirmed in review (address → unit); the roster's own
   * addresses win over them.
   */
  match(input: MatchInput, learned: ReadonlyMap<string, string> = new Map()): MatchResult {
    const evidence: SignalHit[] = [];
    const w = this.matching.weights;
    const address = input.address?.toLowerCase();
    const rosterUnit = address ? this.addresses.get(address) : undefined;
    const learnedUnit = address && !rosterUnit ? learned.get(address) : undefined;
    if (rosterUnit) evidence.push({ signal: 'address', unit: rosterUnit, match: address!, weight: w.address });
    else if (learnedUnit && this.units.some((u) => u.id === learnedUnit)) evidence.push({ signal: 'address', unit: learnedUnit, match: `${address} (learned)`, weight: w.address });

    const textSignals: Array<[Signal, string[]]> = [
      ['display_name', [input.display_name]],
      ['subject', [input.subject]],
      ['filename', input.filename],
      ['form_unit', input.form_unit],
      ['document', input.document],
      ['body', [input.body]],
      ['forwarded_from', input.forwarded_from],
    ];
    for (const [signal, texts] of textSignals) {
      const seen = new Set<string>();
      for (const text of texts) {
        for (const hit of this.index.find(text)) {
          if (hit.unit === null || seen.has(hit.unit)) continue;
          seen.add(hit.unit);
          evidence.push({ signal, unit: hit.unit, match: hit.term, weight: w[signal] });
        }
      }
    }

    const totals = new Map<string, number>();
    for (const e of evidence) totals.set(e.unit, (totals.get(e.unit) ?? 0) + e.weight);
    const scores = [...totals].map(([unit, score]) => ({ unit, score: round(score) })).sort((a, b) => b.score - a.score);
    const [best, second] = scores;
    if (!best) return { unit: null, score: 0, scores, evidence, reason: 'no unit name, alias or known address found' };
    if (best.score < this.matching.threshold) {
      return { unit: null, score: best.score, scores, evidence, reason: `best unit ${best.unit} scored ${best.score}, below the threshold ${this.matching.threshold}` };
    }
    if (second && best.score - second.score < this.matching.margin) {
      return { unit: null, score: best.score, scores, evidence, reason: `conflicting evidence: ${best.unit} scored ${best.score}, ${second.unit} scored ${second.score} (margin ${this.matching.margin})` };
    }
    // A decisive signal says who sent the message (the known address, the display name) or whom
    // it is for (the form's unit). One naming another unit is a contradiction, not a weak vote:
    // the content of B sent as A is a forward, a mix-up or a unit submitting for another, and a
    // person decides, even when the rest of the evidence for B outweighs it.
    const decisive = new Set<string>(this.matching.decisive_signals);
    const rival = evidence.find((e) => e.unit !== best.unit && decisive.has(e.signal));
    if (rival) {
      const own = evidence.find((e) => e.unit === best.unit && decisive.has(e.signal)) ?? evidence.find((e) => e.unit === best.unit)!;
      return { unit: null, score: best.score, scores, evidence, reason: `conflicting evidence: ${own.signal} names ${best.unit}, ${rival.signal} names ${rival.unit}` };
    }
    const name = this.units.find((u) => u.id === best.unit)?.name ?? best.unit;
    return { unit: best.unit, score: best.score, scores, evidence, reason: `${name} scored ${best.score}${second ? `, next ${second.unit} ${second.score}` : ''}` };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
