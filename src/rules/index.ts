import { join, resolve } from 'node:path';
import { CampaignSchema, DocumentsFileSchema, UnitsFileSchema, type Campaign, type DocumentsRules, type Matching, type Unit } from './schema.js';
import { checkDigestSchedule } from './digest-schedule.js';
import { loadTemplates, type ReplyTemplates } from './templates.js';
import { RulesError, YamlFile, type RuleProblem } from './yaml-file.js';

export * from './schema.js';
export { RulesError, formatProblem, type RuleProblem } from './yaml-file.js';

export interface Rules {
  dir: string;
  campaign: Campaign;
  units: Unit[];
  matching: Matching;
  documents: DocumentsRules;
  templates: ReplyTemplates;
  /** Deadline plus grace, as an instant. */
  cutoff: Date;
}

/** Same text for matching purposes: NFKC folds full-width letters and digits, case is ignored. */
export function normalizeName(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}

/** Reads and validates every file under `dir`; throws RulesError listing every problem found. */
export function loadRules(dir: string): Rules {
  const root = resolve(dir);
  const problems: RuleProblem[] = [];
  const campaignFile = YamlFile.read(join(root, 'campaign.yaml'));
  const unitsFile = YamlFile.read(join(root, 'units.yaml'));
  const documentsFile = YamlFile.read(join(root, 'documents.yaml'));
  const campaign = campaignFile.parse(CampaignSchema);
  const units = unitsFile.parse(UnitsFileSchema);
  const documents = documentsFile.parse(DocumentsFileSchema);
  const templates = loadTemplates(join(root, 'templates'));
  problems.push(...campaign.problems, ...units.problems, ...documents.problems, ...templates.problems);

  if (campaign.value) problems.push(...checkCampaign(campaignFile, campaign.value));
  if (units.value) problems.push(...checkUnits(unitsFile, units.value.units, campaign.value));

  if (problems.length > 0 || !campaign.value || !units.value || !documents.value || !templates.templates) {
    throw new RulesError(problems);
  }
  const cutoff = new Date(Date.parse(campaign.value.deadline) + campaign.value.grace_minutes * 60_000);
  return {
    dir: root,
    campaign: campaign.value,
    units: units.value.units,
    matching: units.value.matching,
    documents: documents.value,
    templates: templates.templates,
    cutoff,
  };
}

function checkCampaign(file: YamlFile, c: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (c.opens && Date.parse(c.opens) >= Date.parse(c.deadline)) {
    problems.push(file.problem(['opens'], 'opens must be before the deadline'));
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: c.timezone });
  } catch {
    problems.push(file.problem(['timezone'], `unknown time zone "${c.timezone}": use an IANA name such as Asia/Shanghai`));
  }
  problems.push(...checkDigestSchedule(file, c));
  return problems;
}

/**
 * Catches the roster mistakes that would make matching ambiguous: one name or address on two
 * units, or an organiser's own name listed as a unit alias (it would match every message).
 */
function checkUnits(file: YamlFile, units: Unit[], campaign?: Campaign): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const ids = new Map<string, number>();
  const names = new Map<string, string>();
  const addresses = new Map<string, string>();
  const organiser = new Set((campaign ? [campaign.organiser.name, ...campaign.organiser.names] : []).map(normalizeName));
  units.forEach((u, i) => {
    const prev = ids.get(u.id);
    if (prev !== undefined) problems.push(file.problem(['units', i, 'id'], `duplicate unit id "${u.id}" (also unit #${prev + 1}): ids must be unique`));
    ids.set(u.id, i);
    [u.name, ...u.aliases].forEach((name, j) => {
      const path = j === 0 ? ['units', i, 'name'] : ['units', i, 'aliases', j - 1];
      const key = normalizeName(name);
      if ([...key].length < 2) problems.push(file.problem(path, `"${name}" is too short to match safely: use two or more characters`));
      if (organiser.has(key)) problems.push(file.problem(path, `"${name}" is one of the organiser's own names (campaign.yaml organiser.names): remove it here`));
      const owner = names.get(key);
      if (owner !== undefined && owner !== u.id) problems.push(file.problem(path, `"${name}" is also a name of unit "${owner}": a name may belong to one unit only`));
      names.set(key, u.id);
    });
    u.addresses.forEach((a, j) => {
      const key = a.toLowerCase();
      const owner = addresses.get(key);
      if (owner !== undefined && owner !== u.id) problems.push(file.problem(['units', i, 'addresses', j], `address ${a} is also listed for unit "${owner}": an address may belong to one unit only`));
      addresses.set(key, u.id);
    });
  });
  return problems;
}

