import Synchronization

/// Brute-force protection for the sign-in forms: failed attempts are counted per account (tenant and email)
/// and per client IP in a sliding window; once either reaches the limit, further attempts are refused with
/// 429 until the oldest failure leaves the window. A success clears its account's failures, never the IP's.
/// The counts live in this process: each host behind a load balancer limits on its own.
public final class LoginThrottle: Sendable {
    public let maxFailures: Int
    public let windowMillis: Int64
    private let failures = Mutex<[String: [Int64]]>([:])

    public init(maxFailures: Int = 10, windowMillis: Int64 = 15 * 60 * 1000) {
        self.maxFailures = maxFailures
        self.windowMillis = windowMillis
    }

    /// The keys one sign-in attempt counts against: its account (an email within a tenant), when it names one,
    /// and its client IP, when known.
    public static func keys(tenant: String, email: String?, ip: String?) -> [String] {
        (email.map { ["account|\(tenant)|\($0.lowercased())"] } ?? []) + (ip.map { ["ip|\($0)"] } ?? [])
    }

    /// Seconds until an attempt under these keys is allowed again; nil when it is allowed now.
    public func retryAfter(_ keys: [String], now: Int64 = Clock.nowMillis()) -> Int? {
        failures.withLock { table in
            let waits = keys.compactMap { key -> Int64? in
                let recent = Self.recent(table[key] ?? [], now: now, window: windowMillis)
                table[key] = recent.isEmpty ? nil : recent
                guard recent.count >= maxFailures else { return nil }
                return recent[recent.count - maxFailures] + windowMillis - now
            }
            return waits.max().map { Int(($0 + 999) / 1000) }
        }
    }

    /// Throws a 429 problem with `Retry-After` while an attempt under these keys is refused.
    public func admit(_ keys: [String], now: Int64 = Clock.nowMillis()) throws {
        guard let seconds = retryAfter(keys, now: now) else { return }
        throw Problem(
            status: .tooManyRequests, title: "Too many sign-in attempts",
            detail: "Too many failed sign-ins for this account or address; try again in \(seconds) seconds.", retryAfterSeconds: seconds)
    }

    /// Counts a failed attempt against every key; returns the keys this failure just locked, for the audit log.
    @discardableResult
    public func recordFailure(_ keys: [String], now: Int64 = Clock.nowMillis()) -> [String] {
        failures.withLock { table in
            keys.filter { key in
                let recent = Self.recent(table[key] ?? [], now: now, window: windowMillis) + [now]
                table[key] = recent
                return recent.count == maxFailures
            }
        }
    }

    /// Forgets the failures of a key, e.g. an account that just signed in.
    public func reset(_ key: String) {
        _ = failures.withLock { $0.removeValue(forKey: key) }
    }

    private static func recent(_ times: [Int64], now: Int64, window: Int64) -> [Int64] {
        times.filter { $0 > now - window }
    }
}
