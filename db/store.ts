import { and, desc, eq, gte, inArray, isNull, like, lt, or, sql, type SQL } from "drizzle-orm";
import type {
  Award,
  Claim,
  Decision,
  DeliveryRef,
  EmailLink,
  DigestRows,
  Identity,
  InboxItem,
  OutboxItem,
  Person,
  Store,
  Submission,
} from "../src/store.ts";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "./client.ts";
import { awards, decisions, emailLinks, identities, inbox, outbox, people, settings, submissions } from "./schema.ts";

const personColumns = {
  id: people.id,
  program: people.program,
  email: people.email,
  name: people.name,
  role: people.role,
  department: people.department,
  mentorId: people.mentorId,
  approvers: people.approvers,
  remindersOff: people.remindersOff,
  contact: people.contact,
  language: people.language,
  firstName: people.firstName,
  lastName: people.lastName,
};

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export function createStore(db: Db): Store {
  return makeStore(db, undefined);
}

/**
 * Data recorded before programs had ids belongs to the program loaded first
 * (the one PROGRAM_FILE names, or the first of PROGRAMS): it is adopted once.
 */
export async function adoptUnkeyedData(db: Db, program: string): Promise<number> {
  // A row whose person the program already has again (re-imported since) stays as it is: kept, never merged.
  const rows = rowsOf(
    await db.execute(sql`update people set program = ${program} where program = '' and not exists (select 1 from people q where q.program = ${program} and q.email = people.email) returning id`),
  );
  return rows.length;
}

