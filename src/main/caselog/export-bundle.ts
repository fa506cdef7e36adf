import { createHash, createPublicKey, sign, verify as verifySignature, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type Database from 'better-sqlite3';
import { CaseEventSchema, type CaseEvent, type CaseListFilter, type CaseSummary, type ChainBreak, type Review } from '../../shared/cases';
import type { RecordingRef } from '../../shared/console';
import { canonicalJson } from './canonical';
import { verifyRun } from './chain';
import type { CaseStore } from './store';
import { rawPublicKey } from './sync-queue';

/**
 * Signed export bundle (DESIGN.md §7): the cases' summaries and full event chains, no biometric
 * data, signed with the workstation's Ed25519 key. A team lead verifies it offline with
 * `veridesk cases verify --bundle FILE [--fingerprint FP]`, or imports it into the 质检 console.
 *
 * Each case also carries the team-lead reviews the workstation received and references to its recordings
 * (ids, sha256, duration — never the media). Both are optional fields of the same format: they are covered by the
 * signature like everything else, and a verifier that predates them still verifies the chains and the signature.
 */
export const EXPORT_FORMAT = 'veridesk-export/1';

export interface ExportCase {
  summary: CaseSummary;
  events: CaseEvent[];
  reviews?: Review[];
  recordings?: RecordingRef[];
}

export interface ExportBundle {
  format: typeof EXPORT_FORMAT;
  createdAt: number;
  workstationId: string;
  signer: { alg: 'ed25519'; publicKey: string; fingerprint: string };
  cases: ExportCase[];
  signature: string;
}

const BundleSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  createdAt: z.number().int(),
  workstationId: z.string(),
  signer: z.object({ alg: z.literal('ed25519'), publicKey: z.string(), fingerprint: z.string() }),
  cases: z.array(
    z.object({
      summary: z.record(z.string(), z.unknown()),
      events: z.array(CaseEventSchema),
      reviews: z.array(z.record(z.string(), z.unknown())).optional(),
      recordings: z.array(z.record(z.string(), z.unknown())).optional(),
    }),
  ),
  signature: z.string(),
});

/** The reviews a case received (pulled from the backend), oldest first. */
export function caseReviews(db: Database.Database, caseId: string): Review[] {
  return db
    .prepare('SELECT review_id AS reviewId, case_id AS caseId, outcome, reviewer, note, created_at AS createdAt FROM reviews WHERE case_id = ? ORDER BY review_id')
    .all(caseId) as Review[];
}

/** References to a case's recordings: what a verifier can match a media file against, not the media. */
export function caseRecordings(db: Database.Database, caseId: string): RecordingRef[] {
  const rows = db
    .prepare('SELECT recording_id, call_id, track, mime_type, state, sha256, bytes, duration_ms, started_at, stopped_at, purged_at FROM recordings WHERE case_id = ? ORDER BY created_at, recording_id')
    .all(caseId) as { recording_id: string; call_id: string | null; track: string | null; mime_type: string | null; state: string; sha256: string | null; bytes: number; duration_ms: number | null; started_at: number | null; stopped_at: number | null; purged_at: number | null }[];
  return rows.map((r) => ({
    recordingId: r.recording_id,
    callId: r.call_id,
    track: r.track,
    mimeType: r.mime_type,
    state: r.state,
    sha256: r.sha256,
    bytes: r.bytes,
    durationMs: r.duration_ms,
    startedAt: r.started_at,
    stoppedAt: r.stopped_at,
    purged: r.purged_at !== null,
  }));
}

export function publicKeyFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('hex').slice(0, 32).replace(/(.{4})(?!$)/g, '$1:');
}

const signedBody = (b: Omit<ExportBundle, 'signature'>): Buffer => Buffer.from(canonicalJson(b), 'utf8');

export function buildExport(store: CaseStore, options: { filter?: CaseListFilter; caseIds?: string[]; now?: number } = {}): ExportBundle {
  let ids = options.caseIds;
  if (!ids) {
    ids = [];
    for (let offset = 0; ; offset += 5000) {
      const page = store.listCases({ ...options.filter, limit: 5000, offset }).map((c) => c.caseId);
      ids.push(...page);
      if (page.length < 5000) break;
    }
  }
  const cases = ids.map((id) => {
    const { events, ...summary } = store.getCase(id);
    return { summary, events, reviews: caseReviews(store.db, id), recordings: caseRecordings(store.db, id) };
  });
  return signExport(store, cases, options.now);
}

