/**
 * Runs `fn` when the process exits (synchronously, as 'exit' handlers must). Every caller shares
 * one 'exit' listener, kept on the process object itself: a module that registers at load is
 * evaluated again for each test file under vitest (one process, a fresh module graph per file),
 * and a listener per evaluation passed Node's limit of ten (MaxListenersExceededWarning).
 */
export function onProcessExit(fn: () => void): void {
  const holder = process as NodeJS.Process & { [HOOKS]?: Array<() => void> };
  let hooks = holder[HOOKS];
  if (!hooks) {
    const list: Array<() => void> = [];
    hooks = holder[HOOKS] = list;
    process.once('exit', () => {
      for (const hook of list) {
        try {
          hook();
        } catch {
          // One cleanup failing must not keep the others from running.
        }
      }
    });
  }
  hooks.push(fn);
}

const HOOKS = Symbol.for('intake.exit-hooks');
