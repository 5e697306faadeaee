import SwitchboardJSON

extension RecordStore {
    /// Runs an aggregate query over one collection of the scope: one statement for count, sum, avg, min and
    /// max, and one per median or percentile (window functions, linear interpolation between neighbours).
    /// Returns `{"groups": [{"key": {field: value}, "values": {measure: number|null}}]}`, groups in key order;
    /// without `group_by` there is always exactly one group.
    public func aggregate(_ scope: Scope, _ query: RecordAggregate) throws -> JSON {
        let groupColumns = query.groupBy.indices.map { "g\($0)" }
        let groupList = groupColumns.joined(separator: ", ")
        var rows: [[JSON]: [String: JSON]] = [:]
        var order: [[JSON]] = []
        func merge(_ row: Row, _ values: [String: JSON]) {
            let key = groupColumns.map { Self.json(row[$0]) }
            if rows[key] == nil { order.append(key) }
            rows[key, default: [:]].merge(values) { $1 }
        }

        let plain = query.measures.filter { $0.function != .median && $0.function != .percentile }
        if !plain.isEmpty {
            var sql = AggregateSQL(dialect: database.dialect, scope: scope, collection: query.collection)
            let base = sql.base(query) { sql in plain.map { sql.value($0) } }
            let aggregates = plain.enumerated().map { index, measure in
                measure.function == .count
                    ? "COUNT(m\(index)) AS a\(index)"
                    : "CAST(\(measure.function.rawValue.uppercased())(m\(index)) AS DOUBLE PRECISION) AS a\(index)"
            }
            var statement = "SELECT \((groupColumns + aggregates).joined(separator: ", ")) FROM (\(base)) AS base"
            if !groupColumns.isEmpty { statement += " GROUP BY \(groupList) ORDER BY \(groupList)" }
            for row in try database.read({ try $0.query(statement, sql.parameters) }) {
                var values: [String: JSON] = [:]
                for (index, measure) in plain.enumerated() { values[measure.name] = Self.json(row["a\(index)"]) }
                merge(row, values)
            }
        }

        for measure in query.measures where measure.function == .median || measure.function == .percentile {
            var sql = AggregateSQL(dialect: database.dialect, scope: scope, collection: query.collection)
            let base = sql.base(query) { sql in [sql.value(measure)] }
            let partition = groupColumns.isEmpty ? "" : "PARTITION BY \(groupList) "
            let perMille = Int((measure.fraction * 1000).rounded())
            let position = "(\(perMille) * (COUNT(*) OVER (\(partition)) - 1))"
            let ranked = """
                SELECT \((groupColumns + ["m0 AS v", "ROW_NUMBER() OVER (\(partition)ORDER BY m0) AS rn", "\(position) / 1000 AS lo", "\(position) % 1000 AS frac"]).joined(separator: ", ")) \
                FROM (\(base)) AS base WHERE m0 IS NOT NULL
                """
            let low = "MAX(CASE WHEN rn = lo + 1 THEN v END)", high = "MAX(CASE WHEN rn = lo + 2 THEN v END)"
            var statement = """
                SELECT \((groupColumns + ["CAST(\(low) + COALESCE(\(high) - \(low), 0) * MAX(frac) / 1000.0 AS DOUBLE PRECISION) AS p"]).joined(separator: ", ")) \
                FROM (\(ranked)) AS ranked
                """
            if !groupColumns.isEmpty { statement += " GROUP BY \(groupList)" }
            for row in try database.read({ try $0.query(statement, sql.parameters) }) { merge(row, [measure.name: Self.json(row["p"])]) }
        }

        let groups: [JSON] = order.sorted { lhs, rhs in
            lhs.map { $0.stringValue ?? "" }.lexicographicallyPrecedes(rhs.map { $0.stringValue ?? "" })
        }.map { key in
            var values = rows[key] ?? [:]
            for measure in query.measures where values[measure.name] == nil { values[measure.name] = measure.function == .count ? 0 : .null }
            let names = query.groupBy.map(\.name)
            return ["key": .object(Dictionary(uniqueKeysWithValues: zip(names, key))), "values": .object(values)]
        }
        return ["groups": .array(groups)]
    }

    private static func json(_ value: SQLValue) -> JSON {
        switch value {
        case .null: .null
        case .integer(let number): .number(Double(number))
        case .real(let number): .number(number)
        case .text(let text): .string(text)
        case .blob(let bytes): .string(String(decoding: bytes, as: UTF8.self))
        }
    }
}
