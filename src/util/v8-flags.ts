/**
 * V8 options for intake's long-running processes: `intake run` (given on its command line by
 * `npm start` and the Docker image) and its reading processes (given by the fork).
 *
 * Why: the service runs on two cores with two busy processes, each of which V8 would give helper
 * threads to collect garbage beside it; on a busy machine those only contend with the other
 * process, and their per-thread buffers cost memory. And the default young generation (16 MB
 * semi-spaces) holds far more than the garbage of one message or one document, which is nearly
 * all the garbage there is. Measured with `npm run bench` (500 submissions, 2 cores), one-round
 * runs: the reading process's CPU 5.0–5.5 s → 4.1 s and its peak RSS 131–133 → 106–107 MB; the
 * main process's peak RSS 171–225 → 140–152 MB, its CPU unchanged within the noise. Reading the
 * 164 office corpus files over 50 kB one after another: wall time +6–8 %, peak RSS 293–296 →
 * 253–276 MB.
 */
export const SERVICE_V8_FLAGS: readonly string[] = ['--single-threaded-gc', '--max-semi-space-size=4'];
