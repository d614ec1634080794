/**
 * The web page's documents: the login form (answered to any request without a credential)
 * and the page itself, with its style sheet. Nothing in them comes from a request or a node:
 * the page's script fills it in with `textContent`.
 *
 * @module
 */
import { createHash } from "node:crypto";

const LOGIN_STYLE = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;" +
  "padding:0 1rem}input,button{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;" +
  "margin:.25rem 0}.error{color:#b00020}";

/** The Content-Security-Policy of every answer: nothing but the page's own files. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; " +
  `style-src 'self' 'sha256-${createHash("sha256").update(LOGIN_STYLE).digest("base64")}'; ` +
  "connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'";

/**
 * The login form; `failed` adds the line saying the token was wrong.
 *
 * @example
 * ```ts
 * import { loginPage } from "./page_html.ts";
 * console.assert(loginPage(true).includes("not the listener token"));
 * ```
 */
export function loginPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Steward: log in</title><style>${LOGIN_STYLE}</style></head>
<body><h1>Steward</h1>
<p>Paste the token from the central agent's <code>CONFIG_FOLDER/listener_token</code>.</p>
${failed ? '<p class="error">That is not the listener token.</p>' : ""}
<form method="post" action="/login">
<input type="password" name="token" id="token" autocomplete="current-password" required
 aria-label="listener token">
<button type="submit" id="login">Log in</button>
</form></body></html>
`;
}

/** The page, for a browser that logged in. */
export const APP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Steward</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script></head>
<body>
<header><h1>Steward <span id="central"></span></h1><button id="logout">Log out</button></header>
<main>
<section id="fleet"><h2>Fleet</h2>
<p class="hint">Central's view, refreshed every 5 s. <span id="fleet-status"></span></p>
<div class="scroll"><table><thead><tr><th>Node</th><th>Key</th><th>Last hello (UTC)</th><th>Age</th>
<th>In flight</th><th>Last error</th></tr></thead><tbody id="fleet-body"></tbody></table></div>
<p id="approve-status" class="status"></p></section>
<section id="send"><h2>Send a command</h2>
<form id="send-form"><fieldset id="targets"><legend>To</legend></fieldset>
<label>Method <select id="method"><option>REQCliCommand</option><option>REQCliCommandCont</option>
</select></label>
<label>Command (arguments split at spaces, no shell)
<input id="command" required autocomplete="off" placeholder="uptime"></label>
<label>Timeout (s) <input id="timeout" type="number" min="1" max="86400" value="30"></label>
<button type="submit" id="send-button">Send</button></form>
<p id="send-status" class="status"></p><div id="output"></div></section>
<section id="messages"><h2>Messages</h2>
<form id="filter-form"><label>State <select id="state-filter"><option value="">any</option>
<option>waiting</option><option>published</option><option>ACKed</option><option>executed</option>
<option>replied</option><option>failed</option></select></label>
<label>Text <input id="text-filter" autocomplete="off" placeholder="node, method, id"></label>
</form>
<div class="scroll"><table><thead><tr><th>Time (UTC)</th><th>To</th><th>From</th><th>Method</th>
<th>State</th><th>Detail</th><th>Id</th></tr></thead><tbody id="messages-body"></tbody></table></div>
</section>
<section id="error-log"><h2>Error log <span id="errors-status"></span></h2>
<ul id="errors"></ul></section>
</main></body></html>
`;

/** The page's style sheet: readable from a phone's width up. */
export const APP_STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{display:flex;justify-content:space-between;align-items:center;padding:.5rem 1rem;
background:#1d3557;color:#fff}
header h1{font-size:1.2rem;margin:0}
main{padding:0 .75rem;max-width:80rem;margin:auto}
section{background:#fff;margin:.75rem 0;padding:.5rem .75rem;border-radius:.4rem;
box-shadow:0 1px 2px #0002}
h2{font-size:1.05rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #ddd;vertical-align:top}
td.error,td.detail{max-width:28rem;overflow-wrap:anywhere}
code{font-size:.8rem;overflow-wrap:anywhere}
.key{font-weight:600}.key-approved,.key-central{color:#2a7a2a}.key-pending{color:#b26a00}
.key-revoked,.key-none{color:#b00020}
.state-failed{color:#b00020}.state-replied{color:#2a7a2a}
.pending{margin:.2rem 0}
button{font-size:.95rem;padding:.35rem .7rem;margin:.15rem}
label{display:block;margin:.35rem 0}
input,select{font-size:1rem;padding:.3rem;max-width:100%}
#command{width:100%;box-sizing:border-box}
fieldset{border:1px solid #ccc}
fieldset label{display:inline-block;margin-right:1rem}
.hint{color:#555;font-size:.85rem}.status{font-size:.9rem}
.out h3{font-size:.95rem;margin:.5rem 0 .2rem}
pre{background:#111;color:#eee;padding:.5rem;overflow-x:auto;white-space:pre-wrap;
overflow-wrap:anywhere;max-height:24rem;margin:0}
#errors{list-style:none;padding:0;font-family:monospace;font-size:.8rem}
#errors li{border-bottom:1px solid #eee;padding:.2rem 0;overflow-wrap:anywhere}
#errors li.fresh{background:#fff4d6}
.clamp{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:4;overflow:hidden}
@media (max-width:40rem){th,td{font-size:.8rem;padding:.2rem}td.error{min-width:9rem}
.clamp{-webkit-line-clamp:3}}
`;
