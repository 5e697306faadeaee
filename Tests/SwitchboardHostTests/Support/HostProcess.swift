import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON

@testable import SwitchboardHost

/// A real `switchboard serve` process from the build directory, on a free port of 127.0.0.1, at a lower
/// scheduling priority, configured through its `SWITCHBOARD_*` environment. Its log goes to `log` for a failing test to read.
final class HostProcess: @unchecked Sendable {
    let port: Int
    let log: URL
    private let process = Process()

    /// Starts the host and waits until `/readyz` answers 200 (up to 20 seconds).
    init(environment: [String: String]) async throws {
        port = try Self.freePort()
        log = try TestEnvironment.temporaryDirectory().appendingPathComponent("host-\(port).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        // Niced: the load these hosts take must not starve the in-process tests that run beside them.
        // `nice` execs the host, so the process id is the host's.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
        process.arguments = ["-n", "10", TestEnvironment.pluginsDirectory + "/switchboard", "serve", "--port", String(port), "--log-level", "warning"]
        process.environment = ProcessInfo.processInfo.environment
            .merging(["SWITCHBOARD_PLUGINS_DIR": TestEnvironment.pluginsDirectory]) { _, new in new }
            .merging(environment) { _, new in new }
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try await waitUntilReady()
    }

    deinit { if process.isRunning { stop(signal: SIGKILL) } }

    /// Sends a request to the tenant at `host` over a connection of its own.
    func send(
        _ method: HTTPRequest.Method, _ path: String, host: String = "localhost", json body: JSON? = nil, raw: ByteBuffer? = nil,
        contentType: String? = nil, token: String? = nil
    ) async throws -> APIClient.Reply {
        let (headers, buffer) = try APIClient.request(host: host, json: body, raw: raw, contentType: contentType, token: token)
        return try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(10))) { client in
            let response = try await client.execute(TestClient.Request(path, method: method, headers: headers, body: buffer))
            return APIClient.reply(status: response.status, headers: response.headers, body: response.body ?? ByteBuffer())
        }
    }

    /// Sends `signal` (SIGKILL for a crash, SIGTERM for a graceful stop) and waits for the process to end.
    func stop(signal: Int32 = SIGTERM) {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// What the host logged so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    private func waitUntilReady() async throws {
        for _ in 0..<200 {
            guard process.isRunning else { throw Failure("the host exited at start:\n\(output)") }
            if let reply = try? await send(.get, "/readyz"), reply.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure("the host did not become ready:\n\(output)")
    }

    /// A port nothing listens on: the kernel picks one for a socket that is closed again.
    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure("socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw Failure("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
