#!/usr/bin/env node
// The `lowbit` command line: one file per command, each over main/core.
import { Command } from 'commander';

import { userMessage } from '../core/errors/user-message.js';
import { evalCommand } from './eval.js';
import { imatrixCommand } from './imatrix.js';
import { planCommand } from './plan.js';
import { quantizeCommand } from './quantize.js';
import { sensitivityCommand } from './sensitivity.js';
import { studioCommand } from './studio.js';

const program = new Command('lowbit')
  .description('Lowbit Studio: calibrate, quantize, evaluate and export GGUF models for llama.cpp')
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(evalCommand())
  .addCommand(planCommand())
  .addCommand(quantizeCommand())
  .addCommand(sensitivityCommand())
  .addCommand(imatrixCommand())
  .addCommand(studioCommand());

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`lowbit: ${userMessage(e)}\n`);
  process.exitCode = 1;
});
