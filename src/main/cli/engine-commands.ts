import type { Command } from 'commander';

/** `compare`, `analyze` (face engine, issue 3). */
export function registerEngineCommands(_program: Command): void {}
