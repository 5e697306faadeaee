import Foundation

/// Threads for work that blocks: plugin calls through the C ABI, libcurl, SMTP.
///
/// NIO's shared thread pool has one thread per core, so a few calls that hang (a plugin sleeping, a provider not
/// answering) would leave every other tenant waiting. This pool starts another thread whenever all of its threads
/// are busy, up to `maxThreads`, and lets threads beyond `minThreads` end after `idleTimeout` without work. What
/// keeps one tenant from taking all of them is upstream: an instance runs one call at a time (`InstanceGate`) and
/// the scheduler runs at most `SchedulerSettings.perTenant` jobs of a tenant at once.
public final class BlockingExecutor: @unchecked Sendable {
    public let maxThreads: Int
    public let minThreads: Int
    public let idleTimeout: TimeInterval

    private let condition = NSCondition()
    /// Guarded by `condition`: work not yet taken, oldest first from `head`; taken slots are emptied, so nothing the
    /// work holds (a plugin instance) outlives it.
    private var queue: [(@Sendable () -> Void)?] = []
    private var head = 0
    private var threads = 0
    private var idle = 0

    public init(minThreads: Int = 2, maxThreads: Int = 512, idleTimeout: TimeInterval = 30) {
        self.minThreads = max(minThreads, 0)
        self.maxThreads = max(maxThreads, 1)
        self.idleTimeout = idleTimeout
    }

    /// The threads the pool runs now, busy or idle.
    public var threadCount: Int { condition.withLock { threads } }

    /// Runs `work` on a pool thread.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        let start = condition.withLock { () -> Bool in
            queue.append(work)
            let waiting = queue.count - head
            if idle >= waiting {
                condition.signal()
                return false
            }
            guard threads < maxThreads else { return false }
            threads += 1
            return true
        }
        if start { startThread() }
    }

    /// Runs `work` on a pool thread and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `work`, which cannot throw, on a pool thread and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: work()) }
        }
    }

    private func startThread() {
        let thread = Thread { [self] in work() }
        thread.name = "switchboard-blocking"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// One thread: takes work until it has waited `idleTimeout` for more while the pool has more than `minThreads`.
    private func work() {
        while let next = take() { next() }
    }

    private func take() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            idle += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleTimeout))
            idle -= 1
            if !signalled, head == queue.count, threads > minThreads {
                threads -= 1
                return nil
            }
        }
        let next = queue[head]
        queue[head] = nil
        head += 1
        if head > 1024, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return next
    }
}
