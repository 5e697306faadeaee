/// The records of a CSV file as raw bytes, without parsing its fields: a record ends at a line feed outside
/// double quotes, so a quoted field may hold line breaks. Works on UTF-8 and on single-byte encodings such as
/// Windows-1252 alike, since `"` and line feeds are ASCII in each. Blank lines are skipped.
enum CSVRecords {
    struct Record: Equatable {
        /// The 1-based line the record starts on.
        let line: Int
        /// The record's bytes, its line ending included.
        let bytes: ArraySlice<UInt8>
    }

    static func split(_ bytes: [UInt8]) -> [Record] {
        var records: [Record] = []
        var start = 0, line = 1, startLine = 1, quoted = false
        func close(at end: Int) {
            let slice = bytes[start..<end]
            if slice.contains(where: { ![0x0A, 0x0D, 0x20, 0x09].contains($0) }) { records.append(Record(line: startLine, bytes: slice)) }
            start = end
            startLine = line
        }
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            guard byte == 0x0A else { continue }
            line += 1
            if !quoted { close(at: index + 1) }
        }
        if start < bytes.count { close(at: bytes.count) }
        return records
    }
}
