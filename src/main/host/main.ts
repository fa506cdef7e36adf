import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../log/logger';
import { FileKeyProvider } from '../caselog/key-provider';
import { FileSecretStore } from '../settings/secret-store';
import { backendTokenFromEnv, createWorkstation } from '../workstation';
import { buildHost } from './host-server';
import { newLaunchSecret } from './host-lock';
import { testChallengeFromEnv } from './test-challenge';
import packageJson from '../../../package.json';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.VERIDESK_HOST_PORT ?? '5180' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string', default: process.env.VERIDESK_DATA_DIR ?? '.data/host' },
    renderer: { type: 'string', default: 'out/renderer' },
    models: { type: 'string' },
    'no-engine': { type: 'boolean', default: false },
  },
});

const log = createLogger('veridesk-host');
const dataDir = resolve(values['data-dir']);
const workstation = await createWorkstation({
  dataDir,
  transport: 'host',
  version: packageJson.version,
  log,
  modelsDir: values['no-engine'] ? null : values.models && resolve(values.models),
  // the same key file the CLI uses for <db>.key, so `veridesk cases … --db <data-dir>/cases.db` reads this log
  keyProvider: new FileKeyProvider(resolve(dataDir, 'cases.db.key')),
  // one token for sync and calls, bound to the origin of the backend URL in effect at launch (settings.json):
  // main keeps it, the renderer never sees it, and it is never sent to another backend set later in 设置
  backendToken: backendTokenFromEnv(),
  // tokens entered in 设置, by backend origin: the host has no OS keystore, so a 0600 file beside the case log
  secretStore: new FileSecretStore(resolve(dataDir, 'secrets.json'), log),
  testChallenge: testChallengeFromEnv(process.env.VERIDESK_TEST_CHALLENGE),
});
const secret = newLaunchSecret();
const explicitHost = process.argv.some((a) => a === '--host' || a.startsWith('--host='));
const loopback = ['127.0.0.1', 'localhost', '::1'].includes(values.host);
if (explicitHost && !loopback) {
  console.warn(`WARNING: the VeriDesk host listens on ${values.host}: anyone who can reach it and has the printed URL can drive this workstation`);
}
const app = await buildHost({ workstation, rendererDir: resolve(values.renderer), log, secret, extraHost: loopback ? undefined : values.host });
await app.listen({ port: Number(values.port), host: values.host });
const address = app.server.address();
const server = { port: typeof address === 'object' && address ? address.port : Number(values.port) };
const shownHost = values.host.includes(':') ? `[${values.host}]` : values.host;
// The URL line is what users (and the end-to-end tests) look for; the secret is in the fragment, so it never
// reaches a request line or a log
console.log(`VeriDesk host: http://${shownHost}:${server.port}/#k=${secret}`);

const shutdown = async () => {
  await app.close();
  await workstation.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
