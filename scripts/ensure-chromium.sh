#!/bin/sh
# npm test's pretest: the playground's browser test (test/web-browser.test.ts)
# drives Debian's Chromium, which a fresh machine does not have. Install it
# when we can (root with apt-get); otherwise say how, and let that test fail
# with the same advice.
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "Chromium is missing, so test/web-browser.test.ts will fail: install it with 'sudo apt-get install -y chromium'." >&2
exit 0
