import type { PlatformAdapter } from "../platform.ts";
import { credlyApi } from "./api.ts";
import { credlySettings } from "./config.ts";
import { credlyJobs } from "./jobs.ts";

/**
 * Issues badges through Credly (https://www.credly.com/docs/issued_badges) for the
 * playlists that say `issue: { credly: { badge_template_id } }`. Not a chat platform:
 * configured() is false so it never counts as one; it starts whenever the server does
 * and runs the outbox's `job:credly` items when its settings are there.
 */
const credly: PlatformAdapter = {
  name: "credly",
  configured: () => false,
  async start(context) {
    const { env, core, store, dispatcher, log } = context;
    const named = core.cores().list.flatMap((c) => c.program.file.playlists.filter((p) => p.issue.credly).map((p) => p.slug));
    const found = credlySettings(env.raw);
    if (!found.ok) {
      if (named.length > 0) log.warn(`Credly is off (${found.reason}): the badges of ${named.join(", ")} are self-issued only; set CREDLY_ORGANIZATION_ID and CREDLY_TOKEN and restart to issue them through Credly`);
      return null;
    }
    // Until a job has run there is nothing to say but that it is set up.
    let health = "ok";
    dispatcher.registerJob("credly", credlyJobs({ api: credlyApi(found.settings), core, store, log, report: (h) => (health = h) }));
    log.info("Credly is ready", { api: found.settings.apiUrl, playlists: named });
    return { health: () => health };
  },
};

export default credly;
