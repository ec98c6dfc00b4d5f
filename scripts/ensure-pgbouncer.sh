#!/bin/sh
# test/db-settings.test.ts runs Steps through a real PgBouncer in transaction
# mode, the pooler DATABASE_PREPARE=off is for. Install Debian's when we can
# (root with apt-get); otherwise say how, and let that test fail with the same advice.
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's pgbouncer for the PgBouncer test…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null && exit 0
fi
echo "PgBouncer is missing, so test/db-settings.test.ts will fail: install it with 'sudo apt-get install -y pgbouncer' (or 'brew install pgbouncer')." >&2
exit 1
