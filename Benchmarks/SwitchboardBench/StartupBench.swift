import Foundation

/// Start-to-ready time and resident memory of `switchboard serve`, with the four demo tenants and with
/// 1,000 generated ones, measured on the real executable.
enum StartupBench {
    static func run(binary: String, pluginsDirectory: String, demoTenants: String, directory: URL) throws -> [BenchResult] {
        var results: [BenchResult] = []
        let demo = try measure(binary: binary, tenants: demoTenants, plugins: pluginsDirectory, database: directory.appendingPathComponent("demo.sqlite"), port: 18181)
        results.append(BenchResult("start to ready, 4 demo tenants", demo.ready * 1000, "ms", target: "< 500 ms", met: demo.ready < 0.5))
        results.append(BenchResult("RSS, 4 demo tenants loaded", demo.rss, "MB", target: "< 80 MB", met: demo.rss < 80))
        let many = directory.appendingPathComponent("tenants-1000")
        try FileManager.default.createDirectory(at: many, withIntermediateDirectories: true)
        for index in 0..<1000 {
            try "slug: t\(index)\nname: Tenant \(index)\ndomains: [t\(index).localhost]\nplugins:\n  - id: hello-c\n"
                .write(to: many.appendingPathComponent("t\(index).yaml"), atomically: true, encoding: .utf8)
        }
        let large = try measure(binary: binary, tenants: many.path, plugins: pluginsDirectory, database: directory.appendingPathComponent("many.sqlite"), port: 18182)
        results.append(BenchResult("start to ready, 1,000 generated tenants (first start)", large.ready * 1000, "ms"))
        results.append(BenchResult("RSS, 1,000 tenants loaded", large.rss, "MB"))
        return results
    }

    /// Starts the host, polls /readyz until it answers 200, reads VmRSS, and stops it.
    static func measure(binary: String, tenants: String, plugins: String, database: URL, port: Int) throws -> (ready: Double, rss: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", String(port), "--log-level", "error"]
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_DATABASE_URL"] = "sqlite://\(database.path)"
        environment["SWITCHBOARD_TENANTS_DIR"] = tenants
        environment["SWITCHBOARD_PLUGINS_DIR"] = plugins
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var ready: Double?
        while Date().timeIntervalSince(started) < 120 {
            if HTTPProbe.status("http://127.0.0.1:\(port)/readyz") == 200 {
                ready = Date().timeIntervalSince(started)
                break
            }
            usleep(5_000)
        }
        guard let ready else { throw BenchFailure("the host did not become ready within 120 s") }
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let kilobytes = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return (ready, kilobytes / 1024)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
