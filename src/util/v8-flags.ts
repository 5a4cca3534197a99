/**
 * V8 options for intake's long-running processes: `intake run` (given on its command line by
 * `npm start` and the Docker image) and its reading processes (given by the fork).
 *
 * Why: the service runs on two cores with two busy processes, each of which V8 would give helper
 * threads to collect garbage beside it; on a busy machine those only contend with the other
 * process, and their per-thread buffers cost memory. And the default young generation (16 MB
 * semi-spaces) holds far more than the garbage of one message or one document, which is nearly
 * all the garbage there is. Measured with `npm run bench` (500 submissions, 2 cores), five
 * one-round runs each of the code before and after, alternately: the reading process's CPU
 * 4.2–4.5 → 3.7–4.1 s and its peak RSS 131–133 → 103–112 MB; the main process's peak RSS 192–226 →
 * 139–154 MB, its CPU and the backlog's time unchanged within the noise. Reading the 164 office
 * corpus files over 50 kB one after another in one reading process: wall time +6–8 %, its peak
 * RSS 293–296 → 253–276 MB.
 */
export const SERVICE_V8_FLAGS: readonly string[] = ['--single-threaded-gc', '--max-semi-space-size=4'];
