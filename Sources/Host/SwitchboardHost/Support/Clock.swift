import Foundation

/// The host's clock, in epoch milliseconds.
public enum Clock {
    public static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// Epoch milliseconds of an RFC 3339 timestamp (`Z` or an offset); fractional seconds, of which
    /// Microsoft Graph writes up to seven digits, are dropped.
    public static func millis(rfc3339 timestamp: String) -> Int64? {
        var text = timestamp
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            text.removeSubrange(dot..<zone)
        }
        return ISO8601DateFormatter().date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}

extension Duration {
    /// The duration in whole milliseconds, the unit of every stored time.
    var inMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
