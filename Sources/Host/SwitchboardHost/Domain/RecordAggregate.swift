import Foundation
import SwitchboardJSON

/// A structured aggregate query over one plugin collection (the `records.aggregate` host call), which the
/// host compiles to SQL (`AggregateSQL`). Plugins never write SQL: field names are checked against a strict
/// pattern and every value is bound as a parameter. docs/plugin-abi.md describes the JSON form.
public struct RecordAggregate: Sendable {
    /// A JSON field of the record (`sla.breached`) or, with the join's name before a colon, of the joined record (`thread:team`).
    public struct Field: Sendable, Hashable {
        public let joined: Bool
        public let path: [String]
        /// As the plugin wrote it; the group key names in the reply.
        public let name: String
    }

    public enum Comparison: String, Sendable, CaseIterable { case eq, ne, lt, lte, gt, gte }

    public indirect enum Condition: Sendable {
        case compare(Field, Comparison, JSON)
        case oneOf(Field, [JSON])
        case exists(Field, Bool)
        /// The field is an array holding this string.
        case contains(Field, String)
        case any([Condition])
        case all([Condition])
    }

    public enum Function: String, Sendable { case count, sum, avg, min, max, median, percentile }

    public struct Measure: Sendable {
        public let name: String
        public let function: Function
        public let field: Field?
        /// Subtracted from `field` (a duration between two timestamps).
        public let minus: Field?
        /// 0…1 for `percentile` (0.5 for `median`).
        public let fraction: Double
        /// Only records matching these count towards this measure.
        public let filter: [Condition]
    }

    /// Each record's `on` field names the key of a record in `collection` of the same tenant and plugin.
    public struct Join: Sendable {
        public let collection: String
        public let on: Field
        public let name: String
    }

    public let collection: String
    public let join: Join?
    public let filter: [Condition]
    public let groupBy: [Field]
    public let measures: [Measure]

    static let limits = (measures: 32, groups: 4, conditions: 64, depth: 8)
    private static let fieldPattern = #"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"#
    private static let namePattern = #"^[A-Za-z_][A-Za-z0-9_]*$"#

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads and checks the JSON form; anything unknown or malformed is refused with the reason.
    public init(_ json: JSON) throws {
        guard let collection = json["collection"]?.stringValue, !collection.isEmpty else { throw Invalid(description: "\"collection\" is required") }
        self.collection = collection
        var join: Join?
        if let spec = json["join"] {
            guard let other = spec["collection"]?.stringValue, let name = spec["as"]?.stringValue, Self.matches(name, Self.namePattern),
                let on = spec["on"]?.stringValue
            else { throw Invalid(description: "join needs collection, on and as (a plain name)") }
            join = Join(collection: other, on: try Self.field(on, join: nil), name: name)
        }
        self.join = join
        var budget = Self.limits.conditions
        filter = try Self.conditions(json["where"], join: join, budget: &budget)
        let groups = json["group_by"]?.arrayValue ?? []
        guard groups.count <= Self.limits.groups else { throw Invalid(description: "at most \(Self.limits.groups) group_by fields") }
        groupBy = try groups.map { value in
            guard let name = value.stringValue else { throw Invalid(description: "group_by holds field names") }
            return try Self.field(name, join: join)
        }
        guard let specs = json["measures"]?.arrayValue, !specs.isEmpty, specs.count <= Self.limits.measures else {
            throw Invalid(description: "\"measures\" must list 1 to \(Self.limits.measures) measures")
        }
        var names = Set<String>()
        measures = try specs.map { spec in
            let measure = try Self.measure(spec, join: join, budget: &budget)
            guard names.insert(measure.name).inserted else { throw Invalid(description: "measure \(measure.name) is named twice") }
            return measure
        }
    }

