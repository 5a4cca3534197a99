/**
 * Crash tests: when INTAKE_CRASH_AT names this point, the process kills itself on the spot
 * (SIGKILL: no catch, no finally, no flush), as a power cut or an OOM kill would. Used only by
 * the crash tests; with the variable unset this is one string comparison.
 */
export function crashPoint(name: string): void {
  if (process.env.INTAKE_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
