import Foundation

/// Reads an HTML email body as plain text: scripts, styles and tags dropped, block ends and `<br>`
/// kept as line breaks, the common entities decoded. Simple on purpose; it does not render layout.
enum HTMLText {
    static func plain(_ html: String) -> String {
        var text = html
        for (pattern, replacement) in [
            ("<(script|style|head)\\b[^>]*>[\\s\\S]*?</\\1\\s*>", ""),
            ("<!--[\\s\\S]*?-->", ""),
            ("<br\\s*/?>", "\n"),
            ("</(p|h[1-6]|blockquote|table)\\s*>", "\n\n"),
            ("</(div|tr|li)\\s*>", "\n"),
            ("<[^>]*>", ""),
        ] {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: [.regularExpression, .caseInsensitive])
        }
        text = decodeEntities(text)
        let lines = text.components(separatedBy: "\n").map {
            $0.replacingOccurrences(of: "[ \\t\\x{A0}]+", with: " ", options: .regularExpression).trimmingCharacters(in: .whitespaces)
        }
        return lines.joined(separator: "\n")
            .replacingOccurrences(of: "\n{3,}", with: "\n\n", options: .regularExpression)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static let named: [String: String] = ["nbsp": " ", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "amp": "&"]

    /// `&name;`, `&#123;` and `&#x1F600;`, in one pass so that `&amp;lt;` stays `&lt;`.
    private static func decodeEntities(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            let candidate = rest[rest.index(after: ampersand)...].prefix(12)
            if let semicolon = candidate.firstIndex(of: ";"), let decoded = entity(String(candidate[..<semicolon])) {
                result += decoded
                rest = rest[rest.index(after: semicolon)...]
            } else {
                result += "&"
                rest = rest[rest.index(after: ampersand)...]
            }
        }
        return result + rest
    }

    private static func entity(_ name: String) -> String? {
        if let value = named[name.lowercased()] { return value }
        guard name.hasPrefix("#") else { return nil }
        let digits = name.dropFirst()
        let code = digits.lowercased().hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
        return code.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
    }
}
