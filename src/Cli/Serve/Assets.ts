/**
 * The dashboard's two static files, served by the server itself (nothing is fetched from
 * elsewhere): its style sheet, and its one script, which keeps a page live over Server-Sent
 * Events. Kept as text in the bundle: the command line is one file.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export const styleSheet = `:root { color-scheme: light dark; --fg: #1d2125; --muted: #5f6b76; --bg: #fbfbfc; --line: #d9dee3; --accent: #2f6feb; --bad: #c62828; --good: #2e7d32; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ea; --muted: #9aa5b1; --bg: #15181b; --line: #30363d; --accent: #6ea2ff; --bad: #ff6b6b; --good: #5cc26a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header .home { font-weight: 700; text-decoration: none; color: var(--fg); }
.live-status { margin-left: auto; font-size: .85rem; padding: .1rem .5rem; border-radius: 1rem; border: 1px solid var(--line); }
.live-status[data-state="open"] { color: var(--good); }
.live-status[data-state="lost"] { color: #fff; background: var(--bad); border-color: var(--bad); }
main { max-width: 1240px; margin: 0 auto; padding: .5rem 1rem 2rem; }
h1 { font-size: 1.4rem; margin: .6rem 0; word-break: break-all; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
a { color: var(--accent); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .6rem; }
.tile { border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .8rem; display: flex; flex-direction: column; }
.tile .value { font-size: 1.5rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .label { color: var(--muted); font-size: .85rem; }
.tile.attention .value, .attention { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 24rem), 1fr)); gap: 1rem; margin-top: 1rem; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .8rem; }
.chart figcaption { color: var(--muted); font-size: .9rem; }
.chart svg { width: 100%; height: auto; display: block; }
.chart rect { fill: var(--accent); }
.chart.cost rect { fill: var(--good); }
.chart line { stroke: var(--line); }
.chart text { fill: var(--muted); font-size: 10px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .85rem; white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 600; }
.statuses { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .2rem .7rem; font-size: .85rem; }
.statuses .n { color: var(--muted); }
.message { overflow-wrap: anywhere; min-width: 12rem; }
time { white-space: nowrap; }
.priority.urgent { color: #d97706; font-weight: 600; }
.priority.critical { color: var(--bad); font-weight: 700; }
pre { margin: 0; max-width: 40rem; max-height: 12rem; overflow: auto; font-size: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
.fields dt { color: var(--muted); }
.fields dd { margin: 0; overflow-wrap: anywhere; }
.filter { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: .6rem; }
.filter label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
.pager { display: flex; gap: 1rem; margin-top: .8rem; }
.error { color: var(--bad); }
@media (max-width: 600px) { body { font-size: 14px; } .fields { grid-template-columns: 1fr; } .fields dt { margin-top: .4rem; } }
`

/** @since 0.1.0 */
export const liveScript = `// ennio-db dashboard: keeps the page live over Server-Sent Events (the pages work without it).
(function () {
  "use strict";
  var live = document.body.getAttribute("data-live");
  var status = document.getElementById("live-status");
  if (!live || !status || typeof EventSource === "undefined") return;
  var url = new URL(live, location.href);
  var resume = url.pathname.indexOf("/live/overview") === 0 ? "version" : "after";
  var lastId = null;
  var source = null;
  function say(text, state) {
    status.textContent = text;
    status.setAttribute("data-state", state);
    status.hidden = false;
  }
  // Markup made and escaped by the server, parsed inert (a template runs nothing).
  function parse(markup) {
    var template = document.createElement("template");
    template.innerHTML = markup;
    return template.content.firstElementChild;
  }
  function connect() {
    if (lastId !== null) url.searchParams.set(resume, lastId);
    source = new EventSource(url.href);
    source.addEventListener("open", function () { say("Live", "open"); });
    source.addEventListener("error", function () {
      say("Connection lost: reconnecting\\u2026", "lost");
      // The browser retries a dropped stream by itself, but not one the server refused.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    });
    source.addEventListener("event", function (message) {
      lastId = message.lastEventId;
      var body = document.querySelector("#timeline tbody");
      var row = parse(message.data);
      if (!body || !row) return;
      var id = row.getAttribute("data-id");
      var shown = body.querySelectorAll("tr[data-id]");
      for (var i = 0; i < shown.length; i++) if (shown[i].getAttribute("data-id") === id) return;
      body.insertBefore(row, body.firstChild);
      var none = document.getElementById("no-events");
      if (none) none.remove();
    });
    source.addEventListener("overview", function (message) {
      lastId = message.lastEventId;
      var main = document.getElementById("live-main");
      var next = parse(message.data);
      if (main && next) main.replaceWith(next);
    });
    // The page's cursor is older than the server remembers: read the page again.
    source.addEventListener("reload", function () {
      source.close();
      location.reload();
    });
  }
  connect();
})();
`
