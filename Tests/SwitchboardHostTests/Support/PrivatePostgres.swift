import Foundation
import NIOCore
import NIOPosix

/// A PostgreSQL cluster of one test's own, built like scripts/with-postgres.sh builds the shared one (Debian's
/// binaries, trust auth, TCP on 127.0.0.1 only), so the test can stop and start it without disturbing others.
final class PrivatePostgres: Sendable {
    let directory: URL
    let port: Int
    private let bin: String

    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Creates and starts a cluster in a fresh temporary directory.
    static func start() throws -> PrivatePostgres {
        let bin = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }.last.map { "/usr/lib/postgresql/\($0)/bin" }
        guard let bin, FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw Failure(description: "no PostgreSQL server under /usr/lib/postgresql (Debian's postgresql package)")
        }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("switchboard-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = PrivatePostgres(directory: directory, port: try freePort(), bin: bin)
        if getuid() == 0 { try server.run("/bin/chown", ["postgres:", directory.path], asServer: false) }
        try server.run("\(bin)/initdb", ["-D", server.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])
        let settings = """

            listen_addresses = '127.0.0.1'
            port = \(server.port)
            unix_socket_directories = ''
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(server.data)/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try handle.close()
        try server.resume()
        return server
    }

    private init(directory: URL, port: Int, bin: String) {
        self.directory = directory
        self.port = port
        self.bin = bin
    }

    private var data: String { directory.appendingPathComponent("data").path }

    /// Stops the server at once: open sessions are terminated, as in a restart or failover.
    func halt() throws { try run("\(bin)/pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]) }

    /// Starts the (stopped) server and waits until it accepts connections.
    func resume() throws { try run("\(bin)/pg_ctl", ["-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "60", "start"]) }

    /// Stops the server, if running, and removes its directory.
    func destroy() {
        try? halt()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a server binary, as the postgres user when the tests run as root (initdb and postgres refuse root).
    /// A shell closes every descriptor above stderr first: the server that `pg_ctl start` leaves running would
    /// inherit them, among them the one `Process` watches for the command's end, which would then never come.
    private func run(_ executable: String, _ arguments: [String], asServer: Bool = true) throws {
        let runAs = asServer && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let closeAndRun = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@""#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", closeAndRun, "bash"] + runAs + [executable] + arguments
        let outputFile = directory.appendingPathComponent("command.log")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            throw Failure(description: "\(executable) failed: \(text)")
        }
    }

    /// A port nothing listens on: bound and released again.
    private static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress?.port ?? 0
    }
}
