/**
 * The 质检 console in main (issue 11 items 4-7): one place that answers the contract's console.* methods over the
 * three sources — this workstation's case log ('local'), imported signed bundles ('bundle', ./import-store.ts) and
 * the lead API ('backend', ./backend-source.ts) — after checking, every time, that the current backend token is a
 * lead's (./console-access.ts).
 *
 * The backend source answers lists (the server's filters and opaque keyset cursor), statistics (per day and per
 * agent), samples, single cases, reviews and CSV exports, the customer-reference filter included
 * (./backend-source.ts: the server searches with its own lookup key, the reference in a POST body):
 * - sampling: the server draws (GET /api/v1/lead/sample) with the same algorithm as the local sources
 *   (src/shared/console-sample.ts), so only the sample crosses the network, not every matching case;
 * - CSV export: the chosen cases' rows as the lead API lists them (POST /api/v1/lead/cases/rows, 500 ids a
 *   request, the console's selection at most CONSOLE_EXPORT_MAX), written by the one CSV writer (./csv.ts).
 * - the wallboard (坐席看板): GET /api/v1/lead/wallboard, the queue's numbers; only the backend has a queue.
 * It still refuses, UNAVAILABLE, the signed bundle: a bundle is signed by the workstation that holds the cases'
 * chain and its key (caselog/export-bundle.ts); the server's copy is not that workstation, and signing it here
 * would vouch for cases this workstation never held — the lead exports a bundle on the agent's workstation, or CSV.
 */
import { join } from 'node:path';
import type { Review } from '../../shared/cases';
import type {
  ConsoleAccess,
  ConsoleCaseDetail,
  ConsoleFilter,
  ConsoleImportResult,
  ConsolePage,
  ConsoleSample,
  ConsoleSource,
  ConsoleStats,
  ConsoleTextFile,
  PinnedSigner,
  QaCategory,
  QaOutcome,
  StatsTable,
} from '../../shared/console';
import { AppFailure } from '../../shared/errors';
import { completeCustomerRefHashes, type FactsRow } from '../caselog/case-facts';
import { buildExport, caseRecordings, caseReviews, signExport, type ExportCase } from '../caselog/export-bundle';
import type { CaseStore } from '../caselog/store';
import type { Logger } from '../log/logger';
import type { TokenFor } from '../settings/backend-tokens';
import type { Wallboard } from '../../shared/queue';
import type { CaseRecording } from '../../shared/review';
import type { MediaTokens } from '../review/media-token';
import { backendCaseRecordings } from './backend-recording-media';
import { backendWallboard } from './backend-wallboard';
import { BackendSource } from './backend-source';
import { importBundle } from './bundle-import';
import { ConsoleAccessCheck } from './console-access';
import { casesCsv, statsCsv } from './csv';
import { factsByIds, listFacts, toRow, type FactsDb } from './facts-list';
import { computeStats } from './facts-stats';
import { ImportStore } from './import-store';
import { LeadApi } from './lead-api';
import { PinnedSigners } from './pinned-signers';
import { postReview } from './review-post';
import { drawSample, type SampleOptions } from './sample';

export interface ConsoleServiceOptions {
  store: CaseStore;
  /** console.db (imported bundles, posted reviews) and console-signers.json live here. */
  dataDir: string;
  backendUrl: () => string;
  tokenFor: TokenFor;
  fetchImpl?: typeof fetch;
  now?: () => number;
  log?: Logger;
  /** The backend source's recordings: tokens labelled BACKEND_MEDIA_LABEL and the media URL they go in. */
  backendMedia?: { tokens: MediaTokens; mediaUrl: (recordingId: string, token: string) => string };
}

/** Bilingual like the server's refusals: main's message is shown beneath the UI's own words (ConsoleError). */
export const BACKEND_BUNDLE_REFUSAL =
  '签名包只能由持有案件链密钥的坐席工作站导出，后台的副本无法代它签名；请导出 CSV，或在该坐席的工作站导出签名包 / a signed bundle must come from the workstation that holds the case chain and its key; a backend copy cannot be signed for it: export CSV, or the bundle on the agent’s workstation';

const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]|\.\d{3}/g, '');

export class ConsoleService {
  private readonly api: LeadApi;
  private readonly accessCheck: ConsoleAccessCheck;
  private readonly backend: BackendSource;
  private readonly signers: PinnedSigners;
  private readonly now: () => number;
  private imports: ImportStore | null = null;
  private localReady = false;

