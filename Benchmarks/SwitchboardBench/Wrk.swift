import Foundation

/// What one wrk run measured.
struct WrkFigures {
    let requestsPerSecond: Double
    let p50: Double
    let p99: Double
    /// Requests completed in the run.
    let requests: Int
    /// Responses other than 2xx/3xx, and socket errors.
    let failures: Int
}

/// Runs wrk (Debian's, at /usr/bin/wrk) and reads its summary.
enum Wrk {
    static let path = "/usr/bin/wrk"

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Runs wrk with `arguments` and reads requests/s, the 50th and 99th percentile latency (ms), the request
    /// count and the failures from its `--latency` output.
    static func run(_ arguments: [String]) throws -> WrkFigures {
        try start(arguments).finish()
    }

    /// Starts wrk with `arguments` in the background; `finish()` waits for it and reads its summary.
    static func start(_ arguments: [String]) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        return Running(process: process, output: pipe)
    }

    /// A wrk run under way.
    struct Running {
        let process: Process
        let output: Pipe

        /// Waits for wrk to end and reads its figures.
        func finish() -> WrkFigures {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return Wrk.figures(text)
        }
    }

    /// Reads the figures from wrk's `--latency` summary.
    static func figures(_ output: String) -> WrkFigures {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func words(_ prefix: String) -> [String] {
            lines.first { $0.hasPrefix(prefix) }?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) ?? []
        }
        func millis(_ text: String?) -> Double {
            guard let text else { return 0 }
            if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
            if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
            if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? 0) * 1000 }
            return 0
        }
        // "12345 requests in 8.00s, 1.23MB read", "Non-2xx or 3xx responses: 12",
        // "Socket errors: connect 0, read 0, write 0, timeout 3"
        let requests = lines.first { $0.contains(" requests in ") }.flatMap { Int($0.split(separator: " ")[0]) } ?? 0
        let non2xx = Int(words("Non-2xx or 3xx responses:").last ?? "0") ?? 0
        let socketErrors = words("Socket errors:").compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
        return WrkFigures(
            requestsPerSecond: Double(words("Requests/sec:").dropFirst().first ?? "0") ?? 0,
            p50: millis(words("50%").dropFirst().first), p99: millis(words("99%").dropFirst().first),
            requests: requests, failures: non2xx + socketErrors)
    }
}
