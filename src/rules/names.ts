/** Same text for matching purposes: NFKC folds full-width letters and digits, case is ignored. */
export function normalizeName(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}