  constructor(private readonly options: ConsoleServiceOptions) {
    this.now = options.now ?? Date.now;
    this.api = new LeadApi({ backendUrl: options.backendUrl, tokenFor: options.tokenFor, fetchImpl: options.fetchImpl });
    this.accessCheck = new ConsoleAccessCheck(this.api, this.now);
    this.backend = new BackendSource(this.api);
    this.signers = new PinnedSigners(join(options.dataDir, 'console-signers.json'), this.now);
  }

  private readonly idHash = (text: string): string => this.options.store.idHash(text);

  close(): void {
    this.imports?.close();
    this.imports = null;
  }

  /** Opened on first use: an agent's workstation that never opens the console never gets a console.db. */
  private importStore(): ImportStore {
    this.imports ??= ImportStore.open(join(this.options.dataDir, 'console.db'));
    return this.imports;
  }

  private facts(source: ConsoleSource): FactsDb {
    if (source === 'local') {
      const { store } = this.options;
      if (!this.localReady) {
        // references migration 5 could not hash (no key in migrations): once, before the first search
        const n = completeCustomerRefHashes(store.db, this.idHash);
        if (n > 0) this.options.log?.info({ cases: n }, 'console: customer references hashed for search');
        this.localReady = true;
      }
      return { db: store.db, source, idHash: this.idHash, workstationOf: (ids) => new Map(ids.map((id) => [id, store.workstationId])) };
    }
    if (source === 'bundle') {
      const imports = this.importStore();
      return { db: imports.db, source, idHash: this.idHash, workstationOf: (ids) => imports.workstationOf(ids) };
    }
    // every backend question goes to the lead API (./backend-source.ts): this workstation holds no table of them
    throw new AppFailure('UNAVAILABLE', "the backend's cases are not held on this workstation: ask the lead API");
  }

  access(): Promise<ConsoleAccess> {
    return this.accessCheck.check();
  }

  async list(p: { source: ConsoleSource; filter: ConsoleFilter; cursor?: string | null; limit: number }): Promise<ConsolePage> {
    await this.accessCheck.requireLead();
    if (p.source === 'backend') return this.backend.list(p.filter, p.cursor, p.limit);
    return listFacts(this.facts(p.source), p.filter, p.cursor, p.limit);
  }

  async stats(p: { source: ConsoleSource; filter: ConsoleFilter; tzOffsetMinutes: number }): Promise<ConsoleStats> {
    await this.accessCheck.requireLead();
    if (p.source === 'backend') return this.backend.stats(p.filter, p.tzOffsetMinutes);
    return computeStats(this.facts(p.source), p.filter, p.tzOffsetMinutes);
  }

  async statsCsv(p: { source: ConsoleSource; filter: ConsoleFilter; tzOffsetMinutes: number; table: StatsTable }): Promise<ConsoleTextFile> {
    const stats = await this.stats(p);
    return { filename: `veridesk-stats-${p.table}-${stamp(this.now())}.csv`, mime: 'text/csv', text: statsCsv(stats, p.table) };
  }

  /**
   * The queue's wallboard (坐席看板) for the lead's day: backend only — there is no source choice, since neither this
   * workstation's case log nor an imported bundle holds a queue (./backend-wallboard.ts).
   */
  async wallboard(p: { tzOffsetMinutes: number }): Promise<Wallboard> {
    await this.accessCheck.requireLead();
    return backendWallboard(this.api, p.tzOffsetMinutes);
  }

  async sample(p: { source: ConsoleSource; filter: ConsoleFilter } & SampleOptions): Promise<ConsoleSample> {
    await this.accessCheck.requireLead();
    if (p.source === 'backend') return this.backend.sample(p.filter, p);
    return drawSample(this.facts(p.source), p.filter, p);
  }

  async caseDetail(p: { source: ConsoleSource; caseId: string }): Promise<ConsoleCaseDetail> {
    await this.accessCheck.requireLead();
    const posted = this.importStore().posted(p.caseId);
    if (p.source === 'backend') {
      // recordings stay with the recording API (docs/recording-upload.md): console.recordings lists and plays them
      const c = await this.backend.detail(p.caseId);
      return { row: c.row, idNumberMasked: c.idNumberMasked, events: c.events, reviews: c.reviews, recordings: [], posted, chainValid: c.chainValid };
    }
    const src = this.facts(p.source);
    const facts = src.db.prepare('SELECT * FROM case_facts WHERE case_id = ?').get(p.caseId) as FactsRow | undefined;
    if (!facts) throw new AppFailure('NOT_FOUND', `case ${p.caseId} is not in the ${p.source} source`);
    const row = toRow(facts, p.source, src.workstationOf([p.caseId]).get(p.caseId) ?? null);
    if (p.source === 'local') {
      const { store } = this.options;
      const summary = store.summary(p.caseId);
      return { row, idNumberMasked: summary.idNumberMasked, events: store.events(p.caseId), reviews: caseReviews(store.db, p.caseId), recordings: caseRecordings(store.db, p.caseId), posted };
    }
    const imported = this.importStore().getCase(p.caseId)!;
    return { row, idNumberMasked: imported.summary.idNumberMasked ?? null, events: imported.events, reviews: imported.reviews ?? [], recordings: imported.recordings ?? [], posted };
  }

