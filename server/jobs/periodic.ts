/**
 * A job every server instance runs on a timer (retention sweeps, the queue's sweeps): first soon after the server
 * is ready, then every `intervalMs`; never two runs of one job at once in one instance (a slow run is not stacked
 * on), and close waits for the run in progress. The jobs themselves must be safe to run on several instances at
 * once (idempotent statements) — this only schedules them.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

export interface PeriodicJob {
  /** For the log line when a run throws. */
  name: string;
  intervalMs: number;
  /** Delay of the first run after onReady (default min(5 s, intervalMs)). */
  firstRunMs?: number;
  run(): Promise<void>;
}

/** Registers the job's timers on `app` (started onReady, cleared onClose); returns a function that runs it now. */
export function schedulePeriodic(app: FastifyInstance, log: FastifyBaseLogger, job: PeriodicJob): () => Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  let running: Promise<void> | null = null;
  const runNow = (): Promise<void> => {
    running ??= (async () => {
      try {
        await job.run();
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, `${job.name} failed`);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  app.addHook('onReady', async () => {
    timers.push(setTimeout(() => void runNow(), job.firstRunMs ?? Math.min(5_000, job.intervalMs)).unref());
    timers.push(setInterval(() => void runNow(), job.intervalMs).unref());
  });
  app.addHook('onClose', async () => {
    for (const t of timers) clearTimeout(t);
    await running;
  });
  return runNow;
}