/** `scope`: the program whose people, work and digests this store sees; undefined sees every program. */
function makeStore(db: Db | Tx, scope: string | undefined): Store {
  // Filters for a scoped store; undefined (no filter) for an unscoped one.
  const inScope = scope === undefined ? undefined : eq(people.program, scope);
  /**
   * Sends the lock and the reads in one round trip. The server runs them in
   * order and each read takes its snapshot after the lock is granted, so it
   * sees everything the previous holder committed. All go through
   * db.execute so they are queued on the connection in the order given.
   */
  async function lockThenRead(...statements: SQL[]) {
    const results = await Promise.all(statements.map((s) => db.execute(s)));
    return results.map(rowsOf);
  }

  // The queries every command makes are built once per store, on first use:
  // drizzle then skips building their SQL on each call, which cost ~0.5 ms of
  // CPU per command (bench/slack.ts). A transaction's store builds its own.
  const placeholder = sql.placeholder;
  const byIdentity = once(() =>
    db
      .select({ person: personColumns, address: identities.address })
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(and(eq(identities.platform, placeholder("platform")), eq(identities.platformUserId, placeholder("userId"))))
      .prepare("person_by_identity"),
  );
  const byIds = once(() => db.select(personColumns).from(people).where(sql`${people.id} = any(${placeholder("ids")})`).prepare("people_by_ids"));
  // One identity by email: an account matched through a person's row in one program reaches their rows in every program.
  const asked = alias(people, "asked");
  const identitiesByPerson = once(() =>
    db
      .select({ platform: identities.platform, platformUserId: identities.platformUserId, personId: asked.id, address: identities.address, updatedAt: identities.updatedAt })
      .from(asked)
      .innerJoin(people, eq(people.email, asked.email))
      .innerJoin(identities, eq(identities.personId, people.id))
      .where(sql`${asked.id} = any(${placeholder("ids")})`)
      .orderBy(desc(identities.updatedAt))
      .prepare("identities_of"),
  );
  /**
   * Read as text and parsed once: drizzle's jsonb parses again what the driver already parsed, so a
   * string setting that reads as a number ("123456", "1e999": a random hex id may) came back a number
   * (drizzle-team/drizzle-orm#3018, #5485).
   */
  async function settingValue<T>(key: string): Promise<T | undefined> {
    const [row] = await db.select({ value: sql<string>`${settings.value}::text` }).from(settings).where(eq(settings.key, key));
    return row ? (JSON.parse(row.value) as T) : undefined;
  }
  const store: Store = {
    scoped(program) {
      return program === scope ? store : makeStore(db, program);
    },
    async peopleByEmail(email) {
      return db.select(personColumns).from(people).where(eq(people.email, email.trim().toLowerCase())).orderBy(people.id);
    },
    transaction(fn) {
      // Inside a transaction drizzle opens a savepoint: a nested call that throws undoes only its own work.
      return (db as Db).transaction((tx) => fn(makeStore(tx, scope)));
    },

    async lockPerson(personId) {
      const [, rows = []] = await lockThenRead(
        sql`select pg_advisory_xact_lock(1, ${personId})`,
        sql`select * from submissions where person_id = ${personId} order by id`,
      );
      return rows.map(submissionFromRow);
    },
    async lockSubmissionOwner(submissionId) {
      const owner = sql`(select person_id from submissions where id = ${submissionId})`;
      const [, people = [], subs = []] = await lockThenRead(
        sql`select pg_advisory_xact_lock(1, ${owner})`,
        sql`select id, program, email, name, role, department, mentor_id, approvers, reminders_off, contact, language, first_name, last_name from people where id = ${owner}`,
        sql`select * from submissions where person_id = ${owner} order by id`,
      );
      const p = people[0];
      // Another program's submission is not there for this one: ids are global, work is not.
      if (!p || (scope !== undefined && p.program !== scope)) return undefined;
      const person: Person = {
        id: Number(p.id),
        program: String(p.program),
        email: String(p.email),
        name: String(p.name),
        role: p.role as Person["role"],
        department: (p.department as string | null) ?? null,
        mentorId: p.mentor_id == null ? null : Number(p.mentor_id),
        approvers: jsonOf(p.approvers) as Record<string, string>,
        remindersOff: Boolean(p.reminders_off),
        contact: p.contact as Person["contact"],
        language: (p.language as string | null) ?? null,
        firstName: (p.first_name as string | null) ?? null,
        lastName: (p.last_name as string | null) ?? null,
      };
      return { person, submissions: subs.map(submissionFromRow) };
    },
    async reserveSubmissionId() {
      const rows = rowsOf(await db.execute(sql`select nextval(pg_get_serial_sequence('submissions', 'id')) as id`));
      return Number(rows[0]!.id);
    },

    async personByEmail(email) {
      const [row] = await db.select(personColumns).from(people).where(and(eq(people.email, email.trim().toLowerCase()), inScope)).orderBy(people.id).limit(1);
      return row;
    },
    async personById(id) {
      const [row] = await db.select(personColumns).from(people).where(eq(people.id, id));
      return row;
    },
    async peopleByIds(ids) {
      if (ids.length === 0) return [];
      return byIds().execute({ ids });
    },
    async peopleByRole(role) {
      return db.select(personColumns).from(people).where(and(eq(people.role, role), inScope)).orderBy(people.name);
    },

    async upsertPeople(rows) {
      if (rows.length === 0) return { inserted: 0, updated: 0 };
      // Two statements: people first, then mentor links, so a mentor listed
      // after their intern in the file is found.
      const upserted = await db
        .insert(people)
        .values(rows.map((r) => ({ program: scope ?? "", email: r.email, name: r.name, role: r.role, department: r.department, approvers: r.approvers ?? {}, contact: r.contact ?? "chat", language: r.language ?? null, firstName: r.firstName ?? null, lastName: r.lastName ?? null })))
        .onConflictDoUpdate({
          target: [people.program, people.email],
          set: {
            approvers: sql`excluded.approvers`,
            name: sql`excluded.name`,
            role: sql`excluded.role`,
            department: sql`excluded.department`,
            contact: sql`excluded.contact`,
            // A roster without the column keeps what each person chose.
            language: sql`coalesce(excluded.language, ${people.language})`,
            firstName: sql`excluded.first_name`,
            lastName: sql`excluded.last_name`,
            updatedAt: sql`now()`,
          },
        })
        .returning({ id: people.id, inserted: sql<boolean>`xmax = 0` });
      const links = rows.map((r) => ({ email: r.email, mentor: r.mentorEmail }));
      await db.execute(sql`
        update people p set mentor_id = m.id
        from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as l(email text, mentor text)
        left join people m on m.email = l.mentor and m.program = ${scope ?? ""}
        where p.email = l.email and p.program = ${scope ?? ""} and p.mentor_id is distinct from m.id`);
      const inserted = upserted.filter((r) => r.inserted).length;
      return { inserted, updated: upserted.length - inserted };
    },

    async setRemindersOff(personId, off) {
      await db.update(people).set({ remindersOff: off, updatedAt: new Date() }).where(eq(people.id, personId));
    },
    async setLanguage(personId, language, options = {}) {
      const who = options.onlyUnset ? and(eq(people.id, personId), isNull(people.language)) : eq(people.id, personId);
      await db.update(people).set({ language, updatedAt: new Date() }).where(who);
    },

    async personByIdentity(platform, platformUserId) {
      const [row] = await byIdentity().execute({ platform, userId: platformUserId });
      return row;
    },
    async saveIdentity(identity) {
      await db
        .insert(identities)
        .values({ ...identity, address: identity.address ?? null, updatedAt: new Date() })
        .onConflictDoUpdate({
          target: [identities.platform, identities.platformUserId],
          set: { personId: identity.personId, address: identity.address ?? null, updatedAt: new Date() },
        });
    },
    async identitiesOf(personIds) {
      if (personIds.length === 0) return [];
      return identitiesByPerson().execute({ ids: personIds }) as Promise<Identity[]>;
    },

    async submissionsOf(personId) {
      return db.select().from(submissions).where(eq(submissions.personId, personId)).orderBy(submissions.id);
    },
    async submission(id) {
      const [row] = await db.select().from(submissions).where(eq(submissions.id, id));
      return row;
    },
    async createSubmission(row) {
      const result = await db.execute(sql`
        insert into submissions (id, person_id, playlist, task, units, is_once, note, link, created_at)
        values (${row.id ?? sql`default`}, ${row.personId}, ${row.playlist}, ${row.task}, ${row.units}, ${row.isOnce}, ${row.note}, ${row.link}, ${row.createdAt.toISOString()}::timestamptz)
        returning *`);
      return submissionFromRow(rowsOf(result)[0]!);
    },
    async decide(d) {
      // One statement: the status can never disagree with the decisions table.
      const result = await db.execute(sql`
        with decided as (
          insert into decisions (submission_id, decision, decider_id, reason, decided_at)
          values (${d.submissionId}, ${d.decision}, ${d.deciderId}, ${d.reason}, ${d.decidedAt.toISOString()}::timestamptz)
          on conflict do nothing
          returning submission_id)
        update submissions set status = ${d.decision} from decided where submissions.id = decided.submission_id
        returning submissions.id`);
      return rowsOf(result).length === 1 ? d : undefined;
    },
    async withdraw(submissionId) {
      const result = await db.execute(sql`update submissions set status = 'withdrawn' where id = ${submissionId} and status = 'pending' returning id`);
      return rowsOf(result).length === 1;
    },
    async decisionOf(submissionId) {
      const [row] = await db.select().from(decisions).where(eq(decisions.submissionId, submissionId));
      return row as Decision | undefined;
    },
    async decisionsOf(ids) {
      if (ids.length === 0) return [];
      return db.select().from(decisions).where(inArray(decisions.submissionId, ids)) as Promise<Decision[]>;
    },
    async pendingForApprover(approver) {
      const pending = db
        .select({ s: submissions })
        .from(submissions)
        .innerJoin(people, eq(people.id, submissions.personId))
        .orderBy(submissions.id);
      // Coordinators may decide anything in their program; mentors their own interns' work, and
      // the work of interns who name them in a role (their coach); the core sorts out which tasks.
      const program = eq(people.program, approver.program);
      const rows =
        approver.role === "coordinator"
          ? await pending.where(and(eq(submissions.status, "pending"), program))
          : await pending.where(
              and(
                eq(submissions.status, "pending"),
                program,
                or(eq(people.mentorId, approver.id), sql`exists (select 1 from jsonb_each_text(${people.approvers}) a where a.value = ${approver.email})`),
              ),
            );
      return rows.map((r) => r.s);
    },
    async recordedWork() {
      return db
        .select({ playlist: submissions.playlist, task: submissions.task, count: sql<number>`count(*)::int` })
        .from(submissions)
        .innerJoin(people, eq(people.id, submissions.personId))
        .where(inScope)
        .groupBy(submissions.playlist, submissions.task);
    },

    async programsOnRecord() {
      return db.select({ program: people.program, people: sql<number>`count(*)::int` }).from(people).groupBy(people.program).orderBy(people.program);
    },

    async createAward(award) {
      const [row] = await db.insert(awards).values(award).onConflictDoNothing().returning();
      return row as Award | undefined;
    },
    async award(id) {
      const [row] = await db.select().from(awards).where(eq(awards.id, id));
      return row as Award | undefined;
    },
    async awardsOf(personId) {
      return db.select().from(awards).where(eq(awards.personId, personId)).orderBy(awards.awardedAt) as Promise<Award[]>;
    },
    async updateAward(id, changes) {
      await db.update(awards).set(changes).where(eq(awards.id, id));
    },
    async setElsewhere(id, issuer, state) {
      // One issuer's entry replaced in place: another issuer's job may write its own meanwhile.
      await db
        .update(awards)
        .set({ elsewhere: sql`coalesce(${awards.elsewhere}, '{}'::jsonb) || jsonb_build_object(${issuer}::text, ${JSON.stringify(state)}::jsonb)` })
        .where(eq(awards.id, id));
    },
    async awardsElsewhere(issuer, state) {
      const rows = await db
        .select({ a: awards })
        .from(awards)
        .innerJoin(people, eq(people.id, awards.personId))
        .where(and(sql`${awards.elsewhere}->${issuer}::text->>'state' = ${state}`, inScope))
        .orderBy(awards.awardedAt, awards.id);
      return rows.map((r) => r.a as Award);
    },

    async digestRows(since): Promise<DigestRows> {
      const [interns, approved, pending, lastActivity, awardsSince, failedDeliveries] = await Promise.all([
        db.select(personColumns).from(people).where(and(eq(people.role, "intern"), inScope)).orderBy(people.department, people.name),
        db
          .select({
            personId: submissions.personId,
            playlist: submissions.playlist,
            task: submissions.task,
            units: sql<number>`sum(${submissions.units})::int`,
          })
          .from(submissions)
          .innerJoin(people, eq(people.id, submissions.personId))
          .where(and(eq(submissions.status, "approved"), inScope))
          .groupBy(submissions.personId, submissions.playlist, submissions.task),
        db
          .select({ s: submissions, mentorId: people.mentorId })
          .from(submissions)
          .innerJoin(people, eq(people.id, submissions.personId))
          .where(and(eq(submissions.status, "pending"), inScope))
          .orderBy(submissions.createdAt),
        db
          .select({ personId: submissions.personId, at: sql<Date>`max(${submissions.createdAt})` })
          .from(submissions)
          .innerJoin(people, eq(people.id, submissions.personId))
          .where(inScope)
          .groupBy(submissions.personId),
        db
          .select({ a: awards, name: people.name, department: people.department })
          .from(awards)
          .innerJoin(people, eq(people.id, awards.personId))
          .where(and(gte(awards.awardedAt, since), inScope))
          .orderBy(awards.awardedAt),
        // A program's undelivered messages: to its people, to its channels (the payload names the program), or jobs about its awards.
        db
          .select()
          .from(outbox)
          .where(
            and(
              eq(outbox.status, "failed"),
              // A message failed this week (its last try's lease ran from then); a job's failure until it is dealt with.
              or(like(outbox.recipient, "job:%"), gte(outbox.nextAttemptAt, since)),
              // A job asked again (`steps credly retry`) is listed once, by its latest outcome: gone once a later try is done.
              sql`not exists (select 1 from outbox later where later.recipient = ${outbox.recipient} and later.id > ${outbox.id} and later.status in ('sent', 'failed')
                    and later.payload->'job'->>'action' = ${outbox.payload}->'job'->>'action' and later.payload->'job'->>'award' = ${outbox.payload}->'job'->>'award')`,
              // A badge not issued and since revoked in Steps is nothing to fix.
              sql`not (coalesce(${outbox.payload}->'job'->>'action', '') = 'issue' and exists (select 1 from awards a where a.id = ${outbox.payload}->'job'->>'award' and a.revoked_at is not null))`,
              scope === undefined
                ? undefined
                : sql`(exists (select 1 from people p where p.program = ${scope} and ${outbox.recipient} = 'person:' || p.id)
                    or ${outbox.payload}->>'program' = ${scope}
                    or exists (select 1 from awards a join people p on p.id = a.person_id where p.program = ${scope} and a.id = ${outbox.payload}->'job'->>'award'))`,
            ),
          )
          .orderBy(outbox.id)
          .limit(200),
      ]);
      return {
        interns,
        approved,
        pending: pending.map((r) => ({ ...r.s, mentorId: r.mentorId })),
        lastActivity: lastActivity.map((r) => ({ personId: r.personId, at: new Date(r.at) })),
        awardsSince: awardsSince.map((r) => ({ ...(r.a as Award), name: r.name, department: r.department })),
        failedDeliveries: failedDeliveries as OutboxItem[],
      };
    },

    async pendingBefore(before) {
      const rows = await db
        .select({ s: submissions, mentorId: people.mentorId })
        .from(submissions)
        .innerJoin(people, eq(people.id, submissions.personId))
        .where(and(eq(submissions.status, "pending"), lt(submissions.createdAt, before), inScope))
        .orderBy(submissions.createdAt);
      return rows.map((r) => ({ ...r.s, mentorId: r.mentorId }));
    },

    async enqueue(items) {
      if (items.length === 0) return 0;
      // One parameter whatever the number of items: one prepared statement
      // serves every fan-out, and the hot path skips the query builder.
      const rows = items.map((i) => ({
        key: i.key,
        recipient: i.recipient,
        payload: i.payload,
        // Not the database's now(): the core's clock decides when things are due.
        next_attempt_at: (i.notBefore ?? new Date(0)).toISOString(),
      }));
      const result = await db.execute(sql`
        insert into outbox (key, recipient, payload, next_attempt_at)
        select key, recipient, payload, next_attempt_at
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(key text, recipient text, payload jsonb, next_attempt_at timestamptz)
        on conflict (key) do nothing
        returning id`);
      return rowsOf(result).length;
    },
    async claimDue(now, limit, leaseMs) {
      // Dates go in as ISO text: postgres.js does not serialise Date in raw SQL.
      // SKIP LOCKED lets several instances claim disjoint batches; the lease
      // makes an item claimed by a process that died due again later, and an
      // item claimed while still 'sending' is such a takeover (resumed).
      const result = await db.execute(sql`
        with due as (
          select id, status = 'sending' as resumed from outbox
          where status in ('queued', 'sending') and next_attempt_at <= ${now.toISOString()}::timestamptz
          order by id limit ${limit}
          for update skip locked)
        update outbox set status = 'sending', attempts = outbox.attempts + 1, claims = outbox.claims + 1,
          next_attempt_at = ${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz
        from due where outbox.id = due.id
        returning outbox.id, key, recipient, payload, status, attempts, claims, next_attempt_at, last_error, delivered, created_at, due.resumed`);
      // UPDATE … RETURNING gives no order; messages go out in the order they were queued.
      const items = rowsOf(result).map((r) => ({
        id: Number(r.id),
        key: r.key as string,
        recipient: r.recipient as OutboxItem["recipient"],
        payload: r.payload as OutboxItem["payload"],
        status: r.status as OutboxItem["status"],
        attempts: Number(r.attempts),
        claims: Number(r.claims),
        nextAttemptAt: new Date(r.next_attempt_at as string),
        lastError: (r.last_error as string | null) ?? null,
        delivered: (r.delivered as DeliveryRef[] | null) ?? null,
        createdAt: new Date(r.created_at as string),
        resumed: Boolean(r.resumed),
      }));
      return items.sort((a, b) => a.id - b.id);
    },
    async renewLeases(claims, until) {
      if (claims.length === 0) return;
      const rows = JSON.stringify(claims.map((c) => ({ id: c.id, claims: c.claims })));
      await db.execute(sql`
        update outbox set next_attempt_at = ${until.toISOString()}::timestamptz
        from jsonb_to_recordset(${rows}::jsonb) as c(id bigint, claims integer)
        where outbox.id = c.id and outbox.claims = c.claims and outbox.status = 'sending'
          and outbox.id = any(${sql.param(claims.map((c) => c.id))})`);
    },
    async markSent(marks) {
      if (marks.length === 0) return;
      // One statement for the lot: one write and one commit however many were sent.
      // The id list lets the planner use the key: it guesses 100 rows for the
      // JSON and would otherwise read the whole outbox to join them.
      const rows = JSON.stringify(marks.map((m) => ({ id: m.id, claims: m.claims, delivered: m.delivered, at: m.at.toISOString() })));
      await db.execute(sql`
        update outbox set status = 'sent', delivered = v.delivered, sent_at = v.at, last_error = null
        from jsonb_to_recordset(${rows}::jsonb) as v(id bigint, claims integer, delivered jsonb, at timestamptz)
        where outbox.id = v.id and outbox.claims = v.claims and outbox.id = any(${sql.param(marks.map((m) => m.id))})`);
    },
    async markRetry(claim, error, nextAttemptAt) {
      await db.update(outbox).set({ status: "queued", lastError: error, nextAttemptAt }).where(held(claim));
    },
    async markFailed(claim, error) {
      await db.update(outbox).set({ status: "failed", lastError: error }).where(held(claim));
    },
    async release(claim, reason, nextAttemptAt) {
      await db
        .update(outbox)
        .set({ status: "queued", attempts: sql`${outbox.attempts} - 1`, lastError: reason, nextAttemptAt })
        .where(held(claim));
    },
    async deliveredUnder(prefix) {
      const rows = await db
        .select({ delivered: outbox.delivered })
        .from(outbox)
        .where(and(like(outbox.key, `${escapeLike(prefix)}%`), eq(outbox.status, "sent")));
      return rows.flatMap((r) => (r.delivered as DeliveryRef[] | null) ?? []);
    },

    async forgetTextSentBefore(before, limit) {
      // Its condition is outbox_text_kept_idx's, so the minute's run reads only rows still to empty.
      const result = await db.execute(sql`
        update outbox set payload = '{}'::jsonb
        where id in (
          select id from outbox
          where status = 'sent' and recipient not like 'job:%' and payload <> '{}'::jsonb and sent_at < ${before.toISOString()}::timestamptz
          limit ${limit})
        returning id`);
      return rowsOf(result).length;
    },

    async inboxAdd(item) {
      const rows = await db
        .insert(inbox)
        .values({ key: item.key, handler: item.handler, payload: item.payload, nextAttemptAt: item.at })
        .onConflictDoNothing()
        .returning({ id: inbox.id });
      return rows.length === 1;
    },
    async inboxClaim(handlers, now, limit, leaseMs) {
      // As claimDue for the outbox: SKIP LOCKED gives instances disjoint
      // batches, the lease makes a dead process's request due again. The
      // statuses are literals so that the planner can use the partial index on
      // due items; dates go in as ISO text (postgres.js, raw SQL).
      const result = await db.execute(sql`
        update inbox set status = 'working', attempts = attempts + 1,
          next_attempt_at = ${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz
        where id in (
          select id from inbox
          where status in ('queued', 'working') and next_attempt_at <= ${now.toISOString()}::timestamptz
            and handler = any(${sql.param(handlers)})
          order by id limit ${limit}
          for update skip locked)
        returning *`);
      // UPDATE … RETURNING gives no order; requests are worked off in the order they came.
      const rows = rowsOf(result).sort((a, b) => Number(a.id) - Number(b.id));
      return rows.map((r) => ({
        id: Number(r.id),
        key: r.key as string,
        handler: r.handler as string,
        payload: r.payload,
        attempts: Number(r.attempts),
        reply: (r.reply as InboxItem["reply"]) ?? null,
      }));
    },
    async inboxRenew(ids, until) {
      if (ids.length === 0) return;
      await db.execute(sql`update inbox set next_attempt_at = ${until.toISOString()}::timestamptz where id = any(${sql.param(ids)}) and status = 'working'`);
    },
    async inboxAnswer(id, reply) {
      const rows = await db
        .update(inbox)
        .set({ reply })
        .where(and(eq(inbox.id, id), isNull(inbox.reply)))
        .returning({ id: inbox.id });
      return rows.length === 1;
    },
    async inboxDone(ids, at) {
      await db.update(inbox).set({ status: "done", doneAt: at, lastError: null }).where(inArray(inbox.id, ids));
    },
    async inboxRetry(id, error, nextAttemptAt) {
      await db.update(inbox).set({ status: "queued", lastError: error, nextAttemptAt }).where(eq(inbox.id, id));
    },
    async inboxFailed(id, error, at) {
      await db.update(inbox).set({ status: "failed", lastError: error, doneAt: at }).where(eq(inbox.id, id));
    },
    async inboxDeleteFinishedBefore(before) {
      // A request that failed before failures were dated has no done_at: its last claim's lease, which ran
      // out within seconds of the failure, dates it instead.
      const rows = await db
        .delete(inbox)
        .where(and(inArray(inbox.status, ["done", "failed"]), sql`coalesce(${inbox.doneAt}, ${inbox.nextAttemptAt}) < ${before.toISOString()}::timestamptz`))
        .returning({ id: inbox.id });
      return rows.length;
    },

    async addEmailLink(link) {
      await db.insert(emailLinks).values(link);
    },
    async emailLink(id) {
      const [row] = await db.select().from(emailLinks).where(eq(emailLinks.id, id));
      return row as EmailLink | undefined;
    },
    async useEmailLink(id, at) {
      const rows = await db
        .update(emailLinks)
        .set({ usedAt: at })
        .where(and(eq(emailLinks.id, id), isNull(emailLinks.usedAt), isNull(emailLinks.cancelledAt)))
        .returning({ id: emailLinks.id });
      return rows.length === 1;
    },
    async cancelEmailLinks(personId, at) {
      const rows = await db
        .update(emailLinks)
        .set({ cancelledAt: at })
        .where(and(eq(emailLinks.personId, personId), isNull(emailLinks.usedAt), isNull(emailLinks.cancelledAt)))
        .returning({ id: emailLinks.id });
      return rows.length;
    },
    async deleteEmailLinksExpiredBefore(before) {
      const rows = await db.delete(emailLinks).where(lt(emailLinks.expiresAt, before)).returning({ id: emailLinks.id });
      return rows.length;
    },

    async getSetting<T>(key: string) {
      return settingValue<T>(key);
    },
    async initSetting<T>(key: string, value: T) {
      await db.insert(settings).values({ key, value }).onConflictDoNothing();
      return (await settingValue<T>(key))!;
    },
    async setSetting<T>(key: string, value: T) {
      await db.insert(settings).values({ key, value }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } });
    },

    async ping() {
      await db.execute(sql`select 1`);
    },
  };
  return store;
}

/** postgres.js returns the rows as the result; PGlite wraps them in `rows`. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

/** jsonb comes back parsed from postgres.js and PGlite alike, but a driver may hand back text. */
function jsonOf(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : (value ?? {});
}

function submissionFromRow(r: Record<string, unknown>): Submission {
  return {
    id: Number(r.id),
    personId: Number(r.person_id),
    playlist: String(r.playlist),
    task: String(r.task),
    units: Number(r.units),
    isOnce: Boolean(r.is_once),
    note: (r.note as string | null) ?? null,
    link: (r.link as string | null) ?? null,
    status: r.status as Submission["status"],
    createdAt: new Date(r.created_at as string | Date),
  };
}

/** The row of a claim that still holds it. */
function held(claim: Claim): SQL | undefined {
  return and(eq(outbox.id, claim.id), eq(outbox.claims, claim.claims));
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The value fn makes on its first call, kept for the next ones. */
function once<T>(fn: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= fn());
}
