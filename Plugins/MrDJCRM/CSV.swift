import Foundation

/// RFC 4180 CSV with the habits of spreadsheet exports: a UTF-8 BOM, `;` as the separator (guessed from the
/// header line), quoted fields with `""` escapes and line breaks, CRLF or LF, and Windows-1252 bytes where
/// the file is not valid UTF-8.
enum CSV {
    /// The text of a file: UTF-8 without its BOM, else Windows-1252.
    static func decode(_ bytes: [UInt8]) -> String {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        if let text = String(validating: body, as: UTF8.self) { return text }
        return String(data: Data(body), encoding: .windowsCP1252) ?? String(decoding: body, as: UTF8.self)
    }

    /// Records with the (1-based) line each starts on.
    static func parse(_ text: String) -> [(line: Int, fields: [String])] {
        let header = text.prefix { $0 != "\n" && $0 != "\r\n" }
        let separator: Character = header.filter { $0 == ";" }.count > header.filter { $0 == "," }.count ? ";" : ","
        var records: [(Int, [String])] = []
        var fields: [String] = [], field = "", quoted = false, line = 1, start = 1
        var characters = text.makeIterator()
        var pending: Character?
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { records.append((start, fields)) }
            fields = []
            field = ""
        }
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = characters.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == separator {
                fields.append(field)
                field = ""
            } else if character == "\n" || character == "\r\n" || character == "\r" {
                endRecord()
                line += 1
                start = line
            } else {
                field.append(character)
            }
        }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}
