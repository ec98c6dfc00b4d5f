import type { PlatformAdapter } from "../platform.ts";

// Everything botbuilder-specific lives in this folder, so moving to another
// Teams SDK replaces this folder and nothing else.

const teams: PlatformAdapter = {
  name: "teams",
  configured: (env) => Boolean(env.raw.MICROSOFT_APP_ID) || env.raw.TEAMS === "1",
  localOnly: (env) => !env.raw.MICROSOFT_APP_ID && env.raw.TEAMS === "1",
  async start(context) {
    if (!teams.configured(context.env)) return null;
    // botbuilder takes about half a second to load: only a Steps that serves Teams pays for it.
    const { startTeams } = await import("./serve.ts");
    return startTeams(context);
  },
};

export default teams;
