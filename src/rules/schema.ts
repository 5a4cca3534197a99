import { z } from 'zod';
import { isoTimeProblem, timeOfDayProblem } from './iso-time.js';

/** The items a unit can be asked for. `paper` is the sealed paper copy, recorded by hand. */
export const ITEM_KINDS = ['registration', 'plan'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
export type DocumentKind = ItemKind | 'other';

/** Text that `problemOf` finds nothing wrong with; what it finds is the issue's message. */
const textChecked = (problemOf: (s: string) => string | undefined) =>
  z.string().superRefine((s, ctx) => {
    const problem = problemOf(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/** An ISO time with an offset that exists (iso-time.ts names 2021-02-30 and 24:30 as such). */
const isoWithOffset = textChecked(isoTimeProblem);
const email = z.email({ message: 'must be an email address, e.g. someone@example.com' });
const nonEmpty = z.string().trim().min(1, { message: 'must not be empty' });

/** 08:30 every day, read in the campaign's timezone (China time for the shipped rules). */
export const DIGEST_DEFAULTS = { cron: '30 8 * * *', until_days_after_deadline: 3 };

export const CampaignSchema = z.strictObject({
  title: nonEmpty,
  mailbox: email,
  organiser: z.strictObject({
    name: nonEmpty,
    department: nonEmpty,
    /** Text, quoted in YAML: unquoted, 07928227328 is read as the number 7928227328. */
    phone: nonEmpty,
    /** Names by which the organiser itself is written; never evidence of a sender's unit. */
    names: z.array(nonEmpty).default([]),
  }),
  /** When the call opened; mail received before it is not part of the campaign. */
  opens: isoWithOffset.optional(),
  deadline: isoWithOffset,
  /** Minutes after the deadline that still count as on time (a server's clock skew, a late relay). */
  grace_minutes: z.number().int().min(0).default(0),
  /** The zone times are written in for people. */
  timezone: z.string().default('Asia/Shanghai'),
  required: z.array(z.enum(ITEM_KINDS)).min(1, { message: 'list at least one required item' }),
  staff: z
    .strictObject({
      digest_recipients: z.array(email).default([]),
    })
    .default({ digest_recipients: [] }),
  /** When the daily digest goes to staff.digest_recipients (node-cron syntax, checked in rules check). */
  digest: z
    .strictObject({
      cron: nonEmpty.default(DIGEST_DEFAULTS.cron),
      /** The zone the cron expression is read in; the campaign's timezone when absent. */
      timezone: z.string().optional(),
      /** The digest runs every day from the opening until this many days after the deadline. */
      until_days_after_deadline: z.number().int().min(0).default(DIGEST_DEFAULTS.until_days_after_deadline),
    })
    .default(DIGEST_DEFAULTS),
  replies: z
    .strictObject({
      from_name: nonEmpty.optional(),
      /** Words that make a message without attachments plausibly a submission (worth a review reply). */
      campaign_keywords: z.array(nonEmpty).default([]),
      /** At most this many replies and reminders to one address in any 24 hours; more wait, none is dropped. */
      per_recipient_per_day: z.number().int().min(1, { message: 'must be 1 or more (replies over the limit wait, they are never dropped)' }).default(10),
    })
    .default({ campaign_keywords: [], per_recipient_per_day: 10 }),
  /** The paper copy with the official seal, delivered by hand or post and recorded with `intake paper`. */
  paper: z
    .strictObject({
      /** Whether a unit is complete only with its paper copy. */
      required: z.boolean().default(false),
      /** When the paper copy is due; the campaign deadline when not given. */
      deadline: isoWithOffset.optional(),
      /** How replies and reminders name it. */
      label: nonEmpty.default('加盖单位公章的纸质版'),
      /** Where it goes, as replies say it (e.g. the department and its address). */
      deliver_to: nonEmpty.optional(),
    })
    .default({ required: false, label: '加盖单位公章的纸质版' }),
  /** Reminders to units still incomplete, at set times before the deadline. */
  reminders: z
    .strictObject({
      subject: nonEmpty.default('【提醒】参赛材料报送即将截止'),
      times: z
        .array(
          z.strictObject({
            /** Days before the deadline's day (0: on the deadline's day). */
            days_before: z.number().int().min(0, { message: 'must be 0 (the deadline day) or more' }),
            /** Time of day in the campaign's time zone, "HH:MM" (quote it in YAML). */
            at: textChecked(timeOfDayProblem),
          }),
        )
        .default([]),
    })
    .default({ subject: '【提醒】参赛材料报送即将截止', times: [] }),
});
export type Campaign = z.infer<typeof CampaignSchema>;

export const UNIT_KINDS = ['district', 'county', 'city', 'zone', 'department', 'enterprise', 'other'] as const;

export const UnitSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'ids are lower-case letters, digits and dashes, e.g. xunyang' }),
  name: nonEmpty,
  kind: z.enum(UNIT_KINDS).default('other'),
  aliases: z.array(nonEmpty).default([]),
  addresses: z.array(email).default([]),
});
export type Unit = z.infer<typeof UnitSchema>;

