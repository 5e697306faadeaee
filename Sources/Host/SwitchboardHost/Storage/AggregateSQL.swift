import SwitchboardJSON

/// Compiles a `RecordAggregate` to SQL over `plugin_records` for either dialect: SQLite's `json_extract`
/// and `json_each`, PostgreSQL's `jsonb` operators. JSON paths and values are always parameters; only the
/// checked structure becomes SQL text. Every statement is bound to one tenant and plugin (`$1`, `$2`).
struct AggregateSQL {
    let dialect: SQLDialect
    private(set) var parameters: [SQLValue]

    init(dialect: SQLDialect, scope: RecordStore.Scope, collection: String) {
        self.dialect = dialect
        parameters = [.text(scope.tenantID), .text(scope.pluginID), .text(collection)]
    }

    /// The records of the collection (and their joined record) that pass the filter, as a derived table
    /// with the group keys `g0…` and the given per-record expressions `m0…`.
    mutating func base(_ query: RecordAggregate, values: (inout AggregateSQL) -> [String]) -> String {
        var from = "plugin_records r"
        if let join = query.join {
            let collection = bind(.text(join.collection))
            from += """
                 LEFT JOIN plugin_records j ON j.tenant_id = r.tenant_id AND j.plugin_id = r.plugin_id \
                AND j.collection = \(collection) AND j.record_key = \(text(join.on))
                """
        }
        let groups = query.groupBy.enumerated().map { "\(text($0.element)) AS g\($0.offset)" }
        let columns = groups + values(&self).enumerated().map { "\($0.element) AS m\($0.offset)" }
        var sql = "SELECT \(columns.joined(separator: ", ")) FROM \(from) WHERE r.tenant_id = $1 AND r.plugin_id = $2 AND r.collection = $3"
        for condition in query.filter { sql += " AND \(self.condition(condition))" }
        return sql
    }

    /// The per-record value a measure aggregates: the field (minus another), or 1 to count; NULL when a filter fails.
    mutating func value(_ measure: RecordAggregate.Measure) -> String {
        var value = "1"
        if let field = measure.field {
            value = measure.function == .count ? "(CASE WHEN \(present(field)) THEN 1 END)" : number(field)
        }
        if let minus = measure.minus { value = "(\(value) - \(number(minus)))" }
        guard !measure.filter.isEmpty else { return value }
        return "(CASE WHEN \(measure.filter.map { condition($0) }.joined(separator: " AND ")) THEN \(value) END)"
    }

    // MARK: Conditions

    mutating func condition(_ condition: RecordAggregate.Condition) -> String {
        switch condition {
        case .all(let members): return "(" + members.map { self.condition($0) }.joined(separator: " AND ") + ")"
        case .any(let members): return "(" + members.map { self.condition($0) }.joined(separator: " OR ") + ")"
        case .exists(let field, let flag): return flag ? present(field) : "NOT \(present(field))"
        case .contains(let field, let text):
            let path = self.path(field), value = bind(.text(text))
            switch dialect {
            case .sqlite: return "EXISTS (SELECT 1 FROM json_each(\(column(field)), \(path)) e WHERE e.value = \(value))"
            case .postgres: return "COALESCE(\(column(field))::jsonb #> \(path)::text[], '[]'::jsonb) @> jsonb_build_array(\(value)::text)"
            }
        case .oneOf(let field, let values):
            let numeric = values.first?.stringValue == nil
            let expression = numeric ? number(field) : text(field)
            let list = values.map { bind(numeric ? .real($0.doubleValue ?? 0) : .text($0.stringValue ?? "")) }
            return "\(expression) IN (\(list.joined(separator: ", ")))"
        case .compare(let field, let comparison, let value):
            let numeric = value.stringValue == nil && value.boolValue == nil
            let expression = numeric ? number(field) : text(field)
            let bound =
                switch value {
                case .number(let number): bind(.real(number))
                case .bool(let flag): bind(.text(flag ? "1" : "0"))
                default: bind(.text(value.stringValue ?? ""))
                }
            let operators: [RecordAggregate.Comparison: String] = [.eq: "=", .ne: "<>", .lt: "<", .lte: "<=", .gt: ">", .gte: ">="]
            let sql = "\(expression) \(operators[comparison]!) \(bound)"
            // A missing field differs from every value.
            return comparison == .ne ? "(\(expression) IS NULL OR \(sql))" : sql
        }
    }

    // MARK: JSON access

    /// The field as text: strings as they are, numbers as written, booleans as 1 and 0, NULL when absent or null.
    mutating func text(_ field: RecordAggregate.Field) -> String {
        let path = self.path(field), value = column(field)
        switch dialect {
        case .sqlite: return "CAST(json_extract(\(value), \(path)) AS TEXT)"
        case .postgres:
            return """
                (CASE jsonb_typeof(\(value)::jsonb #> \(path)::text[]) WHEN 'boolean' \
                THEN ((\(value)::jsonb #> \(path)::text[])::boolean)::int::text ELSE \(value)::jsonb #>> \(path)::text[] END)
                """
        }
    }

    /// The field as a number; NULL unless it is a JSON number.
    mutating func number(_ field: RecordAggregate.Field) -> String {
        let path = self.path(field), value = column(field)
        switch dialect {
        case .sqlite: return "(CASE WHEN json_type(\(value), \(path)) IN ('integer', 'real') THEN json_extract(\(value), \(path)) END)"
        case .postgres:
            return "(CASE WHEN jsonb_typeof(\(value)::jsonb #> \(path)::text[]) = 'number' THEN (\(value)::jsonb #>> \(path)::text[])::double precision END)"
        }
    }

    /// Whether the field holds a value other than JSON null.
    mutating func present(_ field: RecordAggregate.Field) -> String {
        let path = self.path(field), value = column(field)
        switch dialect {
        case .sqlite: return "COALESCE(json_type(\(value), \(path)), 'null') <> 'null'"
        case .postgres: return "COALESCE(jsonb_typeof(\(value)::jsonb #> \(path)::text[]), 'null') <> 'null'"
        }
    }

    private func column(_ field: RecordAggregate.Field) -> String { field.joined ? "j.value" : "r.value" }

    /// The field's path as a bound parameter: `$.a.b` for SQLite, `{a,b}` for PostgreSQL.
    private mutating func path(_ field: RecordAggregate.Field) -> String {
        switch dialect {
        case .sqlite: bind(.text("$." + field.path.joined(separator: ".")))
        case .postgres: bind(.text("{" + field.path.joined(separator: ",") + "}"))
        }
    }

    mutating func bind(_ value: SQLValue) -> String {
        parameters.append(value)
        return "$\(parameters.count)"
    }
}
