/**
 * Reconnect delays: exponential, capped, with "full jitter" (a random delay between half and
 * all of the exponential step), so a server that drops every client at once (a restart, a
 * provider's maintenance) is not hit by all of them again in the same second.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call doubles the step up to the ceiling. */
  next(): number {
    const step = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  /** After a connection that worked: start again from the first step. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
