import Foundation

/// Lets one call at a time into a plugin instance, first come first served, while the callers behind it wait without
/// holding a thread. A caller may give up after a while (an HTTP request should not wait forever behind a hung call).
final class InstanceGate: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var busy = false
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    /// Waits whose time ran out before they were queued.
    private var expired: Set<UInt64> = []
    private var nextID: UInt64 = 0

    /// Waits for the instance to be free and takes it. With a `timeout`, gives up after it and returns false.
    func enter(timeout: Duration? = nil) async -> Bool {
        let id: UInt64? = lock.withLock {
            guard busy else {
                busy = true
                return nil
            }
            nextID &+= 1
            return nextID
        }
        guard let id else { return true }
        let expiry = timeout.map { timeout in
            Task { [weak self] in
                try await Task.sleep(for: timeout)
                self?.giveUp(id)
            }
        }
        defer { expiry?.cancel() }
        return await withCheckedContinuation { continuation in
            let answer: Bool? = lock.withLock {
                if expired.remove(id) != nil { return false }
                // The holder may have left between the check above and now.
                guard busy else {
                    busy = true
                    return true
                }
                waiters.append((id, continuation))
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Hands the instance to the next waiter, or frees it.
    func leave() {
        let next = lock.withLock { () -> CheckedContinuation<Bool, Never>? in
            guard !waiters.isEmpty else {
                busy = false
                return nil
            }
            return waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }

    /// Ends the wait of `id` with false, unless it already got the instance.
    private func giveUp(_ id: UInt64) {
        let waiter = lock.withLock { () -> CheckedContinuation<Bool, Never>? in
            guard let index = waiters.firstIndex(where: { $0.id == id }) else {
                if busy { expired.insert(id) }
                return nil
            }
            return waiters.remove(at: index).continuation
        }
        waiter?.resume(returning: false)
    }
}

/// A result that one side sets once and others wait for, some only for a while.
final class Promise<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Value?, Never>)] = []
    /// Waits whose time ran out before they were queued.
    private var expired: Set<UInt64> = []
    private var nextID: UInt64 = 0

    func fulfil(_ result: Value) {
        let waiting = lock.withLock { () -> [CheckedContinuation<Value?, Never>] in
            value = result
            defer { waiters.removeAll() }
            return waiters.map(\.continuation)
        }
        waiting.forEach { $0.resume(returning: result) }
    }

    /// The value once it is set; nil if `timeout` passes first.
    func wait(timeout: Duration? = nil) async -> Value? {
        let id: UInt64 = lock.withLock {
            nextID &+= 1
            return nextID
        }
        let expiry = timeout.map { timeout in
            Task { [weak self] in
                try await Task.sleep(for: timeout)
                self?.expire(id)
            }
        }
        defer { expiry?.cancel() }
        return await withCheckedContinuation { continuation in
            let answer = lock.withLock { () -> Value?? in
                if let value { return .some(value) }
                if expired.remove(id) != nil { return .some(nil) }
                waiters.append((id, continuation))
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = lock.withLock { () -> CheckedContinuation<Value?, Never>? in
            guard let index = waiters.firstIndex(where: { $0.id == id }) else {
                if value == nil { expired.insert(id) }
                return nil
            }
            return waiters.remove(at: index).continuation
        }
        waiter?.resume(returning: nil)
    }
}
