import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Bouncer {
  /** DATABASE_URL's database, reached through PgBouncer. */
  url: string;
  stop(): Promise<void>;
}

const binaries = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer", "/opt/homebrew/bin/pgbouncer"];

function pgbouncerBinary(): string {
  if (!binaries.some(existsSync)) {
    // Installs Debian's when it can (root with apt-get), else says how.
    const install = spawnSync("sh", [join(import.meta.dirname, "..", "..", "scripts", "ensure-pgbouncer.sh")], { encoding: "utf8" });
    if (install.status !== 0) throw new Error(install.stderr.trim());
  }
  const found = binaries.find(existsSync);
  if (!found) throw new Error(`pgbouncer is installed but not in ${binaries.join(", ")}`);
  return found;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A real PgBouncer in transaction mode in front of the server of `url`: each
 * transaction (and each statement outside one) may get a different server
 * connection, as behind a managed pooler.
 */
export async function startPgBouncer(url: string, poolSize: number): Promise<Bouncer> {
  const binary = pgbouncerBinary();
  const target = new URL(url);
  const dir = mkdtempSync(join(tmpdir(), "steps-pgbouncer-"));
  // PgBouncer refuses to run as root; as root it drops to an ordinary user, who must read the file.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = [`host=${target.hostname}`, `port=${target.port || 5432}`, `user=${decodeURIComponent(target.username || "postgres")}`];
  if (target.password) server.push(`password=${decodeURIComponent(target.password)}`);
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = ${server.join(" ")}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = any",
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      "max_client_conn = 100",
      "ignore_startup_parameters = extra_float_digits,options",
    ].join("\n"),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const user = spawnSync("id", ["-u", "postgres"]).status === 0 ? "postgres" : "nobody";
  const child = spawn(binary, [...(asRoot ? ["-u", user] : []), join(dir, "pgbouncer.ini")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(`listening on 127.0.0.1:${port}`)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`pgbouncer exited (${code}):\n${log}`)));
  });
  const pooled = new URL(url);
  pooled.host = `127.0.0.1:${port}`;
  return {
    url: pooled.toString(),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
