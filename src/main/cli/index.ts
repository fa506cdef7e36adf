#!/usr/bin/env node
import { Command } from 'commander';
import { registerEngineCommands } from './engine-commands';
import { registerCaseCommands } from './case-commands';
import { registerRecordingCommands } from './recording-commands';
import { registerVerifyCommand } from './verify-command';
import { registerReviewCommand } from './review-command';

const program = new Command('veridesk').description('VeriDesk command line: face comparison, analysis, case log and sync');
registerEngineCommands(program);
registerCaseCommands(program);
registerRecordingCommands(program);
registerVerifyCommand(program);
registerReviewCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
