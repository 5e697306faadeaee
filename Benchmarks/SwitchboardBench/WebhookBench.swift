import Foundation
import SwitchboardHost

/// The webhook path under load with wrk, on one database: sandbox and WhatsApp-format webhooks (the WhatsApp
/// ones with a real `X-Hub-Signature-256`), each committed before its 2xx and then delivered by the scheduler
/// to the plugin (EchoSwift) and to an automation rule whose reply is queued through the outbound policy.
/// Next to them, in the same run, a bare route of the same server; then the WhatsApp path paced at 500 req/s.
enum WebhookBench {
    /// Where the host keeps its data for one run: a name for the table and a `SWITCHBOARD_DATABASE_URL`.
    struct Store {
        let label: String
        let url: String
    }

    static let phoneNumberID = "106540352242922"
    static let loadDuration = "8s"
    /// Signed WhatsApp bodies per run: more than the full-load run sends on this machine, so none repeats.
    static let bodiesAtFullLoad = 40_000
    /// The paced run: 500 req/s in all over 16 connections, for 10 s.
    static let pacedRate = 500
    static let pacedConnections = 16
    static let pacedDuration = 10

    static func run(binary: String, pluginsDirectory: String, directory: URL, store: Store, port: Int) throws -> [BenchResult] {
        guard Wrk.isInstalled else { return [BenchResult("webhook path (\(store.label)): wrk is not installed (apt install wrk)", 0, "", target: "runs", met: false)] }
        let work = directory.appendingPathComponent("webhook-\(port)")
        let tenants = work.appendingPathComponent("tenants")
        try FileManager.default.createDirectory(at: tenants, withIntermediateDirectories: true)
        try tenantYAML.write(to: tenants.appendingPathComponent("load.yaml"), atomically: true, encoding: .utf8)
        let whatsApp = WhatsAppLoad(phoneNumberID: phoneNumberID, appSecret: "bench-app-secret-\(UUID().uuidString)")
        let server = try RunningHost.start(
            binary: binary, port: port,
            environment: [
                "SWITCHBOARD_DATABASE_URL": store.url, "SWITCHBOARD_TENANTS_DIR": tenants.path, "SWITCHBOARD_PLUGINS_DIR": pluginsDirectory,
                "SWITCHBOARD_BENCH_WA_APP_SECRET": whatsApp.appSecret, "SWITCHBOARD_BENCH_WA_VERIFY_TOKEN": "bench-verify",
                "SWITCHBOARD_BENCH_WA_ACCESS_TOKEN": "bench-token",
            ])
        defer { server.stop() }
        let url = "http://127.0.0.1:\(port)/"
        let sandboxScript = work.appendingPathComponent("sandbox.lua")
        try sandboxLua(host: "'load.localhost'").write(to: sandboxScript, atomically: true, encoding: .utf8)
        let fullBodies = work.appendingPathComponent("whatsapp-full.tsv")
        let pacedBodies = work.appendingPathComponent("whatsapp-paced.tsv")
        try whatsApp.writeBodies(to: fullBodies, first: 0, count: bodiesAtFullLoad)
        try whatsApp.writeBodies(to: pacedBodies, first: bodiesAtFullLoad, count: pacedRate * pacedDuration * 2)
        let fullScript = work.appendingPathComponent("whatsapp.lua")
        let pacedScript = work.appendingPathComponent("whatsapp-paced.lua")
        try WhatsAppLoad.script(host: "load.localhost", rate: nil).write(to: fullScript, atomically: true, encoding: .utf8)
        try WhatsAppLoad.script(host: "load.localhost", rate: pacedRate).write(to: pacedScript, atomically: true, encoding: .utf8)

        let database = try DatabaseLocation(url: store.url).open()
        let load = ["-t2", "-c32", "-d\(loadDuration)", "--latency"]
        print("    \(store.label): bare route")
        let bare = try Wrk.run(load + [url + "healthz"])
        print("    \(store.label): sandbox webhooks")
        let sandbox = try EndToEnd.measure(database: database) { try Wrk.run(load + ["-s", sandboxScript.path, url]) }
        print("    \(store.label): WhatsApp webhooks (signed)")
        let whatsAppFull = try EndToEnd.measure(database: database) { try Wrk.run(load + ["-s", fullScript.path, url, "--", fullBodies.path, "2"]) }
        print("    \(store.label): WhatsApp webhooks paced at \(pacedRate) req/s")
        let paced = try Wrk.run(
            ["-t2", "-c\(pacedConnections)", "-d\(pacedDuration)s", "--latency", "-s", pacedScript.path, url, "--", pacedBodies.path, "2"])

        let name = "webhook (\(store.label))"
        var results = [BenchResult("bare route /healthz (\(store.label), same server): requests/s", bare.requestsPerSecond, "req/s")]
        for (path, run) in [("sandbox", sandbox), ("WhatsApp", whatsAppFull)] {
            let figures = run.wrk
            let ratio = figures.requestsPerSecond / max(bare.requestsPerSecond, 1)
            let endToEndRatio = run.messagesPerSecond / max(bare.requestsPerSecond, 1)
            results += [
                BenchResult("\(name), \(path): requests/s at full load (each committed before its 2xx)", figures.requestsPerSecond, "req/s"),
                BenchResult("\(name), \(path): p50 latency at full load", figures.p50, "ms"),
                BenchResult("\(name), \(path): p99 latency at full load", figures.p99, "ms"),
                BenchResult("\(name), \(path): requests/s vs bare route", ratio * 100, "%", target: "≥ 30 %", met: ratio >= 0.3),
                BenchResult("\(name), \(path): failed requests (non-2xx, socket errors)", Double(figures.failures), "", target: "0", met: figures.failures == 0),
                BenchResult("\(name), \(path): end to end, messages/s through plugin, rules and queued reply", run.messagesPerSecond, "msg/s"),
                BenchResult("\(name), \(path): end to end, seconds until the run's \(run.messages) messages were dispatched", run.seconds, "s"),
                BenchResult("\(name), \(path): end to end vs bare route", endToEndRatio * 100, "%", target: "≥ 30 %", met: endToEndRatio >= 0.3),
            ]
        }
        if whatsAppFull.wrk.requests > bodiesAtFullLoad {
            results.append(BenchResult("\(name), WhatsApp: requests beyond the signed bodies (repeats, answered as duplicates)", Double(whatsAppFull.wrk.requests - bodiesAtFullLoad), ""))
        }
        results += [
            BenchResult("\(name), WhatsApp paced at \(pacedRate) req/s (\(pacedConnections) connections): measured rate", paced.requestsPerSecond, "req/s", target: "≥ \(pacedRate * 95 / 100)", met: paced.requestsPerSecond >= Double(pacedRate) * 0.95),
            BenchResult("\(name), WhatsApp paced: p99 latency", paced.p99, "ms", target: "< 20 ms", met: paced.p99 < 20),
            BenchResult("\(name), WhatsApp paced: failed requests", Double(paced.failures), "", target: "0", met: paced.failures == 0),
        ]
        return results
    }

