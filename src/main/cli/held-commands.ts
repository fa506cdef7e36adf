import type { Command } from 'commander';
import { FileKeyProvider } from '../caselog/key-provider';
import { CaseStore } from '../caselog/store';

/** The key file: --key-file, else VERIDESK_KEY_FILE, else `<db>.key` — the same rule as the other `cases` commands. */
const keyFileFor = (db: string, keyFile?: string) => keyFile || process.env.VERIDESK_KEY_FILE || `${db}.key`;

function openStore(opts: { db: string; keyFile?: string }): CaseStore {
  // an existing log only: creating a key for a mistyped path would hide the mistake
  return CaseStore.open({ path: opts.db, keyProvider: new FileKeyProvider(keyFileFor(opts.db, opts.keyFile), { create: false }) });
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/**
 * `cases held` and `cases release <caseId>`: the cases sync set aside because the backend refused them one by one
 * (a forked chain, a case owned by another workstation, an event too large). They stay out of the outbox until a
 * person looked at them and releases them; the other cases sync meanwhile.
 */
export function registerHeldCommands(cases: Command): void {
  cases
    .command('held')
    .description('cases sync set aside because the backend refused them (case, server, code, message, seq, time)')
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file (default <db>.key or VERIDESK_KEY_FILE)')
    .option('--json', 'print JSON')
    .action((o: { db: string; keyFile?: string; json?: boolean }) => {
      const store = openStore(o);
      try {
        const held = store.heldCases();
        if (o.json) return console.log(JSON.stringify(held, null, 2));
        if (held.length === 0) return console.log('no held cases');
        for (const h of held) console.log([h.caseId, h.server, h.code, h.seq === null ? '-' : `seq ${h.seq}`, iso(h.heldAt), h.message].join('\t'));
      } finally {
        store.close();
      }
    });

  cases
    .command('release')
    .description('put a held case back in the sync queue (after fixing why the backend refused it)')
    .argument('<caseId>')
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file (default <db>.key or VERIDESK_KEY_FILE)')
    .action((caseId: string, o: { db: string; keyFile?: string }) => {
      const store = openStore(o);
      try {
        if (!store.releaseCase(caseId)) {
          console.error(`case ${caseId} is not held`);
          process.exitCode = 1;
          return;
        }
        console.log(`released ${caseId}: back in the sync queue (${store.pendingCount()} events pending)`);
      } finally {
        store.close();
      }
    });
}
