import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';

/**
 * Lists, by name and with the reason, every test the chosen ZKOC_STACK_PROVIDER cannot run
 * (test/support/stack.ts `needs`), after the run: those tests are not run, never silently.
 * Prints nothing when every test ran, as with the default provider.
 */
export default class NotRunReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const lines: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const reason = notRunReason(test);
        if (reason) lines.push(`  ↷ ${module.relativeModuleId} › ${test.fullName}\n      ${reason}`);
      }
    }
    if (lines.length === 0) return;
    process.stdout.write(`\n${lines.length} tests not run against these servers:\n${lines.join('\n')}\n`);
  }
}

/** The test's own reason, or the nearest enclosing suite's. */
function notRunReason(test: TestCase): string | undefined {
  let node: TestCase | TestSuite | TestModule = test;
  for (;;) {
    const reason = node.meta().notRun;
    if (reason) return reason;
    if (node.type === 'module') return undefined;
    node = node.parent;
  }
}
