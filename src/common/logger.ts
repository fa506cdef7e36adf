import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs. Never log secrets, face images or ID numbers (DESIGN.md §11). */
export function createLogger(name: string, level = process.env.VERIDESK_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['*.token', '*.password', '*.idNumber', '*.image', '*.embedding', 'token', 'idNumber'], censor: '[redacted]' },
  });
}

/** A logger that writes nothing, for tests and CLI runs that print their own output. */
export const silentLogger: Logger = pino({ level: 'silent' });
