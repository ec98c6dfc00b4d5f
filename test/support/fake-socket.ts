import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/**
 * Slack's side of Socket Mode, on a local WebSocket: `hello` on every new
 * connection, envelopes the app must ack by envelope_id, `disconnect` before
 * Slack recycles a socket, and, like Slack, every envelope not acked when a
 * socket goes away is delivered again on the next one.
 */
export async function startFakeSocket() {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`;
  let socket: WebSocket | undefined;
  let connections = 0;
  const unacked = new Map<string, Envelope>();
  const acks = new Map<string, (payload: unknown) => void>();
  const losing = new Set<string>();
  /** Every ack the app sent, in order: the same envelope id twice would be a double ack. */
  const acked: { envelopeId: string; payload: unknown }[] = [];
  const waiters: (() => void)[] = [];

  server.on("connection", (ws) => {
    socket = ws;
    connections++;
    ws.send(JSON.stringify({ type: "hello", num_connections: 1, connection_info: { app_id: "A1" }, debug_info: { host: "fake" } }));
    for (const envelope of unacked.values()) ws.send(JSON.stringify(envelope));
    ws.on("message", (data) => {
      const { envelope_id, payload } = JSON.parse(String(data)) as { envelope_id: string; payload?: unknown };
      if (losing.delete(envelope_id)) return;
      acked.push({ envelopeId: envelope_id, payload });
      unacked.delete(envelope_id);
      acks.get(envelope_id)?.(payload);
    });
    for (const wake of waiters.splice(0)) wake();
  });

  return {
    url,
    acked,
    /** How many times the app has connected. */
    connections: () => connections,
    /** Resolves once the app has connected `n` times in all. */
    async connected(n: number) {
      while (connections < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    /**
     * Sends an envelope and resolves with the app's ack payload. Envelopes with
     * the same id stand for one delivery sent again; a new id with the same
     * payload is Slack delivering the same request twice. loseAck: the app's
     * first ack is lost on the way, so the envelope comes again on the next
     * connection.
     */
    send(type: EnvelopeType, payload: Record<string, unknown>, options: { envelopeId?: string; retryAttempt?: number; loseAck?: boolean } = {}): Promise<unknown> {
      const envelope: Envelope = { envelope_id: options.envelopeId ?? randomUUID(), type, payload, accepts_response_payload: type !== "events_api" };
      if (type === "events_api") Object.assign(envelope, { retry_attempt: options.retryAttempt ?? 0, retry_reason: options.retryAttempt ? "timeout" : "" });
      unacked.set(envelope.envelope_id, envelope);
      if (options.loseAck) losing.add(envelope.envelope_id);
      const acked = new Promise<unknown>((resolve) => acks.set(envelope.envelope_id, resolve));
      socket?.send(JSON.stringify(envelope));
      return acked;
    },
    /** Asks the app to reconnect, as Slack does before it recycles a connection. */
    refresh() {
      socket?.send(JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "fake" } }));
    },
    /** Drops the connection without a word, as a network failure does. */
    drop() {
      socket?.terminate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

export type FakeSocket = Awaited<ReturnType<typeof startFakeSocket>>;
