import Foundation

/// Group commit for a database with one writer (SQLite): transactions asked for at the same moment share
/// one commit. The first caller to find no commit under way becomes the leader: on its own thread it takes
/// every waiting caller, runs each one's work in a savepoint of its own inside a single transaction, commits,
/// resumes them all, and goes on while more are waiting. A caller alone pays no hand-off to another thread.
/// Only async callers use it (`Database.sharedTransaction`): blocking `transaction` calls take the connection's
/// lock directly, since a blocking caller that waits for another thread to commit for it pays a context switch.
/// A caller whose work throws gets its error with only its own writes undone; a failed commit fails the batch.
final class GroupCommit: @unchecked Sendable {
    /// Runs `batch` inside one transaction (BEGIN … COMMIT), rolling back and rethrowing on failure.
    typealias Transaction = (_ batch: (SQLConnection) -> Void) throws -> Void

    /// The most callers one transaction serves; the rest go into the next.
    static let maxBatch = 128

    private let transaction: Transaction
    private let lock = NSLock()
    /// Guarded by `lock`: the callers waiting for a transaction, and whether a leader is committing.
    private var waiting: [Entry] = []
    private var leading = false

    private struct Entry {
        /// Runs the caller's work in its savepoint, keeping the outcome.
        let run: (SQLConnection) -> Void
        /// Resumes the caller: with its outcome after a commit, or with the commit's error.
        let finish: ((any Error)?) -> Void
    }

    init(transaction: @escaping Transaction) {
        self.transaction = transaction
    }

    /// Runs `body` in the next shared transaction and returns its result once that transaction has committed.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = Outcome<T>()
            submit(Entry(
                run: { connection in outcome.result = Result { try connection.savepoint { try body(connection) } } },
                finish: { commitError in continuation.resume(with: commitError.map { .failure($0) } ?? outcome.result) }))
        }
    }

    /// Queues `entry`. With no leader, this caller leads: it commits batches until no one is waiting.
    private func submit(_ entry: Entry) {
        let leads = lock.withLock {
            waiting.append(entry)
            defer { leading = true }
            return !leading
        }
        guard leads else { return }
        while var batch = nextBatch() {
            let finishes = batch.map(\.finish)
            let failure = commit(batch)
            // The work closures hold the callers' bodies: let go of them before any caller returns.
            batch = []
            finishes.forEach { $0(failure) }
        }
    }

    /// Up to `maxBatch` waiting callers; `nil`, ending the lead, when none is waiting.
    private func nextBatch() -> [Entry]? {
        lock.withLock {
            guard !waiting.isEmpty else {
                leading = false
                return nil
            }
            let batch = Array(waiting.prefix(Self.maxBatch))
            waiting.removeFirst(batch.count)
            return batch
        }
    }

    /// Runs every entry's work in one transaction; the transaction's error, if it failed.
    private func commit(_ batch: [Entry]) -> (any Error)? {
        do {
            try transaction { connection in batch.forEach { $0.run(connection) } }
            return nil
        } catch {
            return error
        }
    }

    /// One caller's result, set by the leader before the caller is resumed.
    private final class Outcome<T>: @unchecked Sendable {
        var result: Result<T, any Error> = .failure(CancellationError())
    }
}

extension SQLConnection {
    /// Runs `body` so that an error undoes only its own writes: a savepoint inside the current transaction.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        let actions = commitActionCount
        try execute("SAVEPOINT switchboard")
        do {
            let result = try body()
            try execute("RELEASE switchboard")
            return result
        } catch {
            dropCommitActions(after: actions)
            _ = try? execute("ROLLBACK TO switchboard")
            _ = try? execute("RELEASE switchboard")
            throw error
        }
    }
}
