import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { VERDICTS, type CaseListFilter, type ChainBreak, type Verdict } from '../../shared/cases';
import { buildExport, verifyBundle } from '../caselog/export-bundle';
import { FileKeyProvider } from '../caselog/key-provider';
import { seedCases } from '../caselog/seed';
import { verifyAgainstServer, type ServerVerifyReport } from '../caselog/server-verify';
import type { VerifyReport } from '../caselog/ledger-verify';
import { RecordingService } from '../recording/recording-service';
import { CaseStore } from '../caselog/store';
import { backendEndpoint } from '../call/backend-urls';
import { createLogger, silentLogger } from '../log/logger';
import { registerHeldCommands } from './held-commands';
import { SyncClient } from '../sync/sync-client';

/** The key file: --key-file, else VERIDESK_KEY_FILE, else `<db>.key` (0600, created on first use). */
const keyFileFor = (db: string, keyFile?: string) => keyFile || process.env.VERIDESK_KEY_FILE || `${db}.key`;

function openStore(opts: { db: string; keyFile?: string }): CaseStore {
  return CaseStore.open({ path: opts.db, keyProvider: new FileKeyProvider(keyFileFor(opts.db, opts.keyFile)) });
}

function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new Error(`--${name}: expected an ISO date or epoch milliseconds`);
  return t;
}

interface FilterOpts {
  agent?: string;
  verdict?: string;
  from?: string;
  to?: string;
  limit?: string;
}

function toFilter(o: FilterOpts): CaseListFilter {
  if (o.verdict && !(VERDICTS as readonly string[]).includes(o.verdict)) throw new Error(`--verdict: one of ${VERDICTS.join(', ')}`);
  return { agentId: o.agent, verdict: o.verdict as Verdict | undefined, from: parseTime(o.from, 'from'), to: parseTime(o.to, 'to'), limit: o.limit ? Number(o.limit) : undefined };
}

const withFilters = (c: Command) =>
  c
    .option('--agent <id>', 'only this agent')
    .option('--verdict <v>', `only this verdict (${VERDICTS.join('|')})`)
    .option('--from <date>', 'opened at or after (ISO date or epoch ms)')
    .option('--to <date>', 'opened before (ISO date or epoch ms)');

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));

/** One line per break: a case's (case and seq) or the ledger's (the global positions). */
const describeBreak = (b: ChainBreak) =>
  b.caseId
    ? `BROKEN: case ${b.caseId} seq ${b.seq}: ${b.reason}: ${b.message}`
    : `BROKEN: ledger${b.gseqFrom !== undefined ? ` gseq ${b.gseqFrom}${b.gseqTo !== undefined && b.gseqTo !== b.gseqFrom ? `–${b.gseqTo}` : ''}` : ''}: ${b.reason}: ${b.message}`;

/** The public key the backend pinned for a workstation (its first signed checkpoint). */
async function fetchRegisteredSigner(server: string, token: string, workstation: string): Promise<string> {
  const url = backendEndpoint(server, `/api/v1/sync/signer?workstation=${encodeURIComponent(workstation)}`);
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`the backend has no registered signer for workstation ${workstation} (HTTP ${response.status})`);
  const body = (await response.json()) as { publicKey?: unknown };
  if (typeof body.publicKey !== 'string') throw new Error('the backend answered without a public key');
  return body.publicKey;
}

