DROP INDEX "people_email_key";--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "program" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "approvers" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "people_program_email_key" ON "people" USING btree ("program","email");--> statement-breakpoint
CREATE INDEX "people_email_idx" ON "people" USING btree ("email");