import SwitchboardJSON

/// What an update changed, as the `changes` of an `*.updated` event: `{"field": {"from": …, "to": …}}`, with
/// attribute changes under `attributes`. Fields that kept their value are left out.
struct Changes {
    private(set) var members: [String: JSON] = [:]
    private var attributes: [String: JSON] = [:]

    var isEmpty: Bool { members.isEmpty && attributes.isEmpty }

    /// Notes `field` when its value changed.
    mutating func note(_ field: String, _ before: String?, _ after: String?) {
        guard before != after else { return }
        members[field] = ["from": before.map(JSON.string) ?? .null, "to": after.map(JSON.string) ?? .null]
    }

    mutating func note(_ field: String, _ before: Int64?, _ after: Int64?) {
        guard before != after else { return }
        members[field] = ["from": before.map { .number(Double($0)) } ?? .null, "to": after.map { .number(Double($0)) } ?? .null]
    }

    /// Notes every attribute whose value differs between the two (a missing attribute is `null`).
    mutating func noteAttributes(_ before: [String: JSON], _ after: [String: JSON]) {
        for key in Set(before.keys).union(after.keys) where before[key] != after[key] {
            attributes[key] = ["from": before[key] ?? .null, "to": after[key] ?? .null]
        }
    }

    mutating func set(_ field: String, _ value: JSON) { members[field] = value }

    var json: JSON {
        var all = members
        if !attributes.isEmpty { all["attributes"] = .object(attributes) }
        return .object(all)
    }
}