  /**
   * A backend case's uploaded recordings (GET /api/v1/recordings?caseId=…) with media URLs main proxies with the
   * lead token (./backend-recording-media.ts). Local and imported cases' recordings are on the case page instead.
   */
  async recordings(p: { source: ConsoleSource; caseId: string }): Promise<CaseRecording[]> {
    await this.accessCheck.requireLead();
    if (p.source !== 'backend') throw new AppFailure('UNAVAILABLE', 'only the backend source lists uploaded recordings here (open a local case on its case page)');
    if (!this.options.backendMedia) throw new AppFailure('UNAVAILABLE', 'backend recordings cannot be played in this build');
    return backendCaseRecordings(p.caseId, { api: this.api, ...this.options.backendMedia });
  }

  async review(p: { source: ConsoleSource; caseId: string; outcome: QaOutcome; note: string; categories: QaCategory[] }): Promise<Review> {
    const lead = await this.accessCheck.requireLead();
    const agentId = this.agentOf(p.source, p.caseId);
    const review = await postReview(this.api, lead.name, { caseId: p.caseId, outcome: p.outcome, note: p.note, categories: p.categories, agentId });
    this.importStore().recordPosted(lead.origin, review);
    return review;
  }

  private agentOf(source: ConsoleSource, caseId: string): string | null {
    // the server refuses a lead's own case itself (403); its list already showed the agent to the renderer's form
    if (source === 'backend') return null;
    const row = this.facts(source).db.prepare('SELECT agent_id FROM case_facts WHERE case_id = ?').pluck().get(caseId) as string | undefined;
    return row ?? null;
  }

  async importBundle(p: { path?: string; bytes?: string; fingerprint?: string; remember: boolean }): Promise<ConsoleImportResult> {
    await this.accessCheck.requireLead();
    const result = await importBundle(p, { store: this.importStore(), pinned: this.signers.fingerprints(), idHash: this.idHash, now: this.now() });
    if (result.ok && p.remember && p.fingerprint) await this.signers.set(result.fingerprint, true);
    this.options.log?.info({ ok: result.ok, reason: result.ok ? undefined : result.reason, signer: result.fingerprint }, 'console: bundle import');
    return result;
  }

  async pinnedSigners(): Promise<PinnedSigner[]> {
    await this.accessCheck.requireLead();
    return this.signers.all();
  }

  async pinSigner(p: { fingerprint: string; label: string; pinned: boolean }): Promise<PinnedSigner[]> {
    await this.accessCheck.requireLead();
    return this.signers.set(p.fingerprint, p.pinned, p.label);
  }

  async export(p: { source: ConsoleSource; format: 'bundle' | 'csv'; caseIds: string[] }): Promise<ConsoleTextFile> {
    await this.accessCheck.requireLead();
    const at = this.now();
    if (p.format === 'csv') {
      const rows = p.source === 'backend' ? await this.backend.rows(p.caseIds) : factsByIds(this.facts(p.source), p.caseIds);
      return { filename: `veridesk-cases-${stamp(at)}.csv`, mime: 'text/csv', text: casesCsv(rows) };
    }
    // see the top of this file: a bundle is the holding workstation's signature, which a backend copy cannot have
    if (p.source === 'backend') throw new AppFailure('UNAVAILABLE', BACKEND_BUNDLE_REFUSAL);
    let bundle;
    if (p.source === 'local') bundle = buildExport(this.options.store, { caseIds: p.caseIds, now: at });
    else {
      // imported cases passed on, signed by this workstation: their chains still verify as their own
      const cases: ExportCase[] = p.caseIds.map((id) => {
        const c = this.importStore().getCase(id);
        if (!c) throw new AppFailure('NOT_FOUND', `case ${id} is not among the imported cases`);
        const { fingerprint: _fp, ...rest } = c;
        return rest;
      });
      bundle = signExport(this.options.store, cases, at);
    }
    return { filename: `veridesk-export-${stamp(at)}.json`, mime: 'application/json', text: `${JSON.stringify(bundle)}\n` };
  }
}
