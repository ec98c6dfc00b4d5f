CREATE TABLE "inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"handler" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"reply" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
DROP TABLE "receipts" CASCADE;--> statement-breakpoint
CREATE UNIQUE INDEX "inbox_key_key" ON "inbox" USING btree ("key");--> statement-breakpoint
CREATE INDEX "inbox_due_idx" ON "inbox" USING btree ("next_attempt_at") WHERE "inbox"."status" in ('queued', 'working');