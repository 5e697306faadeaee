import CHaru
import Foundation
import SwitchboardJSON

/// Renders a simple document to PDF with libharu: headings, paragraphs, key-value lines and
/// tables, flowing over A4 pages, in the tenant's brand colour. Text is set in Helvetica with
/// WinAnsi encoding, which covers Dutch and German (and €).
///
/// The document JSON:
/// `{"title", "author"?, "brand_color"? "#rrggbb", "blocks": [
///    {"heading": "…"} | {"text": "…"} | {"pairs": [["Datum", "12-06-2027"], …]} |
///    {"table": {"columns": ["Item", "Prijs"], "rows": [["DJ", "€ 950,00"]], "widths"?: [0.7, 0.3],
///               "align"?: ["left", "right"], "footer"?: [["Totaal", "€ 1.149,50"]]}} | {"space": 12} |
///    {"image": {"base64": "<PNG or JPEG bytes>", "width"?: 120, "align"?: "left" | "center" | "right"}}]}`
public enum PDFRenderer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private static let pageWidth: Float = 595.276, pageHeight: Float = 841.89, margin: Float = 56

    public static func render(_ document: JSON) throws -> [UInt8] {
        guard let pdf = HPDF_New(nil, nil) else { throw Failure(description: "libharu could not create a document") }
        defer { HPDF_Free(pdf) }
        HPDF_SetCompressionMode(pdf, UInt32(HPDF_COMP_ALL))
        guard let regular = HPDF_GetFont(pdf, "Helvetica", "WinAnsiEncoding"),
            let bold = HPDF_GetFont(pdf, "Helvetica-Bold", "WinAnsiEncoding")
        else { throw Failure(description: "libharu has no Helvetica") }
        if let title = document["title"]?.stringValue { HPDF_SetInfoAttr(pdf, HPDF_INFO_TITLE, winAnsi(title)) }
        if let author = document["author"]?.stringValue { HPDF_SetInfoAttr(pdf, HPDF_INFO_AUTHOR, winAnsi(author)) }
        var layout = Layout(pdf: pdf, regular: regular, bold: bold, brand: color(document["brand_color"]?.stringValue ?? "#1f2937"))
        layout.newPage()
        if let title = document["title"]?.stringValue { layout.heading(title, size: 20) }
        for block in document["blocks"]?.arrayValue ?? [] {
            if let text = block["heading"]?.stringValue {
                layout.heading(text, size: 14)
            } else if let text = block["text"]?.stringValue {
                layout.paragraph(text)
            } else if let pairs = block["pairs"]?.arrayValue {
                for pair in pairs { layout.pair(pair.arrayValue?.first?.stringValue ?? "", pair.arrayValue?.dropFirst().first?.stringValue ?? "") }
            } else if let table = block["table"] {
                layout.table(table)
            } else if let image = block["image"] {
                try layout.image(image)
            } else if let space = block["space"]?.doubleValue {
                layout.y -= Float(space)
            }
        }
        guard HPDF_SaveToStream(pdf) == HPDF_OK else { throw Failure(description: "libharu could not write the PDF") }
        let size = Int(HPDF_GetStreamSize(pdf))
        var bytes = [UInt8](repeating: 0, count: size)
        var read = HPDF_UINT32(size)
        guard HPDF_ReadFromStream(pdf, &bytes, &read) == HPDF_OK || read > 0 else { throw Failure(description: "libharu could not read the PDF back") }
        return Array(bytes.prefix(Int(read)))
    }

    /// A Swift string as the WinAnsi (Windows-1252) bytes Helvetica expects; unknown characters become '?'.
    static func winAnsi(_ text: String) -> [CChar] {
        let data = text.data(using: .windowsCP1252, allowLossyConversion: true) ?? Data(text.utf8)
        return data.map { CChar(bitPattern: $0) } + [0]
    }

    static func color(_ hex: String) -> (Float, Float, Float) {
        guard hex.count == 7, let value = Int(hex.dropFirst(), radix: 16) else { return (0.12, 0.16, 0.22) }
        return (Float((value >> 16) & 0xFF) / 255, Float((value >> 8) & 0xFF) / 255, Float(value & 0xFF) / 255)
    }

    /// The cursor of the flowing layout.
    private struct Layout {
        let pdf: HPDF_Doc
        let regular: HPDF_Font
        let bold: HPDF_Font
        let brand: (Float, Float, Float)
        var page: HPDF_Page?
        var y: Float = 0

        init(pdf: HPDF_Doc, regular: HPDF_Font, bold: HPDF_Font, brand: (Float, Float, Float)) {
            self.pdf = pdf
            self.regular = regular
            self.bold = bold
            self.brand = brand
        }

        var width: Float { pageWidth - 2 * margin }

        mutating func newPage() {
            page = HPDF_AddPage(pdf)
            HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT)
            HPDF_Page_SetRGBFill(page, brand.0, brand.1, brand.2)
            HPDF_Page_Rectangle(page, 0, pageHeight - 12, pageWidth, 12)
            HPDF_Page_Fill(page)
            y = pageHeight - margin
        }

        mutating func ensure(_ height: Float) {
            if y - height < margin { newPage() }
        }

        mutating func write(_ text: String, x: Float, font: HPDF_Font, size: Float, color: (Float, Float, Float) = (0.1, 0.1, 0.1)) {
            HPDF_Page_BeginText(page)
            HPDF_Page_SetFontAndSize(page, font, size)
            HPDF_Page_SetRGBFill(page, color.0, color.1, color.2)
            HPDF_Page_TextOut(page, x, y, winAnsi(text))
            HPDF_Page_EndText(page)
        }

        func textWidth(_ text: String, font: HPDF_Font, size: Float) -> Float {
            HPDF_Page_SetFontAndSize(page, font, size)
            return HPDF_Page_TextWidth(page, winAnsi(text))
        }

        mutating func heading(_ text: String, size: Float) {
            ensure(size + 10)
            y -= size
            write(text, x: margin, font: bold, size: size, color: brand)
            y -= 10
        }

        /// Wraps text at word boundaries to the page width.
        mutating func paragraph(_ text: String, size: Float = 10.5) {
            for paragraph in text.components(separatedBy: "\n") {
                var line = ""
                for word in paragraph.split(separator: " ") {
                    let candidate = line.isEmpty ? String(word) : line + " " + word
                    if textWidth(candidate, font: regular, size: size) > width, !line.isEmpty {
                        emitLine(line, size: size)
                        line = String(word)
                    } else {
                        line = candidate
                    }
                }
                emitLine(line, size: size)
            }
            y -= 6
        }

        private mutating func emitLine(_ line: String, size: Float) {
            ensure(size + 4)
            y -= size + 4
            write(line, x: margin, font: regular, size: size)
        }

        /// A PNG or JPEG, scaled to `width` points (default 120, at most the text width), placed left, centred or right.
        mutating func image(_ block: JSON) throws {
            guard let bytes = block["base64"]?.stringValue.flatMap({ Data(base64Encoded: $0, options: .ignoreUnknownCharacters) }).map(Array.init), !bytes.isEmpty else {
                throw Failure(description: "an image block needs base64 bytes")
            }
            let loaded: HPDF_Image? = bytes.withUnsafeBufferPointer { buffer in
                if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return HPDF_LoadPngImageFromMem(pdf, buffer.baseAddress, HPDF_UINT(buffer.count)) }
                if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return HPDF_LoadJpegImageFromMem(pdf, buffer.baseAddress, HPDF_UINT(buffer.count)) }
                return nil
            }
            guard let loaded else {
                HPDF_ResetError(pdf)
                throw Failure(description: "the image is not a readable PNG or JPEG")
            }
            let pixelsWide = Float(HPDF_Image_GetWidth(loaded)), pixelsHigh = Float(HPDF_Image_GetHeight(loaded))
            guard pixelsWide > 0, pixelsHigh > 0 else { throw Failure(description: "the image has no size") }
            let width = min(Float(block["width"]?.doubleValue ?? 120), self.width)
            let height = width * pixelsHigh / pixelsWide
            ensure(height + 8)
            let x: Float = switch block["align"]?.stringValue {
            case "right": pageWidth - margin - width
            case "center": (pageWidth - width) / 2
            default: margin
            }
            HPDF_Page_DrawImage(page, loaded, x, y - height, width, height)
            y -= height + 8
        }

        mutating func pair(_ key: String, _ value: String, size: Float = 10.5) {
            ensure(size + 4)
            y -= size + 4
            write(key, x: margin, font: bold, size: size)
            write(value, x: margin + width * 0.35, font: regular, size: size)
        }

        mutating func table(_ table: JSON, size: Float = 10) {
            let columns = table["columns"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !columns.isEmpty else { return }
            let fractions = table["widths"]?.arrayValue?.compactMap(\.doubleValue).map(Float.init)
            let widths = fractions?.count == columns.count ? fractions!.map { $0 * width } : Array(repeating: width / Float(columns.count), count: columns.count)
            let align = table["align"]?.arrayValue?.compactMap(\.stringValue) ?? []
            func row(_ cells: [String], font: HPDF_Font) {
                ensure(size + 8)
                y -= size + 6
                var x = margin
                for (index, cell) in cells.prefix(columns.count).enumerated() {
                    let right = index < align.count && align[index] == "right"
                    let offset = right ? widths[index] - textWidth(cell, font: font, size: size) - 4 : 0
                    write(cell, x: x + offset, font: font, size: size)
                    x += widths[index]
                }
            }
            func rule() {
                HPDF_Page_SetRGBStroke(page, brand.0, brand.1, brand.2)
                HPDF_Page_SetLineWidth(page, 0.6)
                HPDF_Page_MoveTo(page, margin, y - 3)
                HPDF_Page_LineTo(page, margin + width, y - 3)
                HPDF_Page_Stroke(page)
            }
            row(columns, font: bold)
            rule()
            for cells in table["rows"]?.arrayValue ?? [] { row(cells.arrayValue?.map(ConditionEvaluator.text) ?? [], font: regular) }
            if let footer = table["footer"]?.arrayValue, !footer.isEmpty {
                rule()
                for cells in footer { row(cells.arrayValue?.map(ConditionEvaluator.text) ?? [], font: bold) }
            }
            y -= 8
        }
    }
}