/** Signs cases (this workstation's, or imported ones the 质检 console passes on) with the workstation's key. */
export function signExport(store: Pick<CaseStore, 'workstationId' | 'publicKey' | 'signingKey'>, cases: ExportCase[], now?: number): ExportBundle {
  const body: Omit<ExportBundle, 'signature'> = {
    format: EXPORT_FORMAT,
    createdAt: now ?? Date.now(),
    workstationId: store.workstationId,
    signer: {
      alg: 'ed25519',
      publicKey: store.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      fingerprint: publicKeyFingerprint(store.publicKey),
    },
    // Round-trip through JSON so the signed value equals what a verifier parses.
    cases: JSON.parse(JSON.stringify(cases)) as ExportBundle['cases'],
  };
  return { ...body, signature: sign(null, signedBody(body), store.signingKey).toString('base64') };
}

export interface BundleVerifyReport {
  ok: boolean;
  signatureValid: boolean;
  fingerprint: string | null;
  fingerprintMatches: boolean | null;
  /** Whether the signer is the key the backend registered for the workstation (null: not asked). */
  signerRegistered: boolean | null;
  casesChecked: number;
  eventsChecked: number;
  breaks: ChainBreak[];
  error?: string;
}

/**
 * Verifies the signature, who signed it, and every case's chain. A valid signature alone proves only that
 * someone holding some key signed it, so the bundle is OK only when its signer is pinned (`expectFingerprint`,
 * given out of band) or is the key the backend registered for the workstation (`registeredPublicKey`, raw base64).
 */
export function verifyBundle(raw: unknown, options: { expectFingerprint?: string; registeredPublicKey?: string } = {}): BundleVerifyReport {
  const parsed = BundleSchema.safeParse(raw);
  const empty = { signatureValid: false, fingerprint: null, fingerprintMatches: null, signerRegistered: null, casesChecked: 0, eventsChecked: 0, breaks: [] };
  if (!parsed.success) return { ok: false, ...empty, error: `not a VeriDesk export bundle: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const bundle = raw as ExportBundle;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(bundle.signer.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return { ok: false, ...empty, error: 'the bundle signer public key is unreadable' };
  }
  const fingerprint = publicKeyFingerprint(publicKey);
  const { signature, ...body } = bundle;
  const signatureValid = verifySignature(null, signedBody(body), publicKey, Buffer.from(signature, 'base64'));
  const norm = (f: string) => f.replace(/[^0-9a-f]/gi, '').toLowerCase();
  const fingerprintMatches = options.expectFingerprint === undefined ? null : norm(options.expectFingerprint) === norm(fingerprint);
  const breaks: ChainBreak[] = [];
  let eventsChecked = 0;
  for (const c of bundle.cases) {
    eventsChecked += c.events.length;
    const caseId = String(c.summary.caseId);
    const foreign = c.events.find((e) => e.caseId !== caseId);
    if (foreign) {
      breaks.push({ caseId, seq: foreign.seq, reason: 'CHAIN_FORK', message: `case ${caseId} seq ${foreign.seq}: event belongs to case ${foreign.caseId}` });
      continue;
    }
    const b = verifyRun(c.events);
    const last = c.events[c.events.length - 1];
    if (b) breaks.push(b);
    else if (c.summary.lastHash !== (last?.hash ?? null) || c.summary.eventCount !== c.events.length) {
      breaks.push({ caseId, seq: (last?.seq ?? 0) + 1, reason: 'CHAIN_TRUNCATED', message: `case ${caseId}: the summary records ${String(c.summary.eventCount)} events, the bundle holds ${c.events.length}` });
    }
  }
  const signerRegistered = options.registeredPublicKey === undefined ? null : rawPublicKey(publicKey) === options.registeredPublicKey;
  const pinned = fingerprintMatches === true || signerRegistered === true;
  const refused = fingerprintMatches === false || signerRegistered === false;
  const ok = signatureValid && pinned && !refused && breaks.length === 0;
  return { ok, signatureValid, fingerprint, fingerprintMatches, signerRegistered, casesChecked: bundle.cases.length, eventsChecked, breaks };
}
