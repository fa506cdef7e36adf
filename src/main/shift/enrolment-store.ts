/**
 * The enrolled face of each agent id (table shift_enrolments): only the embedding, sealed with the case log's data
 * key (AES-256-GCM, bound to the agent id and the model by AAD, so a row copied to another agent does not decrypt).
 * The photo itself is not kept: a re-enrolment after a model change needs the photo again, which is the rarer cost.
 */
import type Database from 'better-sqlite3';
import { decrypt, encrypt } from '../caselog/encryption';

export interface Enrolment {
  agentId: string;
  embedding: Float32Array;
  modelSha256: string;
  enrolledAt: number;
}

const aadOf = (agentId: string, modelSha256: string): string => `veridesk-shift-enrolment/1:${agentId}:${modelSha256}`;

export class EnrolmentStore {
  constructor(
    private readonly db: Database.Database,
    private readonly dataKey: Buffer,
  ) {}

  /** Stores (or replaces) the agent's enrolment. */
  save(e: Enrolment): void {
    const plain = Buffer.from(e.embedding.buffer, e.embedding.byteOffset, e.embedding.byteLength);
    const sealed = encrypt(this.dataKey, plain, aadOf(e.agentId, e.modelSha256));
    this.db
      .prepare(
        'INSERT INTO shift_enrolments (agent_id, embedding, model_sha256, enrolled_at) VALUES (?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET embedding = excluded.embedding, model_sha256 = excluded.model_sha256, enrolled_at = excluded.enrolled_at',
      )
      .run(e.agentId, sealed, e.modelSha256, e.enrolledAt);
  }

  /** The agent's enrolment, decrypted (null: none). A tampered row throws CORRUPT_INPUT. */
  load(agentId: string): Enrolment | null {
    const row = this.db.prepare('SELECT embedding, model_sha256, enrolled_at FROM shift_enrolments WHERE agent_id = ?').get(agentId) as
      | { embedding: Buffer; model_sha256: string; enrolled_at: number }
      | undefined;
    if (!row) return null;
    const plain = decrypt(this.dataKey, row.embedding, aadOf(agentId, row.model_sha256));
    const embedding = new Float32Array(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength));
    return { agentId, embedding, modelSha256: row.model_sha256, enrolledAt: row.enrolled_at };
  }

  /** Without decrypting: when and with which model (for the status). */
  info(agentId: string): Omit<Enrolment, 'embedding'> | null {
    const row = this.db.prepare('SELECT model_sha256, enrolled_at FROM shift_enrolments WHERE agent_id = ?').get(agentId) as { model_sha256: string; enrolled_at: number } | undefined;
    return row ? { agentId, modelSha256: row.model_sha256, enrolledAt: row.enrolled_at } : null;
  }
}
