import CLibPQ

/// How `SQLValue`s travel to and from PostgreSQL: parameters in text format (blobs in binary),
/// results in text format, typed by their column's type OID.
enum PostgresValues {
    /// Type OIDs from PostgreSQL's `pg_type` catalog.
    enum TypeOID {
        static let unknown: Oid = 0
        static let bool: Oid = 16
        static let bytea: Oid = 17
        static let int8: Oid = 20
        static let int2: Oid = 21
        static let int4: Oid = 23
        static let float4: Oid = 700
        static let float8: Oid = 701
        static let numeric: Oid = 1700
    }

    /// The C arrays `PQexecParams` takes, valid only inside `body`. Text parameters go untyped,
    /// so the server infers their types from the statement, as it does for literals.
    static func withParameters<R>(
        _ parameters: [SQLValue],
        _ body: (_ types: [Oid], _ values: [UnsafePointer<CChar>?], _ lengths: [Int32], _ formats: [Int32]) throws -> R
    ) throws -> R {
        var buffers: [UnsafeMutableBufferPointer<UInt8>] = []
        defer { buffers.forEach { $0.deallocate() } }
        var types: [Oid] = [], values: [UnsafePointer<CChar>?] = [], lengths: [Int32] = [], formats: [Int32] = []
        for parameter in parameters {
            let bytes: [UInt8]
            switch parameter {
            case .null:
                types.append(TypeOID.unknown); values.append(nil); lengths.append(0); formats.append(0)
                continue
            case .integer(let value): bytes = Array(String(value).utf8) + [0]
            case .real(let value): bytes = Array(String(value).utf8) + [0]
            case .text(let value):
                guard !value.utf8.contains(0) else {
                    throw DatabaseError(kind: .statement, message: "PostgreSQL text cannot contain a NUL character")
                }
                bytes = Array(value.utf8) + [0]
            case .blob(let value): bytes = value
            }
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            buffers.append(buffer)
            _ = buffer.initialize(fromContentsOf: bytes)
            values.append(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self))
            if case .blob = parameter {
                types.append(TypeOID.bytea); lengths.append(Int32(bytes.count)); formats.append(1)
            } else {
                types.append(TypeOID.unknown); lengths.append(0); formats.append(0)
            }
        }
        return try body(types, values, lengths, formats)
    }

    /// The value at one row and column of a text-format result.
    static func value(_ result: OpaquePointer, row: Int32, column: Int32) -> SQLValue {
        if PQgetisnull(result, row, column) != 0 { return .null }
        let pointer = PQgetvalue(result, row, column)!
        let length = Int(PQgetlength(result, row, column))
        let text = pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        switch PQftype(result, column) {
        case TypeOID.int2, TypeOID.int4, TypeOID.int8:
            return Int64(text).map(SQLValue.integer) ?? .text(text)
        case TypeOID.float4, TypeOID.float8, TypeOID.numeric:
            return Double(text).map(SQLValue.real) ?? .text(text)
        case TypeOID.bool:
            return .integer(text == "t" ? 1 : 0)
        case TypeOID.bytea:
            return unescapeBytea(pointer)
        default:
            return .text(text)
        }
    }

    /// Decodes bytea's text output (hex or the older escape format).
    private static func unescapeBytea(_ text: UnsafePointer<CChar>) -> SQLValue {
        var count = 0
        guard let bytes = text.withMemoryRebound(to: UInt8.self, capacity: 1, { PQunescapeBytea($0, &count) }) else {
            return .null
        }
        defer { PQfreemem(bytes) }
        return .blob(Array(UnsafeBufferPointer(start: bytes, count: count)))
    }
}
