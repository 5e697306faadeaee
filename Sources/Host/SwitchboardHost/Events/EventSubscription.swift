/// The events a plugin asked for in its descriptor's `subscriptions_json` (ABI 1.3): exact names such as
/// `message.received`, a prefix such as `message.*`, or `*` for every event.
///
/// A plugin built before 1.3, or one that leaves `subscriptions_json` NULL, keeps what those releases delivered:
/// `message.received` when it declares the `flows` capability, and the events other plugins emit.
public struct EventSubscription: Sendable, Equatable {
    /// Exact event names.
    public private(set) var names: Set<String> = []
    /// Prefixes from `name.*` patterns, each ending in `.`.
    public private(set) var prefixes: [String] = []
    /// `*`: every event.
    public private(set) var everything = false
    /// Every event another plugin emits, whatever its name (the pre-1.3 behaviour).
    public private(set) var pluginEvents = false

    /// The patterns as the descriptor lists them, checked.
    public init(patterns: [String]) throws(Invalid) {
        for pattern in patterns {
            guard Self.isValid(pattern) else { throw Invalid(pattern: pattern) }
            if pattern == "*" {
                everything = true
            } else if pattern.hasSuffix(".*") {
                prefixes.append(String(pattern.dropLast()))
            } else {
                names.insert(pattern)
            }
        }
    }

    /// What a plugin without a subscription list gets.
    public static func legacy(flows: Bool) -> EventSubscription {
        var subscription = EventSubscription()
        if flows { subscription.names = [EventCatalogue.messageReceived] }
        subscription.pluginEvents = true
        return subscription
    }

    private init() {}

    /// Whether an event of `type` reaches the plugin; `emitted` for an event another plugin emitted.
    public func matches(_ type: String, emitted: Bool) -> Bool {
        everything || (emitted && pluginEvents) || names.contains(type) || prefixes.contains { type.hasPrefix($0) }
    }

    /// The patterns, for `plugins inspect` and `/api/v1/tenant`.
    public var patterns: [String] {
        (everything ? ["*"] : []) + names.sorted() + prefixes.map { $0 + "*" }.sorted()
    }

    /// `*`, or dot-separated names of `[a-z0-9_-]`, optionally ending in `.*`.
    static func isValid(_ pattern: String) -> Bool {
        if pattern == "*" { return true }
        let body = pattern.hasSuffix(".*") ? String(pattern.dropLast(2)) : pattern
        guard !body.isEmpty, body.count <= 100 else { return false }
        return body.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") }
        }
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let pattern: String
        public var description: String {
            "subscription \"\(pattern)\" is not an event name, a prefix such as message.* or *"
        }
    }
}