export const SIGNALS = ['address', 'display_name', 'subject', 'filename', 'form_unit', 'document', 'body', 'forwarded_from'] as const;
export type Signal = (typeof SIGNALS)[number];

export const MatchingSchema = z.strictObject({
  /** Weight of each signal; a unit's score is the sum over the signals that named it. */
  weights: z.strictObject(Object.fromEntries(SIGNALS.map((s) => [s, z.number().min(0).max(10)])) as Record<Signal, z.ZodNumber>),
  /** A unit is chosen automatically only when its score reaches this. */
  threshold: z.number().min(0),
  /** ...and beats the runner-up by at least this much; otherwise the message goes to review. */
  margin: z.number().min(0),
  /** When two different units are each named by one of these signals, a person decides. */
  decisive_signals: z.array(z.enum(SIGNALS)).default(['address', 'display_name', 'form_unit']),
});
export type Matching = z.infer<typeof MatchingSchema>;

export const UnitsFileSchema = z.strictObject({
  matching: MatchingSchema,
  units: z.array(UnitSchema).min(1, { message: 'list at least one unit' }),
});

const KindRuleSchema = z.strictObject({
  label: nonEmpty,
  filename_keywords: z.array(nonEmpty).default([]),
  content_keywords: z.array(nonEmpty).default([]),
  /** Column headers of a table that make it this kind of document (needs three or more in one row). */
  table_headers: z.array(nonEmpty).default([]),
  /** Section headings typical of this kind of document (needs two or more to count). */
  structure_keywords: z.array(nonEmpty).default([]),
});
export type KindRule = z.infer<typeof KindRuleSchema>;

export const FORM_FIELDS = ['unit', 'project', 'participants', 'contact', 'phone', 'notes'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** Column headers of one form field; an empty list would read nothing (issue-message.ts says what each is for). */
const headerList = z.array(nonEmpty).min(1, { message: 'list at least one column header' });

export const DocumentsFileSchema = z.strictObject({
  kinds: z.strictObject({ registration: KindRuleSchema, plan: KindRuleSchema }),
  // unit, contact and phone are what the registration-form reader must find
  // (classify/registration-form.ts): a form without them is answered as incomplete, so they need
  // headers. The others only fill the digest's workbook.
  form_fields: z.strictObject({
    unit: headerList,
    contact: headerList,
    phone: headerList,
    project: headerList.default([]),
    participants: headerList.default([]),
    notes: headerList.default([]),
  } satisfies Record<FormField, z.ZodType>),
  limits: z
    .strictObject({
      /** Largest single attachment read, in bytes. */
      max_attachment_bytes: z.number().int().positive().default(25 * 1024 * 1024),
      /** Largest total of bytes expanded out of archives for one message. */
      max_expanded_bytes: z.number().int().positive().default(100 * 1024 * 1024),
      /** Entries one archive may list; more and the archive is not opened. */
      max_archive_entries: z.number().int().positive().default(500),
      /** Files one message may hold in all, across its archives and forwarded messages. */
      max_files: z.number().int().positive().default(1000),
      /** Containers inside containers (a zip in a forwarded message is depth 2). */
      max_depth: z.number().int().positive().default(4),
      /** Expanded size over packed size beyond which an entry is a zip bomb (entries over 1 MiB). */
      max_compression_ratio: z.number().positive().default(200),
      /** Characters of each document's text kept in the database. */
      max_text_chars: z.number().int().positive().default(20000),
    })
    .default({
      max_attachment_bytes: 25 * 1024 * 1024,
      max_expanded_bytes: 100 * 1024 * 1024,
      max_archive_entries: 500,
      max_files: 1000,
      max_depth: 4,
      max_compression_ratio: 200,
      max_text_chars: 20000,
    }),
});
export type DocumentsRules = z.infer<typeof DocumentsFileSchema>;
export type Limits = DocumentsRules['limits'];
