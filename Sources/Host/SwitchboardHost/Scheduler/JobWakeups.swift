import Foundation

/// Wakes this host's idle scheduler workers when a job is committed that is due before they would look again.
/// An idle worker sleeps until the next pending job is due, at most one poll interval; a job scheduled on this
/// host after it fell asleep ends that sleep once its transaction commits (`JobStore.schedule`). Jobs scheduled
/// by another host sharing the database are found at the next poll. A wake-up is a hint: one too many only
/// costs a worker a claim that finds nothing.
public final class JobWakeups: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`: bumped by every wake-up, so a worker that saw no due job cannot miss one that
    /// arrived before it went to sleep.
    private var generation: UInt64 = 0
    /// Guarded by `lock`: the sleeping workers, each with the time (epoch ms) it wakes up by itself.
    private var sleepers: [UInt64: (until: Int64, sleep: Task<Void, any Error>)] = [:]
    private var nextSleeper: UInt64 = 0

    public init() {}

    /// The current wake-up generation: read it before looking for due jobs, and pass it to `sleep`.
    public var current: UInt64 { lock.withLock { generation } }

    /// Whether a job due at `runAt` (epoch ms) would end some worker's sleep early: only then is a wake-up worth
    /// arranging, so a transaction scheduling a million jobs for next year arranges none.
    func wouldWake(runAt: Int64) -> Bool {
        lock.withLock { sleepers.values.contains { $0.until > runAt } }
    }

    /// Ends the sleep of one worker that would otherwise sleep past `dueAt` (epoch ms): one committed job is work for
    /// one worker, and waking them all would have each of them claim against the one database writer (with many
    /// workers and a busy webhook path, that herd alone held other tenants' jobs back for seconds). A worker about to
    /// fall asleep looks again instead.
    public func wakeOne(dueAt: Int64) {
        let sleep = lock.withLock { () -> Task<Void, any Error>? in
            generation &+= 1
            guard let (key, sleeper) = sleepers.first(where: { $0.value.until > dueAt }) else { return nil }
            sleepers.removeValue(forKey: key)
            return sleeper.sleep
        }
        sleep?.cancel()
    }

    /// Sleeps for `duration` (`now` is the caller's clock, epoch ms), or less when `wakeOne` ends it meanwhile or
    /// was called since `seen` was read. Returns at once when the calling task is cancelled.
    public func sleep(for duration: Duration, now: Int64, unlessWokenSince seen: UInt64) async {
        let sleep = Task { try await Task.sleep(for: duration) }
        let key: UInt64? = lock.withLock {
            guard generation == seen else { return nil }
            nextSleeper &+= 1
            sleepers[nextSleeper] = (now + duration.inMilliseconds, sleep)
            return nextSleeper
        }
        guard let key else {
            sleep.cancel()
            return
        }
        await withTaskCancellationHandler {
            _ = try? await sleep.value
        } onCancel: {
            sleep.cancel()
        }
        lock.withLock { _ = sleepers.removeValue(forKey: key) }
    }
}
