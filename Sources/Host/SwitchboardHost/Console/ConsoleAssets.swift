import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The console's static assets, served by the host itself (no CDN, no build step):
/// the stylesheet, the script for live updates and drag-and-drop, and the tenant's logo.
enum ConsoleAssets {
    static func register(on router: Router<AppRequestContext>) {
        router.get("/console/assets/console.css") { _, _ in asset(stylesheet, type: "text/css; charset=utf-8") }
        router.get("/console/assets/console.js") { _, _ in asset(script, type: "text/javascript; charset=utf-8") }
        router.get("/console/assets/logo") { _, context -> Response in
            let tenant = try context.requireTenant()
            guard let file = tenant.logoFile, let data = FileManager.default.contents(atPath: file) else { throw Problem.notFound("Logo") }
            return asset(Array(data), type: file.hasSuffix(".svg") ? "image/svg+xml" : "image/png")
        }
    }

    private static func asset(_ text: String, type: String) -> Response { asset(Array(text.utf8), type: type) }

    private static func asset(_ bytes: [UInt8], type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "public, max-age=300"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Layout and components; `--primary` and `--accent` come from the tenant's branding in the page head.
    static let stylesheet = """
        body { font-family: system-ui, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
        header { background: var(--primary); color: #fff; padding: .6rem 1.25rem; display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; }
        header img { height: 32px; }
        header nav a { color: #fff; text-decoration: none; margin-right: 1rem; padding: .25rem 0; }
        header nav a[aria-current="page"] { border-bottom: 2px solid var(--accent); font-weight: 600; }
        header .spacer { flex: 1; }
        header button { background: transparent; color: #fff; border: 1px solid #ffffffaa; border-radius: 4px; padding: .25rem .75rem; cursor: pointer; }
        main { max-width: 1200px; margin: 1.25rem auto; padding: 0 1rem; }
        a { color: #1d4ed8; }
        a:focus, button:focus, input:focus, select:focus, textarea:focus, [tabindex]:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
        h1 { font-size: 1.5rem; }
        .filters a { margin-right: 1rem; text-decoration: none; }
        .filters a.active { font-weight: 700; border-bottom: 2px solid var(--accent); }
        table { width: 100%; border-collapse: collapse; background: #fff; }
        th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
        tr.priority-urgent, tr.priority-critical { background: #fee2e2; } tr.priority-high { background: #ffedd5; } tr.priority-low { color: #4b5563; }
        .overdue { color: #b91c1c; font-weight: 600; }
        .message { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: .5rem .75rem; margin: .5rem 0; max-width: 70%; }
        .message.outbound { margin-left: auto; background: #eef2ff; }
        .message.internal { background: #fefce8; border-style: dashed; }
        .meta { color: #4b5563; font-size: .85rem; }
        form.card, .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 1.25rem; margin: 1rem 0; }
        label { display: block; margin: .5rem 0 .25rem; font-weight: 500; }
        input, textarea, select { width: 100%; padding: .5rem; box-sizing: border-box; font: inherit; border: 1px solid #9ca3af; border-radius: 4px; }
        input[type=checkbox] { width: auto; }
        .error { color: #b91c1c; }
        .ok { color: #166534; }
        pre.errors { background: #fef2f2; color: #7f1d1d; padding: .75rem; white-space: pre-wrap; }
        button.primary, a.button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: .5rem 1rem; margin-top: .75rem; cursor: pointer; display: inline-block; text-decoration: none; }
        button.link { background: none; border: 0; color: #1d4ed8; cursor: pointer; padding: 0; text-decoration: underline; }
        .secret { font-family: ui-monospace, monospace; background: #ecfdf5; padding: .5rem; word-break: break-all; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; }
        .board { display: flex; gap: .75rem; overflow-x: auto; align-items: flex-start; padding-bottom: 1rem; }
        .column { background: #eef0f3; border-radius: 8px; min-width: 210px; flex: 1; padding: .5rem; }
        .column.drop-target { outline: 3px dashed var(--accent); }
        .column h2 { font-size: 1rem; margin: .25rem 0 .5rem; }
        .deal { background: #fff; border-radius: 6px; padding: .5rem; margin-bottom: .5rem; box-shadow: 0 1px 2px #0002; cursor: grab; }
        .deal select { margin-top: .25rem; }
        svg.chart { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; width: 100%; height: auto; }
        .grid:has(> svg.chart) { grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        @media (max-width: 640px) {
          main { padding: 0 .5rem; } th:nth-child(n+4), td:nth-child(n+4) { display: none; }
          .message { max-width: 100%; } header nav { width: 100%; }
        }
        """

    /// Live updates over `/console/stream`, browser notifications for urgent items, and drag-and-drop on boards.
    /// Markup contract: `[data-live]` elements are re-fetched from their URL on each tenant event;
    /// `[data-drag-value]` items dropped on a `[data-drop-value]` zone fill the fields `moved` and `target` of the page's
    /// `form[data-drop-form]` and submit it. A `form[data-batch-upload="<url>"]` sends its CSV file in batches of
    /// records (the header repeated in each) as form posts `{csrf, csv, first_line, map, dry_run}` and shows the
    /// progress and the rows refused from each answer `{rows, imported, duplicates, errors: [{line, field, reason}]}`.
    static let script = #"""
        (function () {
          "use strict";
          var live = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
          function refresh(el) {
            fetch(el.getAttribute("data-live"), { credentials: "same-origin" })
              .then(function (r) { return r.ok ? r.text() : null; })
              .then(function (html) { if (html !== null) { el.innerHTML = html; el.dispatchEvent(new CustomEvent("console:updated", { bubbles: true })); } });
          }
          function urgent(event) {
            var d = event.data || {};
            return event.type === "sla.alert" || d.urgent === true || d.priority === "urgent" || (d.thread && d.thread.priority === "urgent");
          }
          function notify(event) {
            if (!urgent(event) || !("Notification" in window) || Notification.permission !== "granted") { return; }
            new Notification(document.title, { body: event.type + (event.data && event.data.subject ? ": " + event.data.subject : "") });
          }
          var retry = 1000;
          function connect() {
            var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/stream");
            ws.onopen = function () { retry = 1000; document.body.setAttribute("data-live-connected", "true"); };
            ws.onmessage = function (message) {
              var event;
              try { event = JSON.parse(message.data); } catch (e) { return; }
              live.forEach(refresh);
              notify(event);
            };
            ws.onclose = function () {
              document.body.removeAttribute("data-live-connected");
              setTimeout(connect, retry);
              retry = Math.min(retry * 2, 30000);
            };
          }
          if (live.length || document.querySelector("[data-notifications]")) { connect(); }

          var enable = document.querySelector("[data-notifications]");
          if (enable && "Notification" in window) {
            enable.hidden = Notification.permission !== "default";
            enable.addEventListener("click", function () { Notification.requestPermission().then(function () { enable.hidden = true; }); });
          }

          var dragged = null;
          document.addEventListener("dragstart", function (e) {
            var item = e.target.closest && e.target.closest("[data-drag-value]");
            if (!item) { return; }
            dragged = item.getAttribute("data-drag-value");
            e.dataTransfer.setData("text/plain", dragged);
          });
          document.addEventListener("dragover", function (e) {
            var zone = e.target.closest && e.target.closest("[data-drop-value]");
            if (zone && dragged) { e.preventDefault(); zone.classList.add("drop-target"); }
          });
          document.addEventListener("dragleave", function (e) {
            var zone = e.target.closest && e.target.closest("[data-drop-value]");
            if (zone) { zone.classList.remove("drop-target"); }
          });
          document.addEventListener("drop", function (e) {
            var zone = e.target.closest && e.target.closest("[data-drop-value]");
            if (!zone || !dragged) { return; }
            e.preventDefault();
            var form = document.querySelector("form[data-drop-form]");
            form.elements.namedItem("moved").value = dragged;
            form.elements.namedItem("target").value = zone.getAttribute("data-drop-value");
            dragged = null;
            form.submit();
          });
          function decode(buffer) {
            try { return new TextDecoder("utf-8", { fatal: true }).decode(buffer); }
            catch (e) { return new TextDecoder("windows-1252").decode(buffer); }
          }
          // CSV records with the file line each starts on; a quoted field may span lines.
          function records(text) {
            var out = [], start = 0, line = 1, startLine = 1, quoted = false;
            if (text.charCodeAt(0) === 0xFEFF) { start = 1; }
            for (var i = start; i < text.length; i++) {
              var c = text[i];
              if (c === '"') { quoted = !quoted; }
              else if (c === "\n") {
                if (!quoted) { out.push({ text: text.slice(start, i).replace(/\r$/, ""), line: startLine }); start = i + 1; startLine = line + 1; }
                line++;
              }
            }
            if (start < text.length && text.slice(start).trim() !== "") { out.push({ text: text.slice(start), line: startLine }); }
            return out;
          }
          Array.prototype.forEach.call(document.querySelectorAll("form[data-batch-upload]"), function (form) {
            form.addEventListener("submit", function (e) {
              e.preventDefault();
              var file = form.elements.namedItem("file").files[0];
              if (!file) { return; }
              var progress = form.querySelector("progress"), status = form.querySelector("[data-batch-status]"), errors = form.querySelector("[data-batch-errors]");
              var button = form.querySelector("button");
              button.disabled = true; errors.innerHTML = ""; progress.value = 0;
              file.arrayBuffer().then(function (buffer) {
                var all = records(decode(buffer)), header = all.shift(), rows = all, done = 0, totals = { imported: 0, duplicates: 0, errors: 0 };
                if (!header) { status.textContent = "The file is empty."; button.disabled = false; return; }
                var size = 200;
                function next() {
                  if (done >= rows.length) {
                    progress.value = 1;
                    status.textContent = "Done: " + rows.length + " rows, " + totals.imported + " imported, " + totals.duplicates + " already there, " + totals.errors + " refused.";
                    button.disabled = false;
                    return;
                  }
                  var batch = rows.slice(done, done + size);
                  var body = new URLSearchParams();
                  body.set("csrf", form.elements.namedItem("csrf").value);
                  body.set("csv", [header.text].concat(batch.map(function (r) { return r.text; })).join("\n"));
                  body.set("first_line", String(batch[0].line));
                  body.set("map", (form.elements.namedItem("map") || { value: "" }).value.replace(/\s*,\s*/g, ","));
                  var dry = form.elements.namedItem("dry_run");
                  body.set("dry_run", dry && dry.checked ? "true" : "false");
                  fetch(form.getAttribute("data-batch-upload"), { method: "POST", credentials: "same-origin", body: body })
                    .then(function (r) { return r.json().then(function (json) { return { ok: r.ok, json: json }; }); })
                    .then(function (answer) {
                      if (!answer.ok) { status.textContent = "Stopped: " + (answer.json.detail || "the server refused the batch"); button.disabled = false; return; }
                      totals.imported += answer.json.imported || 0; totals.duplicates += answer.json.duplicates || 0;
                      (answer.json.errors || []).forEach(function (err) {
                        totals.errors++;
                        var item = document.createElement("li");
                        item.textContent = "line " + err.line + ": " + err.field + ": " + err.reason;
                        errors.appendChild(item);
                      });
                      done += batch.length;
                      progress.value = done / rows.length;
                      status.textContent = done + " of " + rows.length + " rows";
                      next();
                    })
                    .catch(function () { status.textContent = "Stopped: the connection failed."; button.disabled = false; });
                }
                next();
              });
            });
          });
          document.addEventListener("change", function (e) {
            if (e.target.matches && e.target.matches("select[data-autosubmit]")) { e.target.form.submit(); }
          });
        })();
        """#
}
