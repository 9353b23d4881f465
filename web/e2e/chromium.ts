// Debian's Chromium (apt `chromium`); Playwright never downloads a browser here.
// Playwright already passes --headless --no-sandbox --disable-background-networking
// --disable-component-update --disable-sync --no-first-run; --user-data-dir is not allowed.
export const chromiumPath = process.env.TCPLAB_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumArgs = ['--disable-gpu', '--disable-quic'];
