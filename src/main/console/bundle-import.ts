/**
 * console.importBundle: a signed export bundle into the console's imported source, only when verifyBundle says
 * so — its signature, every case's chain, and a signer the lead pinned (typed in the import dialog, or pinned
 * before in the console's signer list). A forged or unpinned bundle is refused with the reason and stores nothing.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { normaliseFingerprint, type ConsoleImportResult, type ImportRefusal } from '../../shared/console';
import type { KeyedHash } from '../caselog/case-facts';
import { verifyBundle, type ExportBundle } from '../caselog/export-bundle';
import type { ImportStore } from './import-store';

/** Bundles larger than this are not a desk's export (a year of one workstation's cases is far below it). */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export interface BundleInput {
  path?: string;
  /** base64 */
  bytes?: string;
  fingerprint?: string;
}

const refuse = (reason: ImportRefusal, detail: string, fingerprint: string | null = null): ConsoleImportResult => ({ ok: false, reason, detail, fingerprint });

async function readBundleBytes(input: BundleInput): Promise<Buffer | ConsoleImportResult> {
  if (input.bytes !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(input.bytes)) return refuse('unreadable', 'the file was not sent as base64');
    return Buffer.from(input.bytes, 'base64');
  }
  try {
    const info = await stat(input.path!);
    if (!info.isFile()) return refuse('unreadable', `${input.path} is not a file`);
    if (info.size > MAX_BUNDLE_BYTES) return refuse('unreadable', `${input.path} is larger than ${MAX_BUNDLE_BYTES} bytes`);
    return await readFile(input.path!);
  } catch (error) {
    return refuse('unreadable', `cannot read ${input.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * Verifies and, when everything holds, imports. `pinned`: the fingerprints already pinned; `fingerprint` from the
 * dialog wins over them (a bundle signed by anyone else is then refused even if that other key is pinned).
 */
export async function importBundle(input: BundleInput, ctx: { store: ImportStore; pinned: readonly string[]; idHash: KeyedHash; now: number }): Promise<ConsoleImportResult> {
  const bytes = await readBundleBytes(input);
  if (!Buffer.isBuffer(bytes)) return bytes;
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return refuse('not_a_bundle', 'the file is not JSON: not a VeriDesk export bundle');
  }
  // the signer's fingerprint first (no pin yet): which pin applies depends on it
  const probe = verifyBundle(raw);
  if (probe.error) return refuse('not_a_bundle', probe.error);
  const signer = probe.fingerprint!;
  const expected = input.fingerprint ?? ctx.pinned.find((p) => normaliseFingerprint(p) === normaliseFingerprint(signer));
  const report = verifyBundle(raw, expected === undefined ? {} : { expectFingerprint: expected });
  if (!report.signatureValid) return refuse('signature_invalid', `the signature does not verify: the bundle was changed after it was signed, or the signature is forged (claimed signer ${signer})`, signer);
  if (report.fingerprintMatches === false) return refuse('fingerprint_mismatch', `signed by ${signer}, not by the expected ${expected}`, signer);
  if (report.fingerprintMatches === null) return refuse('signer_not_pinned', `signer ${signer} is not pinned: enter the fingerprint the workstation's owner gave you`, signer);
  const brk = report.breaks[0];
  if (brk) return refuse('chain_broken', `${brk.message}${report.breaks.length > 1 ? ` (and ${report.breaks.length - 1} more)` : ''}`, signer);
  if (!report.ok) return refuse('signature_invalid', 'the bundle did not verify', signer);
  const bundle = raw as ExportBundle;
  const fileSha256 = createHash('sha256').update(bytes).digest('hex');
  if (ctx.store.hasFile(fileSha256)) {
    return { ok: true, fingerprint: signer, workstationId: bundle.workstationId, cases: bundle.cases.length, imported: 0, updated: 0, unchanged: bundle.cases.length, conflicts: [] };
  }
  const outcome = ctx.store.importVerified(bundle, { fileSha256, fingerprint: signer, now: ctx.now }, ctx.idHash);
  return { ok: true, fingerprint: signer, workstationId: bundle.workstationId, cases: bundle.cases.length, ...outcome };
}
