import { z } from "zod";

// Every environment variable Steps reads, validated once at start-up.
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Unset: all interfaces when a chat platform is configured, else only this computer (see listenHost). */
  HOST: z.string().optional(),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z.string().optional(),
  /** Off behind a pooler in transaction mode (see db/client.ts). */
  DATABASE_PREPARE: z.enum(["on", "off"]).default("on"),
  DATABASE_MIGRATION_URL: z.string().optional(),
  DATA_DIR: z.string().default(".steps"),
  PROGRAM_FILE: z.string().default("programs/summer-steps.yml"),
  /** Several programs: a folder of program files, or a comma-separated list; PROGRAM_FILE is then not read. */
  PROGRAMS: z.string().optional(),
  ROSTER_FILE: z.string().default("programs/summer-steps-roster.csv"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  REMINDER_GRACE_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(30),
});

export type Env = z.infer<typeof envSchema> & { raw: Record<string, string | undefined> };

export function readEnv(raw: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== "")));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, raw };
}

/**
 * With no chat platform to answer (or only one on for local testing, without
 * credentials), nothing needs to reach the server from outside, and what it serves
 * then has no login: listen on loopback unless HOST says otherwise.
 */
export function listenHost(env: Env, configuredPlatforms: readonly string[]): string {
  return env.HOST ?? (configuredPlatforms.length > 0 ? "0.0.0.0" : "127.0.0.1");
}

export function publicUrl(env: Env): string {
  return env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
}
