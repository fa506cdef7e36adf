/**
 * A case's evidence for the case page: the list (no bytes) and one image at a time, decrypted in main for the
 * screen only (DESIGN.md §7: biometric data stays encrypted at rest; nothing clear is written anywhere). An id
 * that is not evidence of the asked case is NOT_FOUND, as if it did not exist: the page can only show what
 * belongs to the case it shows.
 */
import type Database from 'better-sqlite3';
import { sniffImageType } from '../../common/image-signature';
import { AppFailure } from '../../shared/errors';
import { EVIDENCE_ITEM_KINDS, type CaseEvidenceImage, type CaseEvidenceItem } from '../../shared/review';

/** The part of CaseStore this reads. */
export interface EvidenceStore {
  readonly db: Database.Database;
  readEvidence(evidenceId: string): Buffer | null;
}

/** Kinds that are pictures (an embedding is a vector, never shown). */
const IMAGE_KINDS = new Set(['frame', 'face_crop', 'id_photo']);

interface Row {
  evidence_id: string;
  case_id: string;
  kind: string;
  bytes: number;
  created_at: number;
  purged: number;
}

export class CaseEvidence {
  constructor(private readonly store: EvidenceStore) {}

  list(caseId: string): CaseEvidenceItem[] {
    const rows = this.store.db
      .prepare('SELECT evidence_id, case_id, kind, bytes, created_at, (purged_at IS NOT NULL OR ciphertext IS NULL) AS purged FROM evidence WHERE case_id = ? ORDER BY created_at, rowid')
      .all(caseId) as Row[];
    return rows
      .filter((r) => (EVIDENCE_ITEM_KINDS as readonly string[]).includes(r.kind))
      .map((r) => ({ evidenceId: r.evidence_id, kind: r.kind as CaseEvidenceItem['kind'], bytes: r.bytes, createdAt: r.created_at, purged: r.purged === 1 }));
  }

  image(caseId: string, evidenceId: string): CaseEvidenceImage {
    const row = this.store.db.prepare('SELECT case_id, kind FROM evidence WHERE evidence_id = ?').get(evidenceId) as { case_id: string; kind: string } | undefined;
    if (!row || row.case_id !== caseId) throw new AppFailure('NOT_FOUND', `case ${caseId} has no evidence ${evidenceId}`);
    if (!IMAGE_KINDS.has(row.kind)) throw new AppFailure('NOT_FOUND', `evidence ${evidenceId} is not an image (${row.kind})`);
    const data = this.store.readEvidence(evidenceId);
    if (!data) throw new AppFailure('NOT_FOUND', `evidence ${evidenceId} was purged by retention`);
    const type = sniffImageType(data);
    if (!type) throw new AppFailure('CORRUPT_INPUT', `evidence ${evidenceId} is not a JPEG, PNG or WebP image`);
    return { mime: `image/${type}`, data: data.toString('base64') };
  }
}
