/**
 * `cases verify --server URL`: the local log against the checkpoints the backend holds (issue 10 item 2). A user
 * who holds the local key can rewrite or roll back the file consistently, but not what the server already has:
 * every server checkpoint must still be reached by the log with the same ledger hash. Where one is not, the
 * server's copy of the events in that stretch names the first case and seq that differ.
 */
import type { CheckpointsResponse, ChainBreak, LedgerResponse } from '../../shared/cases';
import { backendEndpoint } from '../call/backend-urls';
import type { LedgerAnchor, VerifyReport } from './ledger-verify';
import type { CaseStore } from './store';

export interface ServerVerifyOptions {
  serverUrl: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface ServerVerifyReport extends VerifyReport {
  server: { url: string; checkpoints: number; head: { gseq: number; ledgerHash: string } | null };
}

async function getJson<T>(o: ServerVerifyOptions, path: string): Promise<T> {
  const url = backendEndpoint(o.serverUrl, path);
  let response: Response;
  try {
    // never follow a redirect with the token
    response = await (o.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${o.token}` }, redirect: 'manual', signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
  } catch (error) {
    throw new Error(`backend unreachable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error) detail = `${body.error.code ?? response.status}: ${body.error.message ?? ''}`;
    } catch {
      /* not our error body */
    }
    throw new Error(`backend refused ${url.pathname}: ${detail}`);
  }
  return JSON.parse(text) as T;
}

async function allCheckpoints(o: ServerVerifyOptions): Promise<CheckpointsResponse> {
  const all: CheckpointsResponse['checkpoints'] = [];
  let head: CheckpointsResponse['head'] | undefined;
  for (let after = 0; ; ) {
    const page = await getJson<CheckpointsResponse>(o, `/api/v1/sync/checkpoints?after=${after}&limit=1000`);
    head = page.head;
    all.push(...page.checkpoints);
    const last = page.checkpoints[page.checkpoints.length - 1];
    if (!last || page.checkpoints.length < 1000) break;
    after = last.gseq;
  }
  return { checkpoints: all, head: head ?? null };
}

/** The first position in [from, to] where the server's copy and the local log disagree. */
async function firstDifference(store: CaseStore, o: ServerVerifyOptions, from: number, to: number): Promise<ChainBreak | null> {
  for (let a = from; a <= to; a += 5000) {
    const b = Math.min(to, a + 4999);
    const remote = (await getJson<LedgerResponse>(o, `/api/v1/sync/ledger?from=${a}&to=${b}`)).events;
    const local = new Map(store.ledgerEvents(a, b).map((e) => [e.gseq, e]));
    for (const r of remote) {
      const l = local.get(r.gseq);
      if (!l) return { caseId: r.caseId, seq: r.seq, gseqFrom: r.gseq, gseqTo: r.gseq, reason: 'CHECKPOINT_ROLLBACK', message: `case ${r.caseId} seq ${r.seq} (gseq ${r.gseq}) is on the server but no longer in the log` };
      if (l.caseId !== r.caseId || l.seq !== r.seq || l.hash !== r.hash) {
        return { caseId: r.caseId, seq: r.seq, gseqFrom: r.gseq, gseqTo: r.gseq, reason: 'CHECKPOINT_FORK', message: `case ${r.caseId} seq ${r.seq} (gseq ${r.gseq}) differs from the copy the server holds (rewritten)` };
      }
    }
  }
  return null;
}

export async function verifyAgainstServer(store: CaseStore, o: ServerVerifyOptions): Promise<ServerVerifyReport> {
  const remote = await allCheckpoints(o);
  const source = `the server ${new URL(o.serverUrl).origin}`;
  const anchors: LedgerAnchor[] = remote.checkpoints.map((c) => ({ gseq: c.gseq, ledgerHash: c.ledgerHash, source }));
  const report = store.verify(anchors);
  // name the first differing event behind the first checkpoint the log no longer agrees with
  const firstBad = report.breaks.find((b) => (b.reason === 'CHECKPOINT_FORK' || b.reason === 'CHECKPOINT_ROLLBACK') && b.message.includes(source));
  if (firstBad?.gseqFrom !== undefined) {
    const badGseq = firstBad.reason === 'CHECKPOINT_ROLLBACK' ? (firstBad.gseqTo ?? firstBad.gseqFrom) : firstBad.gseqFrom;
    const previousGood = Math.max(0, ...remote.checkpoints.filter((c) => c.gseq < badGseq && !report.breaks.some((b) => b.gseqFrom === c.gseq || (b.gseqFrom !== undefined && b.gseqTo !== undefined && b.gseqFrom <= c.gseq && c.gseq <= b.gseqTo))).map((c) => c.gseq));
    const detail = await firstDifference(store, o, previousGood + 1, badGseq);
    if (detail) report.breaks.unshift(detail);
  }
  return { ...report, ok: report.breaks.length === 0, server: { url: o.serverUrl, checkpoints: remote.checkpoints.length, head: remote.head } };
}
