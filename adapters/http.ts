import type { IncomingMessage, ServerResponse } from "node:http";

// The HTTP server's side of the adapter contract, shared by app/server.ts and
// every adapter that serves routes.

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Routes {
  /** Path is exact, or a prefix when it ends with "*". */
  add(method: "GET" | "POST", path: string, handler: RouteHandler): void;
}

/** A CSP that no page of another site may frame (clickjacking); pages pass the sources they load. */
export function contentPolicy(sources: string): string {
  return `${sources}; frame-ancestors 'none'`;
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
