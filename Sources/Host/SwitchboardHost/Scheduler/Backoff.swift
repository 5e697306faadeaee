/// Exponential backoff with jitter. After attempt n a job waits between half and all of
/// `min(cap, base · 2^(n-1))`: waits never shrink from one attempt to the next, and jobs that
/// failed together do not all come back at the same moment.
public struct Backoff: Sendable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(2), cap: Duration = .seconds(3600)) {
        self.base = base
        self.cap = cap
    }

    /// The wait after failed attempt `attempt` (1 for the first). `jitter`, from 0 to 1, picks the point
    /// between half the ceiling and the ceiling.
    public func delay(afterAttempt attempt: Int, jitter: Double = .random(in: 0...1)) -> Duration {
        let ceiling = min(cap, base * (1 << min(max(attempt - 1, 0), 30)))
        return ceiling / 2 + (ceiling / 2) * min(max(jitter, 0), 1)
    }
}