    /// One tenant with the sandbox and WhatsApp channels (the Graph API base points at a closed port: the queued
    /// replies fail to deliver and are retried later, off the measured path), EchoSwift on every message, and an
    /// automation rule that answers every "hallo" through the outbound policy.
    static let tenantYAML = """
        slug: load
        name: Load
        domains: [load.localhost]
        channels:
          sandbox: {}
          whatsapp:
            phone_number_id: "\(phoneNumberID)"
            verify_token: env:SWITCHBOARD_BENCH_WA_VERIFY_TOKEN
            app_secret: env:SWITCHBOARD_BENCH_WA_APP_SECRET
            access_token: env:SWITCHBOARD_BENCH_WA_ACCESS_TOKEN
            api_base: http://127.0.0.1:9/v21.0
        messaging:
          allowed_hours: "00:00-24:00"
        automation_rules:
          - name: thanks
            event: message_created
            conditions:
              - {field: message_content, operator: contains, value: hallo}
            actions:
              - send_message: {text: "Danke, wir melden uns."}
        plugins:
          - id: echo-swift

        """

    /// Sandbox webhooks, a fresh message id and sender per request (cheap enough to build in Lua), each to the
    /// Host header the Lua expression `host` gives. Each wrk thread numbers its own requests, so the thread
    /// number goes into both id and sender, or the threads would repeat each other.
    static func sandboxLua(host: String) -> String {
        """
        local threads = 0
        function setup(thread)
          thread:set("thread_number", threads)
          threads = threads + 1
        end
        counter = 0
        request = function()
          counter = counter + 1
          local body = '{"from":"+316' .. thread_number .. string.format("%07d", counter % 10000000) .. '","text":"Hallo","id":"' .. thread_number .. '-' .. counter .. '"}'
          return wrk.format("POST", "/webhooks/sandbox", {["Host"] = \(host), ["Content-Type"] = "application/json"}, body)
        end
        """
    }
}

/// A load run followed until the host has dispatched every message it accepted: each one through the plugin and
/// the automation rules, its reply queued. That end-to-end rate is what the host sustains; the accepted rate
/// alone can run ahead of it while the dispatch jobs queue up.
struct EndToEnd {
    let wrk: WrkFigures
    /// Messages stored by the run, and the seconds from its start until the last one was dispatched.
    let messages: Int
    let seconds: Double

    var messagesPerSecond: Double { Double(messages) / max(seconds, 0.001) }

    static func measure(database: Database, _ load: () throws -> WrkFigures) throws -> EndToEnd {
        let before = try inboundMessages(database)
        let started = ContinuousClock.now
        let figures = try load()
        while try pendingDispatches(database) > 0 { usleep(50_000) }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return EndToEnd(wrk: figures, messages: try inboundMessages(database) - before, seconds: seconds)
    }

    private static func inboundMessages(_ database: Database) throws -> Int {
        try count(database, "SELECT COUNT(*) AS n FROM messages WHERE direction = 'inbound'")
    }

    /// The event deliveries (to the plugin and to the rules) not finished yet.
    private static func pendingDispatches(_ database: Database) throws -> Int {
        try count(database, "SELECT COUNT(*) AS n FROM jobs WHERE kind IN ('event.deliver', 'event.rules') AND status IN ('pending', 'running')")
    }

    private static func count(_ database: Database, _ sql: String) throws -> Int {
        Int(try database.read { try $0.query(sql).first?.int("n") } ?? 0)
    }
}

/// A plain GET through libcurl-free Foundation sockets is overkill: curl is on every machine that builds this.
enum HTTPProbe {
    static func status(_ url: String) -> Int? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "1", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Int(text)
    }
}
