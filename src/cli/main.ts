#!/usr/bin/env node
import { CommanderError } from 'commander';
import type { CliEnvironment } from './action.js';
import { LIKELY_MEANT_CODE, normalizeArgv } from './argv.js';
import { zkAuthSecrets } from './connection-options.js';
import { ExitCode } from './exit-codes.js';
import { CliLifetime } from './lifetime.js';
import { createProgram, isHelpOrVersion } from './program.js';
import { Redactor } from './redactor.js';
import { terminalSafe } from './render/text.js';

// Everything that may carry a password: the arguments and the connection env vars.
const redactor = Redactor.forProcess(process.argv, process.env, zkAuthSecrets(process.argv, process.env));

// SIGINT/SIGTERM/SIGHUP close every session the command opened (deleting its znodes), then exit
// 130/143/129.
const lifetime = new CliLifetime();
lifetime.install(process);

// `zkoc … | head -1`: the reader left, which is how a pipeline says "enough". Close what is open and
// exit 0 quietly, like any Unix filter, instead of an unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    const readerLeft = error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
    void lifetime.end().finally(() => process.exit(readerLeft ? ExitCode.ok : ExitCode.runtime));
  });
}

const env: CliEnvironment = {
  streams: { stdout: process.stdout, stderr: process.stderr },
  redactor,
  lifetime,
  onInterrupt: (handler) => lifetime.onInterrupt(handler),
};

try {
  await createProgram(env).parseAsync(normalizeArgv(process.argv));
} catch (error) {
  if (isHelpOrVersion(error)) process.exitCode = ExitCode.ok;
  else if (error instanceof CommanderError) {
    // commander printed why itself; our own argv checks did not
    if (error.code === LIKELY_MEANT_CODE) process.stderr.write(`${terminalSafe(redactor.redact(error.message))}\n`);
    process.exitCode = ExitCode.usage;
  } else {
    process.stderr.write(
      `${terminalSafe(redactor.redact(`zkoc: ${error instanceof Error ? error.message : String(error)}`))}\n`,
    );
    process.exitCode = ExitCode.runtime;
  }
}

// The action has finished, closed what it opened and printed everything: a driver socket or
// reconnect timer still winding down must not keep an operator's terminal waiting.
if (!lifetime.ending) {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
  process.exit();
}