/** `cases …`, `sync` (case log, issue 4). */
export function registerCaseCommands(program: Command): void {
  const cases = program.command('cases').description('the local case log: list, show, export, verify, seed, purge, held, release');
  registerHeldCommands(cases);

  withFilters(cases.command('list').description('the audit list, newest first'))
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file (default <db>.key or VERIDESK_KEY_FILE)')
    .option('--limit <n>', 'rows', '50')
    .option('--json', 'print JSON')
    .action((o: FilterOpts & { db: string; keyFile?: string; json?: boolean }) => {
      const store = openStore(o);
      try {
        const rows = store.listCases(toFilter(o));
        if (o.json) return console.log(JSON.stringify(rows, null, 2));
        for (const c of rows) {
          console.log([c.caseId, iso(c.openedAt), c.agentId, c.serviceType, c.status, c.verdict ?? '-', c.idNumberMasked ?? '-', `${c.eventCount} events`, c.reviewOutcome ?? ''].join('\t'));
        }
      } finally {
        store.close();
      }
    });

  cases
    .command('show')
    .description('one case with its event chain')
    .argument('<caseId>')
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file')
    .option('--json', 'print JSON')
    .action((caseId: string, o: { db: string; keyFile?: string; json?: boolean }) => {
      const store = openStore(o);
      try {
        const c = store.getCase(caseId);
        if (o.json) return console.log(JSON.stringify(c, null, 2));
        const { events, ...summary } = c;
        console.log(JSON.stringify(summary, null, 2));
        for (const e of events) console.log(`#${e.seq}\t${iso(e.at)}\t${e.type}\t${e.actor}\t${JSON.stringify(e.payload)}\t${e.hash.slice(0, 16)}…`);
      } finally {
        store.close();
      }
    });

  withFilters(cases.command('export').description('write a signed bundle a team lead can verify offline'))
    .requiredOption('--db <path>', 'case log database')
    .requiredOption('--out <file>', 'bundle to write (JSON)')
    .option('--key-file <path>', 'master key file')
    .option('--case <id...>', 'only these cases')
    .action((o: FilterOpts & { db: string; out: string; keyFile?: string; case?: string[] }) => {
      const store = openStore(o);
      try {
        const bundle = buildExport(store, { caseIds: o.case, filter: toFilter(o) });
        writeFileSync(o.out, `${JSON.stringify(bundle)}\n`, { mode: 0o600 });
        const events = bundle.cases.reduce((s, c) => s + c.events.length, 0);
        console.log(`exported ${bundle.cases.length} cases (${events} events) to ${o.out}`);
        console.log(`signer fingerprint ${bundle.signer.fingerprint} (workstation ${bundle.workstationId})`);
      } finally {
        store.close();
      }
    });

  cases
    .command('verify')
    .description("check every case's hash chain in a database or an export bundle; exit 1 naming the first broken case and seq")
    .option('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file')
    .option('--bundle <file>', 'export bundle')
    .option('--fingerprint <fp>', 'with --bundle: the signer fingerprint you expect')
    .option('--server <url>', "with --db: also hold the log to the checkpoints this backend keeps (a rollback or rewrite after sync is named); with --bundle: trust the signer the backend registered for the bundle's workstation")
    .option('--token <token>', 'with --server: API token (or VERIDESK_BACKEND_TOKEN / VERIDESK_SYNC_TOKEN); a lead token for --bundle')
    .option('--workstation <name>', "with --bundle --server: the workstation's name at the backend (default: the bundle's workstation id)")
    .option('--json', 'print JSON')
    .action(async (o: { db?: string; keyFile?: string; bundle?: string; fingerprint?: string; server?: string; token?: string; workstation?: string; json?: boolean }) => {
      const token = o.token ?? process.env.VERIDESK_BACKEND_TOKEN ?? process.env.VERIDESK_SYNC_TOKEN;
      if (o.server && !token) throw new Error('--server needs --token or VERIDESK_BACKEND_TOKEN');
      if (!o.db === !o.bundle) throw new Error('give exactly one of --db or --bundle');
      if (o.bundle) {
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(o.bundle, 'utf8'));
        } catch (e) {
          throw new Error(`cannot read bundle ${o.bundle}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
        const registeredPublicKey = o.server ? await fetchRegisteredSigner(o.server, token!, o.workstation ?? String((raw as { workstationId?: unknown }).workstationId ?? '')) : undefined;
        const r = verifyBundle(raw, { expectFingerprint: o.fingerprint, registeredPublicKey });
        if (o.json) console.log(JSON.stringify(r, null, 2));
        else {
          if (r.error) console.log(`INVALID: ${r.error}`);
          else {
            console.log(`signature: ${r.signatureValid ? 'valid' : 'INVALID'} (signer ${r.fingerprint ?? '?'})`);
            if (r.fingerprintMatches === false) console.log('signer fingerprint: DOES NOT MATCH the expected one');
            if (r.signerRegistered === false) console.log('signer: NOT the key the backend registered for this workstation');
            if (r.fingerprintMatches === null && r.signerRegistered === null) console.log('signer: not pinned: pass --fingerprint FP or --server URL to say who must have signed it (not OK without)');
            for (const b of r.breaks) console.log(describeBreak(b));
            console.log(`${r.casesChecked} cases, ${r.eventsChecked} events checked: ${r.ok ? 'OK' : 'FAILED'}`);
          }
        }
        if (!r.ok) process.exitCode = 1;
        return;
      }
      const store = openStore({ db: o.db!, keyFile: o.keyFile });
      try {
        const r: VerifyReport & Partial<Pick<ServerVerifyReport, 'server'>> = o.server ? await verifyAgainstServer(store, { serverUrl: o.server, token: token! }) : store.verify();
        if (o.json) console.log(JSON.stringify(r, null, 2));
        else {
          for (const b of r.breaks) console.log(describeBreak(b));
          const head = r.ledger.head ? `ledger head gseq ${r.ledger.head.gseq}` : 'empty ledger';
          const anchors = r.server ? `; ${r.server.checkpoints} server checkpoints` : r.ledger.anchorsChecked ? `; ${r.ledger.anchorsChecked} acknowledged checkpoints` : '';
          console.log(`${r.casesChecked} cases, ${r.eventsChecked} events checked (${head}${anchors}): ${r.ok ? 'OK' : 'FAILED'}`);
        }
        if (!r.ok) process.exitCode = 1;
      } finally {
        store.close();
      }
    });

  cases
    .command('seed')
    .description('write realistic synthetic cases (demos, benchmarks)')
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file')
    .option('--count <n>', 'cases', '100')
    .option('--agents <n>', 'distinct agents', '20')
    .option('--days <n>', 'spread over the last N days', '90')
    .option('--seed <n>', 'random seed', '42')
    .option('--evidence [items]', 'also synthetic biometric payloads: N random evidence blobs per case (default 2) and a small synthetic recording')
    .option('--recording-every <n>', 'with --evidence: a recording for every n-th case', '1')
    .action((o: { db: string; keyFile?: string; count: string; agents: string; days: string; seed: string; evidence?: string | boolean; recordingEvery: string }) => {
      const store = openStore(o);
      try {
        const t0 = performance.now();
        const evidence = o.evidence
          ? { items: o.evidence === true ? 2 : Number(o.evidence), recordingEvery: Number(o.recordingEvery), recorder: new RecordingService({ store, log: silentLogger }) }
          : undefined;
        const events = seedCases(store, { count: Number(o.count), agents: Number(o.agents), days: Number(o.days), seed: Number(o.seed), evidence });
        console.log(`seeded ${o.count} cases (${events} events) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${store.pendingCount()} events pending sync`);
      } finally {
        store.close();
      }
    });

  cases
    .command('purge')
    .description('retention: delete biometric payloads older than N days (audit events are kept)')
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file')
    .requiredOption('--days <n>', 'retention period in days')
    .action((o: { db: string; keyFile?: string; days: string }) => {
      const store = openStore(o);
      try {
        const r = store.purgeBiometrics(Number(o.days));
        const t = r.timings;
        console.log(`purged ${r.evidencePurged} evidence items and ${r.recordingsPurged} recordings in ${r.cases} cases (older than ${iso(r.cutoff)}): keys and ciphertext destroyed, files overwritten and removed, database vacuumed, WAL truncated (${Math.round(t.transactionMs + t.filesMs + t.compactMs)} ms)`);
      } finally {
        store.close();
      }
    });

  program
    .command('sync')
    .description('push the case log to the backend and pull review outcomes')
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file')
    .requiredOption('--server <url>', 'backend URL, e.g. http://127.0.0.1:8787')
    .option('--token <token>', 'workstation API token (or VERIDESK_SYNC_TOKEN)')
    .option('--once', 'drain the outbox once and exit (default: keep running)')
    .option('--batch-size <n>', 'events per batch (at most 1000)', '1000')
    .action(async (o: { db: string; keyFile?: string; server: string; token?: string; once?: boolean; batchSize: string }) => {
      const token = o.token ?? process.env.VERIDESK_SYNC_TOKEN;
      if (!token) throw new Error('give --token or set VERIDESK_SYNC_TOKEN');
      const store = openStore(o);
      const pauseAfterAckMs = Number(process.env.VERIDESK_FAULT_PAUSE_AFTER_ACK_MS ?? 0) || undefined;
      const logger = o.once && !pauseAfterAckMs ? silentLogger : createLogger('veridesk-sync');
      const client = new SyncClient({ store, serverUrl: o.server, token, batchSize: Number(o.batchSize), logger, faults: { pauseAfterAckMs } });
      if (o.once) {
        try {
          const r = await client.syncOnce();
          console.log(JSON.stringify(r));
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'INTERNAL';
          console.error(`sync failed: ${code}: ${error instanceof Error ? error.message : String(error)}`);
          process.exitCode = 1;
        } finally {
          store.close();
        }
        return;
      }
      client.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await client.stop();
      store.close();
    });
}
