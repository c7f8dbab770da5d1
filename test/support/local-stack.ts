import { afterAll, beforeAll } from 'vitest';
import { type StartedStack, type StartStackOptions, startStack } from '../../src/testing/index.js';

/**
 * Starts a fresh local stack before the file's tests and stops it after them; returns a getter
 * (the stack exists only once `beforeAll` has run).
 */
export function useLocalStack(options: Omit<StartStackOptions, 'provider'> = {}): () => StartedStack {
  let stack: StartedStack | undefined;
  beforeAll(async () => {
    stack = await startStack({ ...options, provider: 'local' });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('useLocalStack: the stack is not started yet (use it inside a test or hook)');
    return stack;
  };
}
