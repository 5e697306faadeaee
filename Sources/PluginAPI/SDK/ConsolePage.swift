import Foundation

/// Building console pages (routes under `/console/app/`): escaping, the page reply, and SVG charts.
/// The host wraps the page's HTML in the tenant's branded layout with the navigation.
public enum HTML {
    /// `text` safe inside element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The hidden CSRF field every form posted to a console page must carry.
    public static func csrfField(_ request: HTTPRequest) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(request.console?["csrf"]?.stringValue ?? ""))\">"
    }
}

extension HTTPRequest {
    /// The fields of a posted `application/x-www-form-urlencoded` body.
    public var form: [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let key = parts.first, fields[key] == nil { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}

extension HTTPResponse {
    /// A console page: the host puts `html` inside the tenant's layout under `title`.
    public static func page(title: String, html: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, page: ["title": .string(title), "html": .string(html)])
    }

    /// A 303 redirect, e.g. back to the page after a posted form.
    public static func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: 303, headers: ["Location": location])
    }
}

/// Server-rendered SVG charts with a title, axis labels and an accessible text alternative.
public enum SVGChart {
    /// A labelled value, e.g. ("Bruiloften", 12).
    public struct Bar: Sendable {
        public var label: String
        public var value: Double
        public init(_ label: String, _ value: Double) {
            self.label = label
            self.value = value
        }
    }

    /// A named line of values over the same x labels.
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        public init(_ name: String, _ values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    static let palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2"]

    /// Horizontal bars, one per label, with the value printed by `format`.
    public static func bars(title: String, _ bars: [Bar], format: (Double) -> String = { String(Int($0.rounded())) }) -> String {
        let width = 640.0, row = 28.0, left = 170.0, top = 36.0
        let height = top + row * Double(max(bars.count, 1)) + 12
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        var svg = header(title: title, width: width, height: height, description: bars.map { "\($0.label): \(format($0.value))" }.joined(separator: "; "))
        for (index, bar) in bars.enumerated() {
            let y = top + Double(index) * row
            let length = max((width - left - 70) * bar.value / maximum, bar.value > 0 ? 2 : 0)
            svg += "<text x=\"\(left - 8)\" y=\"\(y + 17)\" text-anchor=\"end\">\(HTML.escape(bar.label))</text>"
            svg += "<rect x=\"\(left)\" y=\"\(y + 4)\" width=\"\(fmt(length))\" height=\"\(row - 8)\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(fmt(left + length + 6))\" y=\"\(y + 17)\">\(HTML.escape(format(bar.value)))</text>"
        }
        if bars.isEmpty { svg += "<text x=\"\(left)\" y=\"\(top + 17)\">No data yet</text>" }
        return svg + "</svg>"
    }

    /// Lines over `labels` (e.g. days or months), one colour per series, with a legend.
    public static func lines(title: String, labels: [String], _ series: [Series]) -> String {
        let width = 640.0, height = 260.0, left = 48.0, right = 16.0, top = 40.0, bottom = 40.0
        let maximum = max(series.flatMap(\.values).max() ?? 0, 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let step = labels.count > 1 ? plotWidth / Double(labels.count - 1) : 0
        let summary = series.map { "\($0.name): \($0.values.map { fmt($0) }.joined(separator: ", "))" }.joined(separator: "; ")
        var svg = header(title: title, width: width, height: height, description: summary)
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#9ca3af\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 4)\" text-anchor=\"end\">\(fmt(maximum))</text><text x=\"\(left - 6)\" y=\"\(height - bottom)\" text-anchor=\"end\">0</text>"
        let every = max(1, labels.count / 8)
        for (index, label) in labels.enumerated() where index % every == 0 {
            svg += "<text x=\"\(fmt(left + Double(index) * step))\" y=\"\(height - bottom + 18)\" text-anchor=\"middle\">\(HTML.escape(label))</text>"
        }
        for (index, line) in series.enumerated() {
            let colour = palette[index % palette.count]
            let points = line.values.enumerated().map { "\(fmt(left + Double($0.offset) * step)),\(fmt(height - bottom - plotHeight * $0.element / maximum))" }
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            svg += "<rect x=\"\(fmt(left + Double(index) * 130))\" y=\"\(height - 14)\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(fmt(left + Double(index) * 130 + 14))\" y=\"\(height - 5)\">\(HTML.escape(line.name))</text>"
        }
        return svg + "</svg>"
    }

    private static func header(title: String, width: Double, height: Double, description: String) -> String {
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" width=\"\(fmt(width))\" role=\"img\" "
            + "aria-label=\"\(HTML.escape(title))\" font-family=\"system-ui, sans-serif\" font-size=\"13\" fill=\"#111827\">"
            + "<title>\(HTML.escape(title))</title><desc>\(HTML.escape(description))</desc>"
            + "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"600\">\(HTML.escape(title))</text>"
    }

    private static func fmt(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
