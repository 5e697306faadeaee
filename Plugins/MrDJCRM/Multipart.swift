import Foundation

/// Just enough of `multipart/form-data` (RFC 7578) to take an uploaded file out of a form.
enum Multipart {
    /// The bytes of the first part with a `filename`, or `nil`.
    static func firstFile(_ body: [UInt8], contentType: String) -> [UInt8]? {
        guard let range = contentType.range(of: "boundary=") else { return nil }
        let boundary = String(contentType[range.upperBound...].prefix { $0 != ";" }).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let delimiter = Array("\r\n--\(boundary)".utf8), separator = Array("\r\n\r\n".utf8)
        // Parts lie between delimiters; the body's first delimiter has no leading CRLF.
        let padded = Array("\r\n".utf8) + body
        var parts: [ArraySlice<UInt8>] = [], cursor = 0
        while let next = find(delimiter, in: padded, from: cursor) {
            if cursor > 0 { parts.append(padded[cursor..<next]) }
            cursor = next + delimiter.count
        }
        for part in parts {
            guard let split = find(separator, in: Array(part), from: 0) else { continue }
            let headers = String(decoding: part.prefix(split), as: UTF8.self).lowercased()
            if headers.contains("filename=") { return Array(part.dropFirst(split + separator.count)) }
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
