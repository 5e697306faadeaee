import Foundation
import PluginAPI

/// `POST /api/crm/import`: historical leads and customers from a CSV file (seed 003 §6), as the body (`text/csv`),
/// a multipart form's file, or JSON `{"csv": "…"}`. It is also the host's `switchboard crm import` file command.
///
/// Columns are mapped by header name (`?map=Naam:name,Mail:email` adds to the Dutch and English defaults).
/// Rows are checked in batches of 100; each bad row is reported as `{line, field, reason}` and skipped, and the
/// good ones of a batch are written in one `store.batch` transaction, all or none. `?dry_run=true` only checks.
/// `?first_line=N` numbers the first data row N (the CLI sends a file in parts). A re-import finds the existing
/// contacts and open leads (by email and phone) and counts them as duplicates. Imported leads start no SLA clock.
extension MrDJCRMPlugin {
    static let importFields: [String: String] = [
        "name": "name", "naam": "name", "email": "email", "e-mail": "email", "mail": "email", "phone": "phone", "telefoon": "phone",
        "pipeline": "pipeline", "pijplijn": "pipeline", "event_date": "event_date", "datum": "event_date", "venue": "venue", "locatie": "venue",
        "status": "status", "message": "message", "opmerking": "message",
    ]

    func importCSV(_ request: HTTPRequest) throws -> HTTPResponse {
        .ok(try importRecords(
            try Self.csvBytes(request), dryRun: request.query["dry_run"] == "true", map: request.query["map"] ?? "",
            firstLine: request.query["first_line"].flatMap { Int($0) }))
    }

    /// Imports one CSV text (a header and rows): `map` is `column:field,…`; `firstLine` is the file line of the
    /// first row when this text is one batch of a larger file, for the error report.
    func importRecords(_ bytes: [UInt8], dryRun: Bool, map: String, firstLine: Int?) throws -> JSON {
        var mapping = Self.importFields
        for pair in map.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if parts.count == 2 { mapping[parts[0]] = parts[1] }
        }
        let records = CSV.parse(CSV.decode(bytes))
        guard let header = records.first else { throw PluginError.badArgument("the CSV is empty") }
        let columns = header.fields.map { mapping[$0.trimmingCharacters(in: .whitespaces).lowercased()] }
        guard columns.contains("email") || columns.contains("phone") else { throw PluginError.badArgument("the CSV needs an email or phone column") }
        var errors: [JSON] = [], imported = 0, duplicates = 0
        let rows = Array(records.dropFirst())
        let lineShift = firstLine.map { $0 - (rows.first?.line ?? $0) } ?? 0
        for start in stride(from: 0, to: rows.count, by: 100) {
            var good: [JSON] = []
            for row in rows[start..<min(start + 100, rows.count)] {
                var fields: [String: JSON] = [:]
                for (index, value) in row.fields.enumerated() where index < columns.count {
                    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
                    if let field = columns[index], !trimmed.isEmpty { fields[field] = .string(trimmed) }
                }
                let problems = validate(&fields)
                if problems.isEmpty { good.append(.object(fields)) }
                errors += problems.map { ["line": .number(Double(row.line + lineShift)), "field": .string($0.0), "reason": .string($0.1)] }
            }
            guard !dryRun else {
                imported += good.count
                continue
            }
            let written = try importBatch(good)
            imported += written
            duplicates += good.count - written
        }
        return [
            "dry_run": .bool(dryRun), "rows": .number(Double(rows.count)), "imported": .number(Double(imported)),
            "duplicates": .number(Double(duplicates)), "errors": .array(errors),
        ]
    }

    /// Writes the leads of valid rows whose contact has no open lead yet, in one transaction; returns how many.
    /// The host contacts are found or created first (idempotently, by email and phone), so a batch that fails
    /// leaves no lead behind and its retry finds the same contacts.
    func importBatch(_ rows: [JSON]) throws -> Int {
        var counter = try host.get(Collections.counters, "lead", as: Int.self) ?? 0
        var writes: [JSON] = [], contacts: Set<String> = []
        for fields in rows {
            let contactID = try contact(name: fields["name"]?.stringValue, email: fields["email"]?.stringValue?.lowercased(), phone: fields["phone"]?.stringValue)
            guard !contacts.contains(contactID), try openLead(of: contactID) == nil else { continue }
            contacts.insert(contactID)
            counter += 1
            let lead = newLead(fields, id: Self.id("lead", counter), contactID: contactID, source: "import")
            writes.append(["collection": .string(Collections.leads), "key": .string(lead.id), "value": try JSON(encoding: lead)])
        }
        guard !writes.isEmpty else { return 0 }
        writes.append(["collection": .string(Collections.counters), "key": "lead", "value": .number(Double(counter))])
        try host.call("store.batch", ["writes": JSON.array(writes)])
        return writes.count - 1
    }

    /// The CSV of an import request: a multipart form's first file, JSON `{"csv"}`, or the body itself.
    static func csvBytes(_ request: HTTPRequest) throws -> [UInt8] {
        let type = request.headers["content-type"] ?? ""
        if type.hasPrefix("application/json") {
            guard let text = try body(request)["csv"]?.stringValue else { throw PluginError.badArgument("a JSON import is {\"csv\": \"…\"}") }
            return Array(text.utf8)
        }
        if type.hasPrefix("multipart/form-data") {
            guard let file = Multipart.firstFile(request.body, contentType: type) else { throw PluginError.badArgument("the form holds no file") }
            return file
        }
        return request.body
    }

    /// The row's problems as (field, reason); normalises a Dutch mobile number to E.164 on the way.
    func validate(_ fields: inout [String: JSON]) -> [(String, String)] {
        var problems: [(String, String)] = []
        let email = fields["email"]?.stringValue, phone = fields["phone"]?.stringValue
        if email == nil, phone == nil { problems.append(("email", "an email or a phone number is required")) }
        if let email, email.split(separator: "@").count != 2 || !email.contains(".") { problems.append(("email", "not an email address")) }
        if let phone {
            var digits = phone.filter { $0.isNumber || $0 == "+" }
            if digits.hasPrefix("00") { digits = "+" + digits.dropFirst(2) }
            if digits.hasPrefix("0") { digits = "+31" + digits.dropFirst() }
            if digits.hasPrefix("+"), (9...16).contains(digits.count) { fields["phone"] = .string(digits) } else { problems.append(("phone", "not a phone number")) }
        }
        if let pipeline = fields["pipeline"]?.stringValue, config.pipeline(pipeline) == nil { problems.append(("pipeline", "unknown pipeline \(pipeline)")) }
        if let date = fields["event_date"]?.stringValue, date.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
            problems.append(("event_date", "not a date (yyyy-mm-dd)"))
        }
        if let status = fields["status"]?.stringValue, !["new", "contacted", "qualified", "lost"].contains(status) {
            problems.append(("status", "unknown status \(status)"))
        }
        return problems
    }
}
