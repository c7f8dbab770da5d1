#!/usr/bin/env node
import { CommanderError } from 'commander';
import type { CliEnvironment } from './action.js';
import { zkAuthSecrets } from './connection-options.js';
import { ExitCode } from './exit-codes.js';
import { createProgram, isHelpOrVersion } from './program.js';
import { Redactor } from './redactor.js';
import { terminalSafe } from './render/text.js';

// Everything that may carry a password: the arguments and the connection env vars.
const redactor = Redactor.forProcess(process.argv, process.env, zkAuthSecrets(process.argv, process.env));

const interruptHandlers = new Set<() => void>();
const env: CliEnvironment = {
  streams: { stdout: process.stdout, stderr: process.stderr },
  redactor,
  onInterrupt(handler) {
    interruptHandlers.add(handler);
    return () => interruptHandlers.delete(handler);
  },
};

// Ctrl-C: let a live command tidy up (close sessions, print a summary), then exit 130.
process.on('SIGINT', () => {
  for (const handler of interruptHandlers) {
    try {
      handler();
    } catch {
      // Exiting anyway.
    }
  }
  process.exit(ExitCode.interrupted);
});

try {
  await createProgram(env).parseAsync(process.argv);
} catch (error) {
  if (isHelpOrVersion(error)) process.exitCode = ExitCode.ok;
  else if (error instanceof CommanderError)
    process.exitCode = ExitCode.usage; // commander already printed why
  else {
    process.stderr.write(
      `${terminalSafe(redactor.redact(`zkoc: ${error instanceof Error ? error.message : String(error)}`))}\n`,
    );
    process.exitCode = ExitCode.runtime;
  }
}

// The action has finished and printed everything: a driver socket still winding down must not
// keep an operator's terminal waiting. Unref'd, so a clean process exits before this fires.
setTimeout(() => process.exit(), 2_000).unref();
