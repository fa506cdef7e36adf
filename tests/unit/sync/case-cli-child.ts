// The `cases`/`sync` commands without the rest of the CLI (no face engine to load), so the crash
// tests start child processes quickly and do not depend on other features' modules.
import { Command } from 'commander';
import { registerCaseCommands } from '../../../src/main/cli/case-commands';

const program = new Command('veridesk');
registerCaseCommands(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
