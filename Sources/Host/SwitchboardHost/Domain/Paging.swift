import Foundation

/// Keyset pagination over `(created_at, id)`: stable under inserts, no offsets.
public struct PageRequest: Sendable {
    public var limit: Int
    public var cursor: String?

    public static let maxLimit = 200

    public init(limit: Int = 50, cursor: String? = nil) {
        self.limit = min(max(limit, 1), Self.maxLimit)
        self.cursor = cursor
    }

    /// The decoded cursor: the `created_at` and `id` of the last row of the previous page.
    func position() throws -> (Int64, String)? {
        guard let cursor else { return nil }
        guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
            let separator = text.firstIndex(of: ":"), let time = Int64(text[..<separator])
        else { throw InvalidCursor() }
        return (time, String(text[text.index(after: separator)...]))
    }

    static func cursor(createdAt: Int64, id: String) -> String {
        Data("\(createdAt):\(id)".utf8).base64EncodedString()
    }

    /// Appends the keyset condition, order and limit to `sql` (which must already filter by tenant), and maps the rows.
    func fetch<T>(
        sql: String, parameters: [SQLValue], in connection: SQLConnection, newestFirst: Bool = true,
        _ transform: (Row) throws -> T
    ) throws -> Page<T> {
        var sql = sql
        var parameters = parameters
        if let (time, id) = try position() {
            parameters.append(.integer(time))
            parameters.append(.text(id))
            let comparison = newestFirst ? "<" : ">"
            let t = parameters.count - 1, i = parameters.count
            sql += " AND (created_at \(comparison) $\(t) OR (created_at = $\(t) AND id \(comparison) $\(i)))"
        }
        let order = newestFirst ? "DESC" : "ASC"
        sql += " ORDER BY created_at \(order), id \(order) LIMIT \(limit + 1)"
        let rows = try connection.query(sql, parameters)
        let pageRows = Array(rows.prefix(limit))
        let next = rows.count > limit ? pageRows.last.map { Self.cursor(createdAt: $0.int("created_at") ?? 0, id: $0.string("id") ?? "") } : nil
        return Page(data: try pageRows.map(transform), nextCursor: next)
    }

    public struct InvalidCursor: Error {}
}

/// One page of results and the cursor of the next, if any.
public struct Page<T: Encodable & Sendable>: Encodable, Sendable {
    public let data: [T]
    public let nextCursor: String?
    enum CodingKeys: String, CodingKey { case data, nextCursor = "next_cursor" }

    /// `next_cursor` is always present: `null` on the last page.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}
