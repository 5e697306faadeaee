import Synchronization

@testable import SwitchboardHost

/// A clock (epoch ms) the tests move by hand, so the scheduler's time is theirs.
final class TestClock: Sendable {
    private let millis: Mutex<Int64>

    init(_ start: Int64 = Clock.nowMillis()) { millis = Mutex(start) }

    var now: Int64 { millis.withLock { $0 } }

    func advance(by duration: Duration) { millis.withLock { $0 += duration.inMilliseconds } }

    /// Moves to `time`; never backwards.
    func advance(to time: Int64) { millis.withLock { $0 = max($0, time) } }
}

/// How often each job ran, and the most that ran at once.
final class Executions: Sendable {
    private struct State {
        var counts: [String: Int] = [:]
        var running = 0
        var peak = 0
    }
    private let state = Mutex(State())

    func begin(_ id: String) {
        state.withLock {
            $0.counts[id, default: 0] += 1
            $0.running += 1
            $0.peak = max($0.peak, $0.running)
        }
    }

    func end() { state.withLock { $0.running -= 1 } }

    var counts: [String: Int] { state.withLock { $0.counts } }
    var peak: Int { state.withLock { $0.peak } }
}

/// A value shared with a job handler.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }

    /// Reads and changes the value in one step.
    func withValue<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { storage.withLock { value in body(&value) } }
}
