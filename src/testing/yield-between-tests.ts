import { afterEach } from 'vitest';

/**
 * Tests that run the CLI with spawnSync block their worker's event loop for as long as the
 * child runs. Test bodies that never await run back to back without an event-loop turn, so
 * vitest's RPC replies to the worker wait unread until its 60 s RPC timeout fires ("Timeout
 * calling onTaskUpdate"), which aborts the rest of the run. One macrotask turn after each test
 * lets them in.
 */
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
