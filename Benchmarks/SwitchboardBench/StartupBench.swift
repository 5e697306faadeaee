import Foundation

/// Start-to-ready time and resident memory of `switchboard serve`, with the four demo tenants and with
/// 1,000 generated ones, measured on the real executable.
enum StartupBench {
    static func run(binary: String, pluginsDirectory: String, demoTenants: String, directory: URL) throws -> [BenchResult] {
        var results: [BenchResult] = []
        let demo = try measure(binary: binary, tenants: demoTenants, plugins: pluginsDirectory, database: directory.appendingPathComponent("demo.sqlite"), port: 18181)
        results.append(BenchResult("start to ready, 4 demo tenants", demo.ready * 1000, "ms", target: "< 500 ms", met: demo.ready < 0.5))
        results.append(BenchResult("RSS, 4 demo tenants loaded", demo.rss, "MB", target: "< 80 MB", met: demo.rss < 80))
        let many = try generateTenants(1000, in: directory)
        let large = try measure(binary: binary, tenants: many.path, plugins: pluginsDirectory, database: directory.appendingPathComponent("many.sqlite"), port: 18182)
        results.append(BenchResult("start to ready, 1,000 generated tenants (first start)", large.ready * 1000, "ms"))
        results.append(BenchResult("RSS, 1,000 tenants loaded", large.rss, "MB"))
        return results
    }

    /// Writes `count` manifests `t0` … (domain `t<n>.localhost`, the sandbox channel, the C plugin) into a new directory.
    static func generateTenants(_ count: Int, in directory: URL) throws -> URL {
        let tenants = directory.appendingPathComponent("tenants-\(count)")
        try FileManager.default.createDirectory(at: tenants, withIntermediateDirectories: true)
        for index in 0..<count {
            try "slug: t\(index)\nname: Tenant \(index)\ndomains: [t\(index).localhost]\nchannels:\n  sandbox: {}\nplugins:\n  - id: hello-c\n"
                .write(to: tenants.appendingPathComponent("t\(index).yaml"), atomically: true, encoding: .utf8)
        }
        return tenants
    }

    /// Starts the host, polls /readyz until it answers 200, reads VmRSS, and stops it.
    static func measure(binary: String, tenants: String, plugins: String, database: URL, port: Int) throws -> (ready: Double, rss: Double) {
        let host = try RunningHost.start(binary: binary, port: port, environment: [
            "SWITCHBOARD_DATABASE_URL": "sqlite://\(database.path)", "SWITCHBOARD_TENANTS_DIR": tenants, "SWITCHBOARD_PLUGINS_DIR": plugins,
        ])
        defer { host.stop() }
        return (host.secondsToReady, host.residentMegabytes())
    }
}

/// `switchboard serve` started for a measurement, ready (its `/readyz` answered 200).
struct RunningHost {
    let process: Process
    let secondsToReady: Double

    /// Starts the host on `port` with `environment` on top of this process's, and waits until it is ready.
    static func start(binary: String, port: Int, environment: [String: String], readyWithin: TimeInterval = 300) throws -> RunningHost {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", String(port), "--log-level", "error"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        while Date().timeIntervalSince(started) < readyWithin {
            if HTTPProbe.status("http://127.0.0.1:\(port)/readyz") == 200 {
                return RunningHost(process: process, secondsToReady: Date().timeIntervalSince(started))
            }
            usleep(5_000)
        }
        process.terminate()
        process.waitUntilExit()
        throw BenchFailure("the host did not become ready within \(Int(readyWithin)) s")
    }

    /// VmRSS from /proc, in MB.
    func residentMegabytes() -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let kilobytes = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return kilobytes / 1024
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
