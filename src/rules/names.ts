/** Same text for matching purposes: NFKC folds full-width letters and digits, case is ignored. */
export function normalizeName(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}

/**
 * Words that say what kind of body something is, not which one: every unit of the roster is a
 * 工会, a 委员会, a 局 or a 公司, and the organiser is 市总工会. Chinese has no word boundaries, so
 * an alias is found wherever its characters appear (match/name-index.ts): an alias made only of
 * one of these (工会, 县总工会, 人民政府) would be found in the mail of nearly every unit, and of
 * bodies that are no unit at all, and count it for one. The roster check refuses them; the
 * unit's own name (修水县总工会, 市教育局) is what identifies it.
 */
export const GENERIC_ORG_WORDS = [
  '工会', '总工会', '工会委员会', '工会工作委员会', '工委', '委员会', '管委会', '管理委员会', '劳动竞赛委员会',
  '机关', '机关工会', '办公室', '党委', '党组', '局', '管理局', '人民政府', '政府', '公司', '分公司', '有限公司',
  '集团', '集团公司', '单位', '部门',
] as const;

/** A level written before such a word (县总工会, 市委员会) leaves it just as generic. */
const LEVELS = ['省', '市', '县', '区', '镇', '乡', '全市', '全县', '全区'];

const GENERIC = new Set(GENERIC_ORG_WORDS.flatMap((w) => [w, ...LEVELS.map((l) => l + w)]).map(normalizeName));

/** Whether a name (normalized) is only a generic word for a kind of body, as 工会 or 县总工会 are. */
export function isGenericOrgName(key: string): boolean {
  return GENERIC.has(key);
}
