import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { KeyProvider } from './key-provider';

export interface DerivedKeys {
  /** AES-256-GCM key for biometric data at rest. */
  dataKey: Buffer;
  /** HMAC-SHA256 key for the ID-number lookup hash. */
  idHashKey: Buffer;
  /** HMAC-SHA256 key of the ledger: each event's seal and the head record's MAC (./ledger.ts). */
  ledgerKey: Buffer;
  /** Ed25519 key that signs export bundles and sync checkpoints: the workstation's identity to the server. */
  signingKey: KeyObject;
  publicKey: KeyObject;
}

const derive = (master: Buffer, label: string): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `veridesk/${label}`, 32));

// PKCS#8 prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function deriveKeys(provider: KeyProvider): DerivedKeys {
  const master = provider.getMasterKey();
  const seed = derive(master, 'export-signing');
  const signingKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return {
    dataKey: derive(master, 'data-at-rest'),
    idHashKey: derive(master, 'id-number-lookup'),
    ledgerKey: derive(master, 'ledger-seal'),
    signingKey,
    publicKey: createPublicKey(signingKey),
  };
}