    private static func measure(_ spec: JSON, join: Join?, budget: inout Int) throws -> Measure {
        guard let name = spec["name"]?.stringValue, matches(name, namePattern) else { throw Invalid(description: "every measure needs a plain name") }
        guard let function = spec["fn"]?.stringValue.flatMap(Function.init(rawValue:)) else {
            throw Invalid(description: "measure \(name): fn must be count, sum, avg, min, max, median or percentile")
        }
        let field = try spec["field"]?.stringValue.map { try Self.field($0, join: join) }
        guard function == .count || field != nil else { throw Invalid(description: "measure \(name): \(function.rawValue) needs a field") }
        let minus = try spec["minus"]?.stringValue.map { try Self.field($0, join: join) }
        var fraction = 0.5
        if function == .percentile {
            guard let p = spec["p"]?.doubleValue, (0...1).contains(p) else { throw Invalid(description: "measure \(name): p must be between 0 and 1") }
            fraction = p
        }
        return Measure(
            name: name, function: function, field: field, minus: minus, fraction: fraction,
            filter: try conditions(spec["where"], join: join, budget: &budget))
    }

    private static func conditions(_ json: JSON?, join: Join?, budget: inout Int) throws -> [Condition] {
        guard let json else { return [] }
        guard let list = json.arrayValue else { throw Invalid(description: "where must be a list of conditions") }
        return try list.map { try condition($0, join: join, budget: &budget, depth: 1) }
    }

    private static func condition(_ json: JSON, join: Join?, budget: inout Int, depth: Int) throws -> Condition {
        budget -= 1
        guard budget >= 0, depth <= limits.depth else { throw Invalid(description: "too many or too deeply nested conditions") }
        guard let object = json.objectValue else { throw Invalid(description: "a condition is an object") }
        for group in ["any", "all"] {
            guard let members = object[group] else { continue }
            guard object.count == 1, let list = members.arrayValue, !list.isEmpty else { throw Invalid(description: "\(group) takes a non-empty list alone") }
            let nested = try list.map { try condition($0, join: join, budget: &budget, depth: depth + 1) }
            return group == "any" ? .any(nested) : .all(nested)
        }
        guard let name = object["field"]?.stringValue, object.count == 2, let entry = object.first(where: { $0.key != "field" }) else {
            throw Invalid(description: "a condition is {\"field\": …, \"<op>\": value} or {\"any\"|\"all\": [...]}")
        }
        let field = try Self.field(name, join: join)
        let (op, value) = (entry.key, entry.value)
        switch op {
        case "exists":
            guard let flag = value.boolValue else { throw Invalid(description: "exists takes true or false") }
            return .exists(field, flag)
        case "contains":
            guard let text = value.stringValue else { throw Invalid(description: "contains takes a string") }
            return .contains(field, text)
        case "in":
            guard let values = value.arrayValue, !values.isEmpty, values.count <= 100,
                values.allSatisfy({ $0.stringValue != nil }) || values.allSatisfy({ $0.doubleValue != nil })
            else { throw Invalid(description: "in takes 1 to 100 strings or 1 to 100 numbers") }
            return .oneOf(field, values)
        default:
            guard let comparison = Comparison(rawValue: op) else { throw Invalid(description: "unknown operator \(op)") }
            switch value {
            case .string, .number: break
            case .bool: guard comparison == .eq || comparison == .ne else { throw Invalid(description: "booleans compare with eq or ne only") }
            default: throw Invalid(description: "\(op) compares with a string, number or boolean")
            }
            return .compare(field, comparison, value)
        }
    }

    private static func field(_ text: String, join: Join?) throws -> Field {
        var path = text
        var joined = false
        if let colon = text.firstIndex(of: ":") {
            guard let join, text[..<colon] == join.name else { throw Invalid(description: "\(text) names no join") }
            path = String(text[text.index(after: colon)...])
            joined = true
        }
        let parts = path.split(separator: ".").map(String.init)
        guard matches(path, fieldPattern), parts.count <= limits.depth else { throw Invalid(description: "\(text) is not a field name") }
        return Field(joined: joined, path: parts, name: text)
    }

    private static func matches(_ text: String, _ pattern: String) -> Bool {
        text.count <= 200 && text.range(of: pattern, options: .regularExpression) != nil
    }
}
