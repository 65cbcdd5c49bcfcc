import type { Asset } from './assets.js';

/**
 * The token form shown when the scheduler has a token and the browser has no session cookie.
 * Its icon and stylesheet are relative like every other URL (assets are served without a
 * session): a page with no icon of its own makes the browser ask for /favicon.ico, outside a
 * proxy's prefix.
 */
export function loginPage(message: string): string {
  const note = message ? `<p class="err">${escapeHtml(message)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gluon dashboard: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="assets/dashboard.css"></head>
<body class="login"><form method="post" action="login">
<h1>Gluon dashboard</h1>
<p>This scheduler requires its token: the one it was started with (<code>--token-file</code>, <code>GLUON_TOKEN</code> or <code>--token</code>).</p>${note}
<label>Token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
<button type="submit">Open dashboard</button>
</form></body></html>
`;
}

/**
 * The login form's note for a browser whose session ended: an open page whose scheduler was
 * restarted reloaded to a bare login form, as if nothing had happened.
 */
export const SESSION_ENDED = 'Your session has ended: sessions last --dashboard-session-ttl (8 h unless set) and end when the scheduler stops, as it does on a restart. Log in again.';

/** The dashboard page with a logout button in its header (shown when a token is required). */
export function withLogout(page: Asset): Asset {
  const form = '<form class="logout" method="post" action="logout"><button type="submit">Log out</button></form>\n</header>';
  return { ...page, body: Buffer.from(page.body.toString('utf8').replace('</header>', form)) };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
