/**
 * A TCP proxy that behaves like a slow network link: every byte waits `delayMs` (one way) and
 * each direction carries at most `bytesPerSecond`. `npm run bench` puts it between Dovecot and
 * both readers of the mailbox (the baseline and intake) when BENCH_LINK is set, to measure what
 * a remote mailbox costs (on loopback a fetch takes next to nothing).
 *
 * Usage: node slow-link.mjs <target port> <delay ms> <bytes per second>; prints its port.
 */
import net from 'node:net';

const [target, delayMs, bytesPerSecond] = process.argv.slice(2).map(Number);

/** Bytes from `from` reach `to` in order, each chunk after the delay and its share of the rate. */
function shape(from, to) {
  const queue = [];
  let free = 0;
  let timer = null;
  let ended = false;
  const drain = () => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0].at <= now) to.write(queue.shift().chunk);
    if (queue.length > 0) timer = setTimeout(drain, queue[0].at - now);
    else if (ended) to.end();
  };
  from.on('data', (chunk) => {
    const now = performance.now();
    free = Math.max(now, free) + (chunk.length / bytesPerSecond) * 1000;
    queue.push({ at: free + delayMs, chunk });
    timer ??= setTimeout(drain, queue[0].at - now);
  });
  from.on('end', () => {
    ended = true;
    timer ??= setTimeout(drain, 0);
  });
}

// Half-open: a side that ends (the server's BYE, then FIN) is ended on the other side only once
// the bytes still on their way have been delivered.
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true });
  const kill = () => {
    client.destroy();
    upstream.destroy();
  };
  for (const s of [client, upstream]) {
    s.setNoDelay(true);
    s.on('error', kill);
  }
  shape(client, upstream);
  shape(upstream, client);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
