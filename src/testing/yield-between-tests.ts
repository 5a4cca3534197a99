import { afterEach } from 'vitest';

/**
 * Tests that run the CLI with spawnSync block this worker's event loop for the whole test. The
 * worker reports to vitest over IPC and gives up on an answer after 60 s; several such tests
 * back to back on a loaded machine exceed that ("Timeout calling onTaskUpdate") unless the
 * worker gets a turn of its event loop between tests to read the answers.
 */
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
