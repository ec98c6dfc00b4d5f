ALTER TABLE "awards" ADD COLUMN "elsewhere" jsonb;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "first_name" text;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "last_name" text;