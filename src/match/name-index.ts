import { normalizeName } from '../rules/names.js';

export interface NameHit {
  /** Unit id, or null for an organiser's name (found so that it can be ignored). */
  unit: string | null;
  term: string;
  index: number;
}

/**
 * Finds unit names in Chinese text, which has no word boundaries. Scans left to right and at
 * each position takes the longest known name (leftmost-longest), so "庐山西海风景名胜区" is one
 * hit for 庐山西海 and never also 庐山市, "瑞昌市总工会" is 瑞昌 and not the organiser's
 * "市总工会", and the organiser's own names consume their text so that nothing inside them counts.
 */
export class NameIndex {
  private readonly byFirst = new Map<string, Array<{ key: string; term: string; unit: string | null }>>();

  constructor(entries: Array<{ term: string; unit: string | null }>) {
    for (const e of entries) {
      const key = normalizeName(e.term);
      if (key === '') continue;
      const first = key[0]!;
      const list = this.byFirst.get(first) ?? [];
      list.push({ key, term: e.term, unit: e.unit });
      this.byFirst.set(first, list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.key.length - a.key.length);
  }

  find(text: string): NameHit[] {
    const t = normalizeName(text);
    const hits: NameHit[] = [];
    let i = 0;
    while (i < t.length) {
      const candidates = this.byFirst.get(t[i]!);
      const hit = candidates?.find((c) => t.startsWith(c.key, i));
      if (hit) {
        hits.push({ unit: hit.unit, term: hit.term, index: i });
        i += hit.key.length;
      } else i++;
    }
    return hits;
  }
}
