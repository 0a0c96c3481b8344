/**
 * One socket write per burst of WebSocket replies instead of one per reply.
 *
 * The SDK's wsLink sends the calls queued in one tick as one frame (often all 64 workers' calls),
 * and tRPC's adapter answers each call with its own `ws.send`, each of which wrote to the socket
 * at once: one syscall per reply, the largest single item in a node's request-path profile. Here
 * the first send of a burst corks the socket and a `process.nextTick` uncorks it, so every reply
 * produced in the same run of microtasks (a frame's calls, or the reads one ReadIndex round
 * releases) leaves in one writev. Nothing waits for a timer: the tick runs as soon as the
 * current microtasks are done, so latency does not grow.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export function coalesceSends(ws: WebSocket, socket: Socket): void {
  const send = ws.send.bind(ws);
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  ws.send = ((...args: Parameters<WebSocket['send']>) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    send(...args);
  }) as WebSocket['send'];
}
