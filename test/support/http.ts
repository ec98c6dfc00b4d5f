import { request, type IncomingHttpHeaders } from "node:http";
import { networkInterfaces } from "node:os";

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with exactly the headers given: fetch sets Host, Origin and
 * Sec-Fetch-* itself, and a browser's (or an attacker's) request differs in them.
 * localAddress picks the address the connection comes from.
 */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers, localAddress: options.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * An IPv4 address of this machine other than loopback. A connection to it
 * comes from it, so the server sees what another machine's request looks like.
 * Undefined on a machine with no network interface but loopback.
 */
export function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}
