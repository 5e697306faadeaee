import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `switchboard plugin-worker` child process, and the socket to it (the child's fd 3).
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    let channel: FrameChannel
    /// The descriptor number the worker finds its end of the socket at.
    static let workerDescriptor: Int32 = 3

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    private init(pid: pid_t, channel: FrameChannel) {
        self.pid = pid
        self.channel = channel
    }

    /// Starts `executable plugin-worker --library <library>` with default signal handling and an empty mask.
    static func spawn(executable: String, library: String) throws(SpawnError) -> WorkerProcess {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw SpawnError(description: "socketpair failed: \(String(cString: strerror(errno)))")
        }
        var child = ends[1]
        if child == workerDescriptor {
            // dup2 onto the same number would keep close-on-exec set: move it out of the way first.
            child = fcntl(ends[1], F_DUPFD_CLOEXEC, 10)
            close(ends[1])
        }
        defer { close(child) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, child, workerDescriptor)
        // Inherit nothing else: a descriptor left open here can keep another child's pipe alive, and Foundation's
        // `Process` waits for such a pipe to close to learn that its child exited.
        _ = addCloseFrom?(&actions, workerDescriptor + 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigfillset(&signals)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = [executable, "plugin-worker", "--library", library, "--fd", String(workerDescriptor)]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // A crash is the plugin's, in C or Swift: the host logs the signal, so skip the Swift runtime's slow backtrace.
        let environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { mine, _ in mine }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid = pid_t()
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            close(ends[0])
            throw SpawnError(description: "could not start \(executable): \(String(cString: strerror(status)))")
        }
        return WorkerProcess(pid: pid, channel: FrameChannel(descriptor: ends[0]))
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not import.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
    }()

    /// Kills the worker (if it still runs) and reaps it; says how it ended, e.g. "killed by signal 11".
    @discardableResult
    func stop() -> String {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? "exited with status \((status >> 8) & 0xff)" : "killed by signal \(signal)"
    }

    /// Asks the worker to destroy its instance and exit; kills it if it does not answer within `timeout`.
    func shutDown(timeout: Duration) {
        if (try? channel.send([Array("destroy".utf8)])) != nil {
            _ = try? channel.receive(timeout: timeout)
        }
        stop()
    }
}
