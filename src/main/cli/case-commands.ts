import type { Command } from 'commander';

/** `cases …`, `sync` (case log, issue 4). */
export function registerCaseCommands(_program: Command): void {}
