import Foundation

/// The webhook path under load with wrk: signed-free sandbox webhooks (a fresh message id per request,
/// committed before the 2xx, dispatched through the scheduler) against a bare route in the same run.
enum WebhookBench {
    static func run(binary: String, pluginsDirectory: String, directory: URL) throws -> [BenchResult] {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
            return [BenchResult("webhook path: wrk is not installed (apt install wrk)", 0, "")]
        }
        let tenants = directory.appendingPathComponent("webhook-tenants")
        try FileManager.default.createDirectory(at: tenants, withIntermediateDirectories: true)
        try "slug: load\nname: Load\ndomains: [load.localhost]\nplugins:\n  - id: echo-swift\n"
            .write(to: tenants.appendingPathComponent("load.yaml"), atomically: true, encoding: .utf8)
        let port = 18183
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", String(port), "--log-level", "error"]
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_DATABASE_URL"] = "sqlite://\(directory.appendingPathComponent("webhook.sqlite").path)"
        environment["SWITCHBOARD_TENANTS_DIR"] = tenants.path
        environment["SWITCHBOARD_PLUGINS_DIR"] = pluginsDirectory
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        for _ in 0..<2000 where HTTPProbe.status("http://127.0.0.1:\(port)/readyz") != 200 { usleep(10_000) }
        let script = directory.appendingPathComponent("webhook.lua")
        try """
            counter = 0
            request = function()
              counter = counter + 1
              local body = '{"from":"+3161' .. string.format("%07d", counter % 10000000) .. '","text":"Hallo","id":"' .. math.random(1, 2^31) .. '-' .. counter .. '"}'
              return wrk.format("POST", "/webhooks/sandbox", {["Host"] = "load.localhost", ["Content-Type"] = "application/json"}, body)
            end
            """.write(to: script, atomically: true, encoding: .utf8)
        let webhook = try wrk(["-t2", "-c32", "-d10s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)/"])
        let bare = try wrk(["-t2", "-c32", "-d10s", "--latency", "http://127.0.0.1:\(port)/healthz"])
        let ratio = webhook.rps / max(bare.rps, 1)
        return [
            BenchResult("webhook path (sandbox, SQLite): requests/s", webhook.rps, "req/s"),
            BenchResult("webhook path: p50 latency at full load", webhook.p50, "ms"),
            BenchResult("webhook path: p99 latency at full load", webhook.p99, "ms"),
            BenchResult("bare route (/healthz, same server): requests/s", bare.rps, "req/s"),
            BenchResult("webhook path vs bare route", ratio * 100, "%", target: "≥ 30 %", met: ratio >= 0.3),
        ]
    }

    /// Runs wrk and reads requests/s and the 50th and 99th percentile latency (ms) from its output.
    static func wrk(_ arguments: [String]) throws -> (rps: Double, p50: Double, p99: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        func field(_ prefix: String) -> String? {
            output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) }?
                .split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init)
        }
        func millis(_ text: String?) -> Double {
            guard let text else { return 0 }
            if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
            if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
            if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? 0) * 1000 }
            return 0
        }
        let rps = Double(field("Requests/sec:") ?? "0") ?? 0
        return (rps, millis(field("50%")), millis(field("99%")))
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
