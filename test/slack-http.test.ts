import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackFetch } from "../adapters/slack/http.ts";

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe("the fetch Bolt and the Web API client use", () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  const http = createSlackFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === "/empty") return void res.writeHead(204).end();
        if (req.url === "/moved") return void res.writeHead(302, { location: "/elsewhere" }).end();
        if (req.url === "/slow") return; // never answers
        res.writeHead(req.url === "/limited" ? 429 : 200, { "content-type": "application/json", "retry-after": "3", "set-cookie": ["a=1", "b=2"] });
        res.end(JSON.stringify({ ok: true, echo: body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    http.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("posts the body with its headers and length, and answers a Response", async () => {
    const res = await http.fetch(`${base}/api/chat.postMessage`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer xoxb-1" }, body: '{"text":"é"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(await res.json()).toEqual({ ok: true, echo: '{"text":"é"}' });
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ method: "POST", url: "/api/chat.postMessage", body: '{"text":"é"}' });
    expect(last.headers).toMatchObject({ "content-type": "application/json", authorization: "Bearer xoxb-1", "content-length": "13" });
  });

  it("sends a form as Slack's Web API client does", async () => {
    await http.fetch(`${base}/api/users.info`, { method: "POST", body: new URLSearchParams({ user: "U1", token: "x&y" }) });
    expect(seen.at(-1)!.body).toBe("user=U1&token=x%26y");
    expect(seen.at(-1)!.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it("passes statuses through for the client to act on: 429 with Retry-After, 204 without a body", async () => {
    const limited = await http.fetch(`${base}/limited`, { method: "POST", body: "" });
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "3"]);
    const empty = await http.fetch(`${base}/empty`, { method: "POST", body: "" });
    expect([empty.status, await empty.text()]).toEqual([204, ""]);
  });

  it("refuses a redirect when told to, as the Web API client asks", async () => {
    await expect(http.fetch(`${base}/moved`, { method: "POST", body: "", redirect: "error" })).rejects.toThrow(/redirected \(302\)/);
  });

  it("stops waiting when the caller aborts", async () => {
    await expect(http.fetch(`${base}/slow`, { method: "POST", body: "", signal: AbortSignal.timeout(100) })).rejects.toThrow(/abort/i);
  });

  it("leaves what it does not handle to the global fetch: a multipart upload", async () => {
    const form = new FormData();
    form.set("file", new Blob(["report"]), "report.txt");
    await http.fetch(`${base}/api/files.upload`, { method: "POST", body: form });
    expect(seen.at(-1)!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.at(-1)!.body).toContain("report");
  });

  it("fails with the cause when nothing listens", async () => {
    await expect(http.fetch("http://127.0.0.1:1/api/x", { method: "POST", body: "" })).rejects.toThrow(/ECONNREFUSED/);
  });
});
