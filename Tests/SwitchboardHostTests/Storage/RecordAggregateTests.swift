import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// `RecordStore.aggregate` compiled to SQL, the same figures on SQLite and PostgreSQL.
@Suite("Record aggregates")
struct RecordAggregateTests {
    static let scope = RecordStore.Scope(tenantID: "t", pluginID: "p")

    /// Five tickets (two teams and one without) and their replies; another tenant's and another plugin's rows must never count.
    static func fixture(_ store: RecordStore) throws {
        let tickets: [(String, String)] = [
            ("a", #"{"team":"red","opened":0,"answered":10,"sla":{"breached":false,"fired":[]},"tags":["vip"]}"#),
            ("b", #"{"team":"red","opened":0,"answered":20,"sla":{"breached":true,"fired":["reminder","manager"]},"tags":[]}"#),
            ("c", #"{"team":"blue","opened":100,"answered":140,"sla":{"breached":false,"fired":["reminder"]},"tags":["vip"]}"#),
            ("d", #"{"team":"blue","opened":100,"answered":200,"sla":{"breached":false,"fired":[]},"status":"escalated"}"#),
            ("e", #"{"team":null,"opened":50,"answered":null,"sla":{"breached":false,"fired":[]}}"#),
        ]
        for (key, value) in tickets { try store.put(scope, collection: "tickets", key: key, value: value) }
        for (index, ticket) in ["a", "a", "b", "c", "c", "c", "e"].enumerated() {
            try store.put(scope, collection: "replies", key: "r\(index)", value: #"{"ticket":"\#(ticket)","kind":"\#(index % 2 == 0 ? "out" : "in")"}"#)
        }
        try store.put(.init(tenantID: "other", pluginID: "p"), collection: "tickets", key: "x", value: #"{"team":"red","opened":0,"answered":9999}"#)
        try store.put(.init(tenantID: "t", pluginID: "q"), collection: "tickets", key: "y", value: #"{"team":"red","opened":0,"answered":9999}"#)
    }

    static func run(_ store: RecordStore, _ query: JSON) throws -> [JSON] {
        try store.aggregate(scope, try RecordAggregate(query))["groups"]?.arrayValue ?? []
    }

    @Test("count, sum, avg, min, max, median and percentile per group, with filters", arguments: StorageDriver.allCases)
    func groupedMeasures(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let store = RecordStore(database: database)
            try Self.fixture(store)
            let groups = try Self.run(store, [
                "collection": "tickets", "group_by": ["team"],
                "measures": [
                    ["name": "tickets", "fn": "count"],
                    ["name": "answered", "fn": "count", "field": "answered"],
                    ["name": "wait_sum", "fn": "sum", "field": "answered", "minus": "opened"],
                    ["name": "wait_avg", "fn": "avg", "field": "answered", "minus": "opened"],
                    ["name": "wait_min", "fn": "min", "field": "answered", "minus": "opened"],
                    ["name": "wait_max", "fn": "max", "field": "answered", "minus": "opened"],
                    ["name": "wait_median", "fn": "median", "field": "answered", "minus": "opened"],
                    ["name": "wait_p90", "fn": "percentile", "p": 0.9, "field": "answered", "minus": "opened"],
                    ["name": "breached", "fn": "count", "where": [["field": "sla.breached", "eq": true]]],
                    ["name": "escalated", "fn": "count", "where": [["any": [["field": "sla.fired", "contains": "manager"], ["field": "status", "eq": "escalated"]]]]],
                ],
            ])
            #expect(groups.map { $0["key"]?["team"] } == [.null, "blue", "red"])
            let none = groups[0]["values"], blue = groups[1]["values"], red = groups[2]["values"]
            #expect(none?["tickets"] == 1 && none?["answered"] == 0 && none?["wait_avg"] == .null && none?["wait_median"] == .null)
            // red waits 10 and 20; blue 40 and 100.
            #expect(red?["tickets"] == 2 && red?["answered"] == 2 && red?["wait_sum"] == 30 && red?["wait_avg"] == 15)
            #expect(red?["wait_min"] == 10 && red?["wait_max"] == 20 && red?["wait_median"] == 15 && red?["wait_p90"] == 19)
            #expect(blue?["wait_avg"] == 70 && blue?["wait_median"] == 70 && blue?["wait_p90"] == 94)
            #expect(red?["breached"] == 1 && blue?["breached"] == 0)
            #expect(red?["escalated"] == 1 && blue?["escalated"] == 1 && none?["escalated"] == 0)
        }
    }

    @Test("without group_by one group; where with in, ne, exists, gte and contains", arguments: StorageDriver.allCases)
    func filters(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let store = RecordStore(database: database)
            try Self.fixture(store)
            func count(_ conditions: JSON) throws -> JSON? {
                let groups = try Self.run(store, ["collection": "tickets", "where": conditions, "measures": [["name": "n", "fn": "count"]]])
                #expect(groups.count == 1)
                return groups.first?["values"]?["n"]
            }
            #expect(try count([]) == 5)
            #expect(try count([["field": "team", "in": ["red", "blue"]]]) == 4)
            #expect(try count([["field": "team", "ne": "red"]]) == 3)
            #expect(try count([["field": "answered", "exists": false]]) == 1)
            #expect(try count([["field": "opened", "gte": 50], ["field": "tags", "contains": "vip"]]) == 1)
            #expect(try count([["field": "opened", "in": [0, 50]]]) == 3)
            // Values are parameters: a quote is just a character.
            #expect(try count([["field": "team", "eq": "red' OR '1'='1"]]) == 0)
            // An even count: the median lies halfway between the middle two of 10, 20, 40 and 100.
            let median = try Self.run(store, ["collection": "tickets", "measures": [["name": "m", "fn": "median", "field": "answered", "minus": "opened"]]])
            #expect(median.first?["values"]?["m"] == 30)
            let empty = try Self.run(store, ["collection": "nothing", "measures": [["name": "n", "fn": "count"], ["name": "m", "fn": "median", "field": "x"]]])
            #expect(empty.count == 1 && empty.first?["values"]?["n"] == 0 && empty.first?["values"]?["m"] == .null)
        }
    }

    @Test("a join groups records by a field of the record they point at", arguments: StorageDriver.allCases)
    func join(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let store = RecordStore(database: database)
            try Self.fixture(store)
            let groups = try Self.run(store, [
                "collection": "replies", "join": ["collection": "tickets", "on": "ticket", "as": "ticket"],
                "where": [["field": "ticket:opened", "lt": 100]], "group_by": ["ticket:team"],
                "measures": [["name": "replies", "fn": "count"], ["name": "outgoing", "fn": "count", "where": [["field": "kind", "eq": "out"]]]],
            ])
            // Replies of a, a, b (red) and e (no team); c is opened at 100.
            #expect(groups.map { $0["key"]?["ticket:team"] } == [.null, "red"])
            #expect(groups[0]["values"] == ["replies": 1, "outgoing": 1])
            #expect(groups[1]["values"] == ["replies": 3, "outgoing": 2])
        }
    }

    @Test("field names, operators and shapes outside the grammar are refused before any SQL")
    func refusals() throws {
        let measures: JSON = [["name": "n", "fn": "count"]]
        for bad: JSON in [
            ["collection": "t", "group_by": ["team) FROM x; --"], "measures": measures],
            ["collection": "t", "where": [["field": "a'b", "eq": 1]], "measures": measures],
            ["collection": "t", "where": [["field": "a", "like": "%"]], "measures": measures],
            ["collection": "t", "where": [["field": "a", "gt": true]], "measures": measures],
            ["collection": "t", "group_by": ["other:team"], "measures": measures],
            ["collection": "t", "measures": [["name": "x", "fn": "stddev", "field": "a"]]],
            ["collection": "t", "measures": [["name": "x", "fn": "percentile", "p": 2, "field": "a"]]],
            ["collection": "t", "measures": [["name": "x; drop", "fn": "count"]]],
            ["collection": "t", "measures": []],
        ] {
            #expect(throws: RecordAggregate.Invalid.self) { try RecordAggregate(bad) }
        }
    }
}
